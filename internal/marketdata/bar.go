package marketdata

import (
	"math"
	"sort"
	"time"
)

// Bar is one OHLCV bar. Time is the bar's opening time in UTC.
type Bar struct {
	Time   time.Time `json:"time"`
	Open   float64   `json:"open"`
	High   float64   `json:"high"`
	Low    float64   `json:"low"`
	Close  float64   `json:"close"`
	Volume float64   `json:"volume"`
}

// Valid reports whether the bar satisfies the invariants Check enforces:
// finite, positive prices, low <= open, close <= high, volume >= 0.
func (b Bar) Valid() bool {
	for _, v := range [...]float64{b.Open, b.High, b.Low, b.Close, b.Volume} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return b.Low > 0 && b.Low <= b.High &&
		b.Open >= b.Low && b.Open <= b.High &&
		b.Close >= b.Low && b.Close <= b.High &&
		b.Volume >= 0
}

// Series is the bars of one symbol at one timeframe. Bars are kept sorted by
// Time with unique timestamps; the helpers rely on and preserve that.
type Series struct {
	Symbol    string    `json:"symbol"`
	Timeframe Timeframe `json:"timeframe"`
	Bars      []Bar     `json:"bars"`
}

// Range returns the times of the first and last bar (zero times if empty).
func (s Series) Range() (first, last time.Time) {
	if len(s.Bars) == 0 {
		return time.Time{}, time.Time{}
	}
	return s.Bars[0].Time, s.Bars[len(s.Bars)-1].Time
}

// Slice returns the bars with start <= Time <= end. The result shares the
// series' backing array (no copy: slicing a cached series must be cheap).
func (s Series) Slice(start, end time.Time) []Bar {
	lo := sort.Search(len(s.Bars), func(i int) bool { return !s.Bars[i].Time.Before(start) })
	hi := sort.Search(len(s.Bars), func(i int) bool { return s.Bars[i].Time.After(end) })
	if hi < lo {
		hi = lo
	}
	return s.Bars[lo:hi:hi]
}

// Merge adds other's bars to the series: the union by time, sorted. On equal
// timestamps other wins, because merging is how a cache absorbs a fresh
// download, and the newer fetch carries the provider's corrections (e.g. a
// revised volume or a partial last bar that has since completed).
func (s *Series) Merge(other []Bar) {
	all := make([]Bar, 0, len(s.Bars)+len(other))
	all = append(all, s.Bars...)
	all = append(all, other...)
	// Stable: among equal times, other's bars come after the series' own.
	sort.SliceStable(all, func(i, j int) bool { return all[i].Time.Before(all[j].Time) })
	out := all[:0]
	for _, b := range all {
		if n := len(out); n > 0 && out[n-1].Time.Equal(b.Time) {
			out[n-1] = b // keep the last of an equal run
			continue
		}
		out = append(out, b)
	}
	s.Bars = out
}
