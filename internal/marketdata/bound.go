package marketdata

import (
	"fmt"
	"time"
)

// earliestBound is the first instant a request may name: bars before the
// Unix epoch are not market data anyone has.
var earliestBound = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)

// ParseBound reads a requested window bound: RFC3339 or YYYY-MM-DD (UTC).
// With endOfDay a date-only value means the last instant of that day, so
// "end": "2020-01-31" includes that day's intraday bars. Bounds before 1970
// or later than a day after now are refused. The host service and the
// backend share this rule, so a window means the same thing to both.
func ParseBound(s string, endOfDay bool, now time.Time) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		if t, err = time.Parse(time.DateOnly, s); err != nil {
			return time.Time{}, fmt.Errorf("%q is neither RFC3339 (2020-01-02T15:04:05Z) nor YYYY-MM-DD", s)
		}
		if endOfDay {
			t = t.Add(24*time.Hour - time.Nanosecond)
		}
	}
	t = t.UTC()
	if t.Before(earliestBound) || t.After(now.Add(24*time.Hour)) {
		return time.Time{}, fmt.Errorf("%s is outside 1970-01-01 .. now + 1 day", s)
	}
	return t, nil
}
