package indicators

import "math"

// MACD is the moving average convergence/divergence of talib.Macd:
// line = EMA(x, fast) - EMA(x, slow), sig = EMA of the line over signal bars,
// hist = line - sig. If fast > slow the two are swapped, as in TA-Lib.
//
// Warm-up: slow+signal-2 leading NaNs in all three outputs (the TA-Lib lookback; the
// line alone is defined from slow-1). Both price EMAs are EMA's, each seeded with the SMA
// of its first period values, so the line equals talib.Macd's line exactly. The signal
// EMA is seeded with the SMA of the first signal line values
// (line[slow-1 .. slow+signal-2]), as in the C TA-Lib: go-talib instead runs it over a
// zero-padded line, so its signal starts off by a gap that shrinks by a factor
// 1-2/(signal+1) per bar (below 1e-9 after about 10*(signal+1) bars). Invalid periods (any < 1, or a warm-up >= len(x)):
// all NaN.
func MACD(x []float64, fast, slow, signal int) (line, sig, hist []float64) {
	n := len(x)
	line = make([]float64, n)
	sig = make([]float64, n)
	hist = make([]float64, n)
	if fast > slow {
		fast, slow = slow, fast
	}
	warm := slow + signal - 2
	if fast < 1 || signal < 1 || warm >= n {
		fillNaN(line)
		fillNaN(sig)
		fillNaN(hist)
		return line, sig, hist
	}
	fillNaN(line[:warm])
	fillNaN(sig[:warm])
	fillNaN(hist[:warm])

	kf := 2.0 / float64(fast+1)
	ks := 2.0 / float64(slow+1)
	kg := 2.0 / float64(signal+1)
	var fsum, ssum float64
	for _, v := range x[:fast] {
		fsum += v
	}
	fe := fsum / float64(fast)
	for _, v := range x[fast:slow] {
		fe = (v-fe)*kf + fe
	}
	for _, v := range x[:slow] {
		ssum += v
	}
	se := ssum / float64(slow)

	// Seed of the signal: the mean of the first signal line values.
	l := fe - se
	gsum := l
	for i := slow; i <= warm; i++ {
		v := x[i]
		fe = (v-fe)*kf + fe
		se = (v-se)*ks + se
		l = fe - se
		gsum += l
	}
	g := gsum / float64(signal)
	line[warm], sig[warm], hist[warm] = l, g, l-g
	for i := warm + 1; i < n; i++ {
		v := x[i]
		fe = (v-fe)*kf + fe
		se = (v-se)*ks + se
		l = fe - se
		g = (l-g)*kg + g
		line[i], sig[i], hist[i] = l, g, l-g
	}
	return line, sig, hist
}

// ADX is Wilder's average directional index (talib.Adx).
//
// Warm-up: 2*period-1 leading NaNs. As in TA-Lib, +DM, -DM and the true range are summed
// over bars 1..period-1, then Wilder-smoothed (s = s - s/period + new) from bar period on;
// DX = 100*|+DI - -DI|/(+DI + -DI) is averaged over bars period..2*period-1 to seed the
// ADX at bar 2*period-1, which is then smoothed as adx = (adx*(period-1)+DX)/period. A bar
// whose smoothed true range, or +DI + -DI, is within 1e-14 of zero contributes no DX
// (TA-Lib). Invalid period (< 1 or 2*period > len(close)) or high/low/close of
// different lengths: all NaN.
func ADX(high, low, close []float64, period int) []float64 {
	n := len(close)
	out := make([]float64, n)
	warm := 2*period - 1
	if period < 1 || warm >= n || !validHLC(high, low, close) {
		fillNaN(out)
		return out
	}
	fillNaN(out[:warm])
	high, low = high[:n], low[:n]
	p := float64(period)
	// Wilder smoothing with hoisted constants: s - s/p = s*a, (adx*(p-1)+dx)/p = adx*a+dx*b
	// (TA-Lib divides on every bar; the results agree to about 1e-15).
	a, b := (p-1)/p, 1/p
	var pdm, mdm, tr float64
	ph, pl, pc := high[0], low[0], close[0]
	i := 1
	for ; i < period; i++ {
		h, l := high[i], low[i]
		up, dn := h-ph, pl-l
		ph, pl = h, l
		if dn > 0 && up < dn {
			mdm += dn
		} else if up > 0 && up > dn {
			pdm += up
		}
		tr += trueRange(h, l, pc)
		pc = close[i]
	}
	sumDX := 0.0
	for ; i <= warm; i++ {
		h, l := high[i], low[i]
		up, dn := h-ph, pl-l
		ph, pl = h, l
		mdm *= a
		pdm *= a
		if dn > 0 && up < dn {
			mdm += dn
		} else if up > 0 && up > dn {
			pdm += up
		}
		tr = tr*a + trueRange(h, l, pc)
		pc = close[i]
		if dx, ok := dxValue(pdm, mdm, tr); ok {
			sumDX += dx
		}
	}
	adx := sumDX / p
	out[warm] = adx
	for ; i < n; i++ {
		h, l := high[i], low[i]
		up, dn := h-ph, pl-l
		ph, pl = h, l
		mdm *= a
		pdm *= a
		if dn > 0 && up < dn {
			mdm += dn
		} else if up > 0 && up > dn {
			pdm += up
		}
		tr = tr*a + trueRange(h, l, pc)
		pc = close[i]
		if dx, ok := dxValue(pdm, mdm, tr); ok {
			adx = adx*a + dx*b
		}
		out[i] = adx
	}
	return out
}

// dxValue returns DX for the smoothed +DM, -DM and true range, and false when TA-Lib
// skips the bar (true range or DI sum within 1e-14 of zero).
func dxValue(pdm, mdm, tr float64) (float64, bool) {
	if tr > -1e-14 && tr < 1e-14 {
		return 0, false
	}
	minusDI := 100.0 * (mdm / tr)
	plusDI := 100.0 * (pdm / tr)
	s := minusDI + plusDI
	if s > -1e-14 && s < 1e-14 {
		return 0, false
	}
	return 100.0 * (math.Abs(minusDI-plusDI) / s), true
}
