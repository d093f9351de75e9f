package indicators

import "math"

// nans returns a slice of n NaNs.
func nans(n int) []float64 {
	out := make([]float64, n)
	fillNaN(out)
	return out
}

// fillNaN sets every entry of s to NaN.
func fillNaN(s []float64) {
	nan := math.NaN()
	for i := range s {
		s[i] = nan
	}
}

// ratio returns num/den, or 0 when den is 0 (the TA-Lib convention for a zero denominator).
func ratio(num, den float64) float64 {
	if den == 0 {
		return 0
	}
	return num / den
}

// trueRange is max(high-low, |prevClose-high|, |prevClose-low|), evaluated in TA-Lib's order.
func trueRange(high, low, prevClose float64) float64 {
	g := high - low
	if v := math.Abs(prevClose - high); v > g {
		g = v
	}
	if v := math.Abs(prevClose - low); v > g {
		g = v
	}
	return g
}

// extremes yields the highest high and the lowest low of a sliding window of period bars
// in O(1) per bar with no data-dependent branches (van Herk / Gil-Werman): bars are cut
// into blocks of period; the window ending at bar i is the suffix of the previous block
// from i-period+1 plus the prefix of the current block up to i, so its extreme is the
// extreme of a stored suffix extreme and a running prefix extreme. The suffix extremes
// of a block are computed in one backward pass when the block is complete. (TA-Lib
// tracks the extreme's index and rescans the window when it leaves, O(period) per bar
// on a trending series.)
type extremes struct {
	high, low  []float64
	period     int
	r          int       // offset of the next bar in its block
	sufH, sufL []float64 // suffix extremes of the previous block, by offset
	preH, preL float64   // prefix extremes of the current block
}

func newExtremes(high, low []float64, period int) extremes {
	buf := make([]float64, 2*period)
	return extremes{high: high, low: low, period: period, sufH: buf[:period:period], sufL: buf[period:]}
}

// push takes bar i (bars must come in order from 0) and returns the extremes of
// [i-period+1, i]; the result is meaningful from i = period-1 on.
func (e *extremes) push(i int) (highest, lowest float64) {
	h, l := e.high[i], e.low[i]
	r := e.r
	if r == e.period {
		e.suffixes(i - 1)
		r = 0
	}
	if r == 0 {
		e.preH, e.preL = h, l
	} else {
		e.preH = max(e.preH, h)
		e.preL = min(e.preL, l)
	}
	e.r = r + 1
	if r == e.period-1 { // the window is exactly the current block
		return e.preH, e.preL
	}
	return max(e.sufH[r+1], e.preH), min(e.sufL[r+1], e.preL)
}

// suffixes computes the suffix extremes of the block that ends at bar end.
func (e *extremes) suffixes(end int) {
	start := end - e.period + 1
	high, low := e.high[start:end+1], e.low[start:end+1]
	sh, sl := e.sufH[:len(high)], e.sufL[:len(high)]
	h, l := high[len(high)-1], low[len(low)-1]
	for j := len(high) - 1; j >= 0; j-- {
		h = max(h, high[j])
		l = min(l, low[j])
		sh[j], sl[j] = h, l
	}
}
