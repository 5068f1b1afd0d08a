package web_test

import (
	"testing"

	"github.com/tenantkit/tenantkit/internal/clocktest"
)

// TestDateMatrix runs the suites whose outcome depends on the date at every
// instant of clocktest.Matrix: each weekday, midnight in UTC and in New
// York, a month end, a year end and both daylight-saving changes of
// America/New_York and Europe/London. `make test` runs it again with the
// process in Pacific/Auckland.
func TestDateMatrix(t *testing.T) {
	suites := []struct {
		name string
		run  func(t *testing.T, at envOption)
	}{
		{"BookingLifecycle", func(t *testing.T, at envOption) { testBookingLifecycle(t, newSched(t, at)) }},
		{"NoticeWindows", func(t *testing.T, at envOption) { testNoticeWindows(t, newSched(t, at)) }},
		{"SlotsInput", func(t *testing.T, at envOption) { testSlotsInput(t, newSched(t, at)) }},
		{"RequestAnalytics", func(t *testing.T, at envOption) { testServiceRequestAnalytics(t, newEnv(t, at)) }},
		{"Scenario", func(t *testing.T, at envOption) { testScenario(t, newEnv(t, at)) }},
	}
	for _, instant := range clocktest.Matrix {
		t.Run(instant.Name, func(t *testing.T) {
			for _, s := range suites {
				t.Run(s.name, func(t *testing.T) { s.run(t, at(instant.At)) })
			}
		})
	}
}
