package indicators

// SMA is the simple moving average of the last period values.
//
// Warm-up: period-1 leading NaNs; out[period-1] is the mean of x[0:period]. It is a
// running sum updated in TA-Lib's order (add the new value, divide, drop the oldest), so
// it matches talib.Sma to the last bits. Invalid period (< 1 or > len(x)): all NaN.
func SMA(x []float64, period int) []float64 {
	n := len(x)
	out := make([]float64, n)
	if period < 1 || period > n {
		fillNaN(out)
		return out
	}
	fillNaN(out[:period-1])
	p := float64(period)
	sum := 0.0
	for _, v := range x[:period-1] {
		sum += v
	}
	for i := period - 1; i < n; i++ {
		sum += x[i]
		out[i] = sum / p
		sum -= x[i-period+1]
	}
	return out
}

// EMA is the exponential moving average with alpha = 2/(period+1), seeded with the SMA
// of the first period values (TA-Lib convention).
//
// Warm-up: period-1 leading NaNs; out[period-1] = mean(x[0:period]); then
// out[t] = (x[t]-out[t-1])*alpha + out[t-1], the same expression as talib.Ema.
// Invalid period (< 1 or > len(x)): all NaN.
func EMA(x []float64, period int) []float64 {
	n := len(x)
	out := make([]float64, n)
	if period < 1 || period > n {
		fillNaN(out)
		return out
	}
	fillNaN(out[:period-1])
	emaSeeded(out, x, period)
	return out
}

// emaSeeded writes the EMA of x into out[period-1:]; it needs len(x) >= period >= 1.
func emaSeeded(out, x []float64, period int) {
	k := 2.0 / float64(period+1)
	sum := 0.0
	for _, v := range x[:period] {
		sum += v
	}
	prev := sum / float64(period)
	out[period-1] = prev
	out = out[:len(x)]
	for i := period; i < len(x); i++ {
		prev = (x[i]-prev)*k + prev
		out[i] = prev
	}
}

// DistanceFromMA is the percent distance of x from its moving average,
// 100*(x-MA)/MA, where MA is SMA(x, period), or EMA(x, period) when ema is true.
//
// Warm-up: period-1 leading NaNs (those of the moving average). A zero moving average
// gives 0. Invalid period (< 1 or > len(x)): all NaN.
func DistanceFromMA(x []float64, period int, ema bool) []float64 {
	var out []float64
	if ema {
		out = EMA(x, period)
	} else {
		out = SMA(x, period)
	}
	if period < 1 || period > len(x) {
		return out
	}
	x = x[:len(out)]
	for i := period - 1; i < len(out); i++ {
		if m := out[i]; m != 0 {
			out[i] = 100 * (x[i] - m) / m
		}
	}
	return out
}
