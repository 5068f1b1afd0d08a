// Package scheduling is a tenant's calendar: when its staff work (weekly
// hours and date exceptions), which slots of a service are free, the
// bookings made in them, and clients' booking preferences.
//
// Every method works in the tenant of the scope in its context. Another
// tenant's row, anywhere (an id in a path, a filter or a body), reads
// exactly like a missing one: [tenant.CodeNotFound].
//
// # Who may do what
//
// Staff (role staff and above) read everyone's hours and manage their own;
// an admin or owner manages anyone's. Staff book for any client, confirm,
// reschedule, cancel, complete and mark no-shows. A client (the portal
// methods, named My…) sees and changes only its own bookings and
// preferences; another client's booking reads as missing.
//
// # Time zones
//
// Weekly hours, exceptions and date ranges are wall-clock times and dates
// in the organization's time zone (organization settings). A 9:00–17:00
// day stays 9:00–17:00 on the wall clock through daylight-saving changes;
// see [FreeSlots] for the change days themselves. Instants are returned in
// the organization's zone; a member's own zone (members.time_zone) only
// changes how they are shown to that member.
//
// # Buffers
//
// The organization's buffer follows each new booking (buffer_after; the
// buffer before is 0): the database widens a booking by its buffers into
// its blocked range, and no two active (pending or confirmed) bookings of a
// staff member may have overlapping blocked ranges. So consecutive bookings
// are at least one buffer apart. A buffer may fall outside working hours.
// The free-slot search applies exactly the database's rule, and the
// database's exclusion constraint is the final arbiter under concurrency:
// of simultaneous bookings of one slot exactly one succeeds, the others get
// [tenant.CodeConflict].
//
// # Terms of a booking
//
// Price, currency, buffers and the cancellation and reschedule notice are
// copied onto a booking when it is made: later changes of the service or
// the booking settings do not change an existing booking. A client may
// cancel only until starts_at minus the booking's cancellation notice, and
// reschedule only until starts_at minus its reschedule notice; staff are
// not bound by the notice. Lead time and maximum advance bind every new
// time (a booking or a reschedule), for staff and clients alike: a free
// slot is one definition.
//
// # Service requests
//
// A booking may name a service request of the same client. An approved
// request moves to scheduled (with an event in its history); a request that
// is already scheduled or in progress is linked as it is; any other status
// refuses the booking. Cancelling the last open booking of a scheduled
// request moves it back to approved.
package scheduling
