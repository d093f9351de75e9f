package marketdata

import (
	"testing"
	"time"
)

func day(n int) time.Time { return time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n) }

func bars(days ...int) []Bar {
	out := make([]Bar, len(days))
	for i, d := range days {
		out[i] = Bar{Time: day(d), Open: 1, High: 2, Low: 1, Close: 2, Volume: float64(d)}
	}
	return out
}

func TestRangeAndSlice(t *testing.T) {
	s := Series{Bars: bars(0, 2, 4, 6, 8)}
	if f, l := s.Range(); !f.Equal(day(0)) || !l.Equal(day(8)) {
		t.Errorf("Range = %v %v", f, l)
	}
	if f, l := (Series{}).Range(); !f.IsZero() || !l.IsZero() {
		t.Error("empty Range should be zero")
	}
	cases := []struct {
		start, end int
		want       []int
	}{
		{2, 6, []int{2, 4, 6}}, // inclusive on both ends
		{1, 7, []int{2, 4, 6}},
		{-5, 0, []int{0}},
		{8, 100, []int{8}},
		{9, 100, nil},
		{-5, -1, nil},
		{6, 2, nil}, // inverted
		{3, 3, nil},
	}
	for _, c := range cases {
		got := s.Slice(day(c.start), day(c.end))
		if len(got) != len(c.want) {
			t.Errorf("Slice(%d,%d) = %d bars, want %v", c.start, c.end, len(got), c.want)
			continue
		}
		for i, b := range got {
			if !b.Time.Equal(day(c.want[i])) {
				t.Errorf("Slice(%d,%d)[%d] = %v", c.start, c.end, i, b.Time)
			}
		}
	}
	// The slice must not let appends overwrite the series.
	got := s.Slice(day(0), day(2))
	_ = append(got, Bar{})
	if !s.Bars[2].Time.Equal(day(4)) {
		t.Error("append to Slice result clobbered the series")
	}
}

func TestMerge(t *testing.T) {
	s := Series{Bars: bars(0, 2, 4)}
	other := bars(5, 4, 1) // unsorted on purpose
	other[1].Close = 99    // the other's day 4 must win
	s.Merge(other)
	want := []int{0, 1, 2, 4, 5}
	if len(s.Bars) != len(want) {
		t.Fatalf("merged %d bars, want %d", len(s.Bars), len(want))
	}
	for i, d := range want {
		if !s.Bars[i].Time.Equal(day(d)) {
			t.Errorf("bar %d at %v, want day %d", i, s.Bars[i].Time, d)
		}
	}
	if s.Bars[3].Close != 99 {
		t.Errorf("equal timestamp: other should win, got close %v", s.Bars[3].Close)
	}
	s.Merge(nil)
	if len(s.Bars) != 5 {
		t.Error("merging nothing changed the series")
	}
}

func TestBarValid(t *testing.T) {
	ok := Bar{Open: 2, High: 3, Low: 1, Close: 2.5, Volume: 0}
	if !ok.Valid() {
		t.Error("valid bar rejected")
	}
	for _, b := range []Bar{
		{Open: 2, High: 1, Low: 3, Close: 2},
		{Open: 4, High: 3, Low: 1, Close: 2},
		{Open: 2, High: 3, Low: 1, Close: 0.5},
		{Open: 2, High: 3, Low: 1, Close: 2, Volume: -1},
		{Open: 0, High: 0, Low: 0, Close: 0},
	} {
		if b.Valid() {
			t.Errorf("invalid bar accepted: %+v", b)
		}
	}
}

func TestParseBound(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in        string
		endOfDay  bool
		want      time.Time
		wantError bool
	}{
		{"2020-01-31", false, time.Date(2020, 1, 31, 0, 0, 0, 0, time.UTC), false},
		{"2020-01-31", true, time.Date(2020, 1, 31, 23, 59, 59, 999999999, time.UTC), false},
		{"2020-01-31T10:00:00+02:00", true, time.Date(2020, 1, 31, 8, 0, 0, 0, time.UTC), false},
		{"1969-12-31", false, time.Time{}, true},
		{"2026-01-03", false, time.Time{}, true},
		{"yesterday", false, time.Time{}, true},
	} {
		got, err := ParseBound(c.in, c.endOfDay, now)
		if (err != nil) != c.wantError || !got.Equal(c.want) {
			t.Errorf("ParseBound(%q, %v) = %v, %v", c.in, c.endOfDay, got, err)
		}
	}
}
