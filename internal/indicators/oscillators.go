package indicators

import "math"

// RSI is Wilder's relative strength index, 100*avgGain/(avgGain+avgLoss), TA-Lib convention.
//
// Warm-up: period leading NaNs. out[period] uses the plain means of the gains and losses
// of the first period changes (x[1]-x[0] .. x[period]-x[period-1]); after that both
// averages are Wilder-smoothed, avg = (avg*(period-1)+change)/period. When
// avgGain+avgLoss is within 1e-14 of zero (a flat series) the value is 0, as in TA-Lib.
// A monotonically rising series gives 100. Invalid period (< 1 or >= len(x), since
// period+1 values are needed): all NaN. (TA-Lib rejects period 1; here it is the
// unsmoothed 100/0 of each change.)
func RSI(x []float64, period int) []float64 {
	n := len(x)
	out := make([]float64, n)
	if period < 1 || period >= n {
		fillNaN(out)
		return out
	}
	fillNaN(out[:period])
	p := float64(period)
	pm1 := float64(period - 1)
	var gain, loss float64
	for i := 1; i <= period; i++ {
		if d := x[i] - x[i-1]; d < 0 {
			loss -= d
		} else {
			gain += d
		}
	}
	loss /= p
	gain /= p
	out[period] = rsiValue(gain, loss)
	// Wilder: avg = avg*(period-1)/period + change/period, with the constants hoisted (TA-Lib
	// divides by period on every bar; the results agree to about 1e-15).
	a, b := pm1/p, 1/p
	prev := x[period]
	for i := period + 1; i < n; i++ {
		v := x[i]
		d := v - prev
		prev = v
		gain = gain*a + max(d, 0)*b
		loss = loss*a + max(-d, 0)*b
		out[i] = rsiValue(gain, loss)
	}
	return out
}

func rsiValue(gain, loss float64) float64 {
	s := gain + loss
	if s > -1e-14 && s < 1e-14 {
		return 0
	}
	return 100 * (gain / s)
}

// ROC is the rate of change in percent, (x[t]/x[t-period]-1)*100, like talib.Roc.
//
// Warm-up: period leading NaNs. A zero x[t-period] gives 0 (TA-Lib). Invalid period
// (< 1 or >= len(x)): all NaN.
func ROC(x []float64, period int) []float64 {
	n := len(x)
	out := make([]float64, n)
	if period < 1 || period >= n {
		fillNaN(out)
		return out
	}
	fillNaN(out[:period])
	prev := x[:n-period]
	cur := x[period:]
	dst := out[period:]
	for i, c := range cur {
		if p := prev[i]; p != 0 {
			dst[i] = ((c / p) - 1.0) * 100.0
		} else {
			dst[i] = 0
		}
	}
	return out
}

// Momentum is x[t]-x[t-period] (talib.Mom).
//
// Warm-up: period leading NaNs. Invalid period (< 1 or >= len(x)): all NaN.
func Momentum(x []float64, period int) []float64 {
	n := len(x)
	out := make([]float64, n)
	if period < 1 || period >= n {
		fillNaN(out)
		return out
	}
	fillNaN(out[:period])
	prev := x[:n-period]
	cur := x[period:]
	dst := out[period:]
	for i, c := range cur {
		dst[i] = c - prev[i]
	}
	return out
}

// validHLC reports whether high, low and close have the same length.
func validHLC(high, low, close []float64) bool {
	return len(high) == len(close) && len(low) == len(close)
}

