package indicators

// OBV is on-balance volume (talib.Obv): a running total that adds the bar's volume when
// the close rises, subtracts it when the close falls and keeps it when unchanged.
//
// Warm-up: none. As in TA-Lib the total starts at volume[0] (not 0), so out[0] =
// volume[0]. close and volume of different lengths: all NaN (len(close)).
func OBV(close, volume []float64) []float64 {
	n := len(close)
	out := make([]float64, n)
	if len(volume) != n {
		fillNaN(out)
		return out
	}
	if n == 0 {
		return out
	}
	volume = volume[:n]
	obv := volume[0]
	out[0] = obv
	prev := close[0]
	for i := 1; i < n; i++ {
		c, v := close[i], volume[i]
		if c > prev {
			obv += v
		}
		if c < prev {
			obv -= v
		}
		prev = c
		out[i] = obv
	}
	return out
}

// MFI is the money flow index (talib.Mfi): over the last period bars, 100 * positive
// money flow / (positive + negative money flow), where a bar's money flow is
// tp*volume with tp = (high+low+close)/3, positive when tp rose from the previous bar,
// negative when it fell, and neither when unchanged.
//
// Warm-up: period leading NaNs (the first flow is that of bar 1). As in TA-Lib the value
// is 0 when the window's total money flow is below 1. (go-talib shifts its whole output
// one bar left when this happens in the very first window; the C library and this
// package write 0 there.) Invalid period (< 1 or >= len(close)) or inputs of different
// lengths: all NaN.
func MFI(high, low, close, volume []float64, period int) []float64 {
	n := len(close)
	out := make([]float64, n)
	if period < 1 || period >= n || !validHLC(high, low, close) || len(volume) != n {
		fillNaN(out)
		return out
	}
	fillNaN(out[:period])
	high, low, volume = high[:n], low[:n], volume[:n]
	ring := make([]float64, 2*period)
	posFlow, negFlow := ring[:period], ring[period:]
	var posSum, negSum float64
	prev := (high[0] + low[0] + close[0]) / 3.0
	slot := 0
	for i := 1; i < n; i++ {
		if i > period {
			posSum -= posFlow[slot]
			negSum -= negFlow[slot]
		}
		tp := (high[i] + low[i] + close[i]) / 3.0
		d := tp - prev
		prev = tp
		mf := tp * volume[i]
		switch {
		case d < 0:
			negFlow[slot], posFlow[slot] = mf, 0
			negSum += mf
		case d > 0:
			posFlow[slot], negFlow[slot] = mf, 0
			posSum += mf
		default:
			posFlow[slot], negFlow[slot] = 0, 0
		}
		slot++
		if slot == period {
			slot = 0
		}
		if i >= period {
			if total := posSum + negSum; total < 1.0 {
				out[i] = 0
			} else {
				out[i] = 100.0 * (posSum / total)
			}
		}
	}
	return out
}

// VolumeRatio is volume / SMA(volume, period): the bar's volume relative to the mean
// volume of the last period bars, the bar itself included. A zero mean gives 0.
//
// Warm-up: period-1 leading NaNs. Invalid period (< 1 or > len(volume)): all NaN.
func VolumeRatio(volume []float64, period int) []float64 {
	out := SMA(volume, period)
	if period < 1 || period > len(volume) {
		return out
	}
	volume = volume[:len(out)]
	for i := period - 1; i < len(out); i++ {
		out[i] = ratio(volume[i], out[i])
	}
	return out
}
