package jobs

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/mailer"
	"github.com/tenantkit/tenantkit/store"
)

// bookingICS renders booking b as an iCalendar (RFC 5545) event. Its UID
// is the booking's own, so a calendar that holds the entry updates it in
// place when a later message carries it again; SEQUENCE grows with each
// change of the booking (its updated_at), so the newest one wins.
//
// A cancelled booking's entry says so (METHOD:CANCEL, STATUS:CANCELLED),
// so the calendar removes it.
func bookingICS(b store.GetBookingMailRow, firm string, stamp time.Time) mailer.Attachment {
	const layout = "20060102T150405Z"
	method, status := "PUBLISH", "CONFIRMED"
	if b.Status == "cancelled" {
		method, status = "CANCEL", "CANCELLED"
	}
	lines := []string{
		"BEGIN:VCALENDAR",
		"VERSION:2.0",
		"PRODID:-//tenantkit//bookings//EN",
		"METHOD:" + method,
		"BEGIN:VEVENT",
		"UID:" + BookingUID(b.ID),
		fmt.Sprintf("SEQUENCE:%d", b.UpdatedAt.Unix()%(1<<31)),
		"DTSTAMP:" + stamp.UTC().Format(layout),
		"DTSTART:" + b.StartsAt.UTC().Format(layout),
		"DTEND:" + b.EndsAt.UTC().Format(layout),
		"SUMMARY:" + icsText(b.ServiceName+" — "+firm),
		"STATUS:" + status,
		"END:VEVENT",
		"END:VCALENDAR",
	}
	var out strings.Builder
	for _, l := range lines {
		out.WriteString(fold(l))
	}
	return mailer.Attachment{Name: "booking.ics", ContentType: "text/calendar; charset=utf-8; method=" + method, Data: []byte(out.String())}
}

// BookingUID is the iCalendar UID of a booking: the same in every message
// about it. Booking ids are random (v4), so the id alone is unique.
func BookingUID(bookingID uuid.UUID) string {
	return "booking-" + bookingID.String() + "@tenantkit"
}

// icsText escapes a TEXT value (RFC 5545 3.3.11).
func icsText(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`).Replace(s)
}

// fold ends a content line with CRLF, folding it at 75 octets without
// splitting a UTF-8 sequence.
func fold(line string) string {
	var b strings.Builder
	n := 0
	for _, r := range line {
		l := len(string(r))
		if n+l > 75 {
			b.WriteString("\r\n ")
			n = 1
		}
		b.WriteRune(r)
		n += l
	}
	b.WriteString("\r\n")
	return b.String()
}
