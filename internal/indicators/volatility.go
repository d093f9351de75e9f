package indicators

import "math"

// Bollinger returns Bollinger bands: middle = SMA(x, period), upper/lower = middle ± k*sd,
// where sd is the population standard deviation of the window (divisor period), as in
// talib.BBands with SMA.
//
// Warm-up: period-1 leading NaNs in all three bands. The variance is computed from sums
// of deviations from a reference value re-anchored inside the window every period bars
// and whenever a large value leaves the window (an exact recomputation, O(1) amortized
// per bar), so it neither cancels like TA-Lib's E[x²]-E[x]² nor drifts over long series; a window of identical values has sd exactly
// 0. TA-Lib zeroes any variance below 1e-14 in absolute terms, which would also flatten
// genuinely tiny-priced series; here only negative rounding residue is clamped to 0.
// Invalid period (< 1 or > len(x)): all NaN.
func Bollinger(x []float64, period int, k float64) (upper, middle, lower []float64) {
	n := len(x)
	upper = make([]float64, n)
	middle = make([]float64, n)
	lower = make([]float64, n)
	if period < 1 || period > n {
		fillNaN(upper)
		fillNaN(middle)
		fillNaN(lower)
		return upper, middle, lower
	}
	fillNaN(upper[:period-1])
	fillNaN(middle[:period-1])
	fillNaN(lower[:period-1])
	bollinger(x, period, k, upper, middle, lower, nil)
	return upper, middle, lower
}

// BollingerWidth is the relative width of the Bollinger bands, (upper-lower)/middle =
// 2*k*sd/SMA(x, period); 0 when the middle band is 0.
//
// Warm-up: period-1 leading NaNs. Invalid period (< 1 or > len(x)): all NaN.
func BollingerWidth(x []float64, period int, k float64) []float64 {
	n := len(x)
	out := make([]float64, n)
	if period < 1 || period > n {
		fillNaN(out)
		return out
	}
	fillNaN(out[:period-1])
	bollinger(x, period, k, nil, nil, nil, out)
	return out
}

// bollingerAll returns the three bands and the width in one pass.
func bollingerAll(x []float64, period int, k float64) (upper, middle, lower, width []float64) {
	n := len(x)
	upper, middle, lower, width = make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	if period < 1 || period > n {
		for _, s := range [][]float64{upper, middle, lower, width} {
			fillNaN(s)
		}
		return upper, middle, lower, width
	}
	for _, s := range [][]float64{upper, middle, lower, width} {
		fillNaN(s[:period-1])
	}
	bollinger(x, period, k, upper, middle, lower, width)
	return upper, middle, lower, width
}

// bollinger writes the bands and/or the width for every i >= period-1 into the non-nil
// outputs. It needs 1 <= period <= len(x).
//
// It keeps s1 = Σ(v-c) and s2 = Σ(v-c)² over the window for a shift c, updated by one
// add and one drop per bar. Every period bars, c is moved to the newest value and both
// sums are recomputed exactly, so c stays within about one window of the data (little
// cancellation in s2/p - (s1/p)²) and rounding accumulates over at most period updates.
// The sums are also recomputed at once when s2 falls below 1/1000 of its peak since the
// last recomputation (a large value has left the window): the rounding error of the
// updates is relative to that peak, so the bound stays within ~1e3*period ulps of s2.
func bollinger(x []float64, period int, k float64, upper, middle, lower, width []float64) {
	n := len(x)
	inv := 1 / float64(period)
	var c, s1, s2, peak float64
	lastChange := 0 // last bar that differs from the bar before it
	for i := 1; i < period-1; i++ {
		if x[i] != x[i-1] {
			lastChange = i
		}
	}
	next := period - 1 // next bar at which to recompute
	for i := period - 1; i < n; i++ {
		v := x[i]
		if i > 0 && v != x[i-1] {
			lastChange = i
		}
		if i < next {
			dn := v - c
			do := x[i-period] - c
			s1 += dn - do
			s2 += dn*dn - do*do
			if s2 > peak {
				peak = s2
			} else if s2 < peak*1e-3 {
				next = i
			}
		}
		if i == next {
			c = v
			s1, s2 = 0, 0
			for _, w := range x[i-period+1 : i] {
				d := w - c
				s1 += d
				s2 += d * d
			}
			peak = s2
			next = i + period
		}
		mean, sd := v, 0.0
		if i-lastChange < period-1 { // not all values of the window are equal
			m := s1 * inv
			mean = c + m
			if variance := s2*inv - m*m; variance > 0 {
				sd = math.Sqrt(variance)
			}
		}
		dev := k * sd
		if upper != nil {
			upper[i] = mean + dev
			middle[i] = mean
			lower[i] = mean - dev
		}
		if width != nil {
			width[i] = ratio(2*dev, mean)
		}
	}
}

// ATR is Wilder's average true range (talib.Atr).
//
// Warm-up: period leading NaNs: the true range of bar 0 is undefined (no previous close),
// out[period] is the mean true range of bars 1..period, then
// out[t] = (out[t-1]*(period-1)+TR[t])/period. Invalid period (< 1 or >= len(close)) or
// high/low/close of different lengths: all NaN.
func ATR(high, low, close []float64, period int) []float64 {
	n := len(close)
	out := make([]float64, n)
	if period < 1 || period >= n || !validHLC(high, low, close) {
		fillNaN(out)
		return out
	}
	fillNaN(out[:period])
	high, low = high[:n], low[:n]
	p := float64(period)
	sum := 0.0
	for i := 1; i <= period; i++ {
		sum += trueRange(high[i], low[i], close[i-1])
	}
	atr := sum / p
	out[period] = atr
	a, b := (p-1)/p, 1/p // TA-Lib computes (atr*(p-1)+tr)/p; the results agree to about 1e-15
	for i := period + 1; i < n; i++ {
		atr = atr*a + trueRange(high[i], low[i], close[i-1])*b
		out[i] = atr
	}
	return out
}
