package scheduling_test

import (
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/scheduling"
)

// What staff are offered for a booking is what the changes accept: confirm
// a pending one; complete or mark a no-show once a confirmed one has
// started; cancel or reschedule an active one; nothing for a finished one.
func TestStaffActions(t *testing.T) {
	start := time.Date(2027, 1, 13, 10, 0, 0, 0, time.UTC)
	before, after := start.Add(-time.Minute), start.Add(time.Minute)
	for _, tc := range []struct {
		status scheduling.Status
		now    time.Time
		want   scheduling.StaffActions
	}{
		{scheduling.StatusPending, before, scheduling.StaffActions{Confirm: true, Cancel: true, Reschedule: true}},
		{scheduling.StatusPending, after, scheduling.StaffActions{Confirm: true, Cancel: true, Reschedule: true}},
		{scheduling.StatusConfirmed, before, scheduling.StaffActions{Cancel: true, Reschedule: true}},
		{scheduling.StatusConfirmed, start, scheduling.StaffActions{Complete: true, NoShow: true, Cancel: true, Reschedule: true}},
		{scheduling.StatusCancelled, after, scheduling.StaffActions{}},
		{scheduling.StatusCompleted, after, scheduling.StaffActions{}},
		{scheduling.StatusNoShow, after, scheduling.StaffActions{}},
	} {
		b := scheduling.Booking{Status: tc.status, StartsAt: start}
		if got := b.StaffActions(tc.now); got != tc.want {
			t.Errorf("%s at %v: %+v, want %+v", tc.status, tc.now.Sub(start), got, tc.want)
		}
	}
}