// Stochastic is the slow stochastic oscillator of talib.Stoch with SMA smoothing:
// fast %K = 100*(close-lowest low)/(highest high-lowest low) over fastK bars (0 when the
// range is 0), k = SMA(fast %K, slowK), d = SMA(k, slowD).
//
// Warm-up: fastK+slowK+slowD-3 leading NaNs in both k and d (TA-Lib starts both outputs
// at the lookback of d, although k alone is defined slowD-1 bars earlier). Highest and
// lowest are rolling window extremes in O(1) per bar. Invalid periods
// (any < 1, or a warm-up >= len(close)) or high/low/close of different lengths: all NaN.
func Stochastic(high, low, close []float64, fastK, slowK, slowD int) (k, d []float64) {
	n := len(close)
	k = make([]float64, n)
	d = make([]float64, n)
	warm := fastK + slowK + slowD - 3
	if fastK < 1 || slowK < 1 || slowD < 1 || warm >= n || !validHLC(high, low, close) {
		fillNaN(k)
		fillNaN(d)
		return k, d
	}
	fillNaN(k[:warm])
	fillNaN(d[:warm])
	high, low = high[:n], low[:n]

	ring := make([]float64, slowK+slowD)
	rk, rd := ring[:slowK], ring[slowK:]
	fk, fd := float64(slowK), float64(slowD)
	var sumK, sumD float64
	kpos, dpos := 0, 0
	ext := newExtremes(high, low, fastK)
	for i := 0; i < n; i++ {
		highest, lowest := ext.push(i)
		j := i - (fastK - 1) // index in the fast %K series
		if j < 0 {
			continue
		}
		fast := 0.0
		if diff := (highest - lowest) / 100.0; diff != 0 {
			fast = (close[i] - lowest) / diff
		}
		// slow %K: SMA over the fast %K stream, in talib.Sma's order of operations.
		rk[kpos] = fast
		sumK += fast
		kpos++
		if kpos == slowK {
			kpos = 0
		}
		if j < slowK-1 {
			continue
		}
		sk := sumK / fk
		sumK -= rk[kpos] // oldest of this window; kpos is now the next slot
		// slow %D: SMA over the slow %K stream.
		rd[dpos] = sk
		sumD += sk
		dpos++
		if dpos == slowD {
			dpos = 0
		}
		if j < slowK+slowD-2 {
			continue
		}
		sd := sumD / fd
		sumD -= rd[dpos]
		k[i] = sk
		d[i] = sd
	}
	return k, d
}

// WilliamsR is Williams' %R, -100*(highest high-close)/(highest high-lowest low) over the
// last period bars (talib.WillR); 0 when the range is 0.
//
// Warm-up: period-1 leading NaNs. Invalid period (< 1 or > len(close)) or
// high/low/close of different lengths: all NaN.
func WilliamsR(high, low, close []float64, period int) []float64 {
	n := len(close)
	out := make([]float64, n)
	if period < 1 || period > n || !validHLC(high, low, close) {
		fillNaN(out)
		return out
	}
	fillNaN(out[:period-1])
	high, low = high[:n], low[:n]
	ext := newExtremes(high, low, period)
	for i := 0; i < n; i++ {
		highest, lowest := ext.push(i)
		if i < period-1 {
			continue
		}
		if diff := (highest - lowest) / (-100.0); diff != 0 {
			out[i] = (highest - close[i]) / diff
		} else {
			out[i] = 0
		}
	}
	return out
}

// CCI is the commodity channel index over the typical price tp = (high+low+close)/3:
// (tp - mean(tp))/(0.015*meanAbsDev(tp)) over the last period bars (talib.Cci).
//
// Warm-up: period-1 leading NaNs. The value is 0 when tp equals its mean or the mean
// deviation is 0 (TA-Lib), and also when the window's typical prices are all identical
// (TA-Lib can return ±66.67 there from the rounding of the mean). The mean absolute
// deviation needs one pass over the window per bar (O(period) per bar, like TA-Lib);
// the window sum for the next bar is gathered in the same pass, so it never drifts.
// Invalid period (< 1 or > len(close)) or high/low/close of different lengths: all NaN.
func CCI(high, low, close []float64, period int) []float64 {
	n := len(close)
	out := make([]float64, n)
	if period < 1 || period > n || !validHLC(high, low, close) {
		fillNaN(out)
		return out
	}
	fillNaN(out[:period-1])
	high, low = high[:n], low[:n]
	p := float64(period)
	buf := make([]float64, period) // ring of the window's typical prices
	sum := 0.0                     // sum of the window except the newest bar
	lastChange := 0                // last bar whose tp differs from the bar before it
	prevTP := math.NaN()
	for i := 0; i < period-1; i++ {
		tp := (high[i] + low[i] + close[i]) / 3
		if tp != prevTP {
			lastChange = i
		}
		prevTP = tp
		buf[i] = tp
		sum += tp
	}
	pos := period - 1 // slot of the newest bar
	for i := period - 1; i < n; i++ {
		tp := (high[i] + low[i] + close[i]) / 3
		if tp != prevTP {
			lastChange = i
		}
		prevTP = tp
		buf[pos] = tp
		avg := (sum + tp) / p
		oldest := pos + 1
		if oldest == period {
			oldest = 0
		}
		// Mean deviation over the whole window, and the sum of all but the oldest bar.
		md := math.Abs(buf[oldest] - avg)
		next := 0.0
		for _, v := range buf[oldest+1:] {
			md += math.Abs(v - avg)
			next += v
		}
		for _, v := range buf[:oldest] {
			md += math.Abs(v - avg)
			next += v
		}
		sum = next
		pos = oldest
		num := tp - avg
		if num != 0 && md != 0 && i-lastChange < period-1 {
			out[i] = num / (0.015 * (md / p))
		} else {
			out[i] = 0
		}
	}
	return out
}
