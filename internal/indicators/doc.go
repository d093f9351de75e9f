// Package indicators computes technical indicators over columns of float64 bars, and
// holds the catalog the strategy loader validates `indicators:` entries against and the
// feature pipeline computes columns from.
//
// Every function returns slices of len(input) (len(close) for bar-based indicators);
// entries where the indicator is not yet defined (the warm-up) are math.NaN(), and the
// inputs are never modified. Invalid periods (< 1, or too long for the data) give all-NaN
// output instead of panicking, as do high/low/close/volume columns of different lengths.
// The values follow TA-Lib (as ported by github.com/markcheno/go-talib) to 1e-9 or
// better, most of them bit for bit; the tests compare every indicator against it. A zero
// denominator gives 0, as in TA-Lib. Each function is one O(n) pass without per-bar allocation, except CCI,
// whose mean absolute deviation needs O(period) per bar.
//
// # Warm-up conventions
//
// Leading NaNs per output, and how the first defined value is seeded:
//
//	Function        Leading NaNs            Seed
//	SMA             period-1                mean of x[0:period]
//	EMA             period-1                SMA of x[0:period] at period-1, then alpha = 2/(period+1)
//	RSI             period                  mean gain/loss of the first period changes, then Wilder (1/period)
//	MACD            slow+signal-2 (all 3)   line = EMA(fast)-EMA(slow) (each EMA-seeded); signal = EMA of the
//	                                        line seeded with the SMA of its first signal values
//	Bollinger       period-1 (all 3)        SMA ± k * population stddev of the window
//	BollingerWidth  period-1                (upper-lower)/middle
//	ATR             period                  TR of bar 0 undefined; mean TR of bars 1..period, then Wilder
//	Stochastic      fastK+slowK+slowD-3     both k and d start at d's lookback (TA-Lib)
//	                (k and d)
//	WilliamsR       period-1                window of period bars
//	ROC             period                  x[t-period] needed
//	Momentum        period                  x[t-period] needed
//	CCI             period-1                window of period typical prices
//	OBV             0                       OBV[0] = volume[0] (TA-Lib), not 0
//	ADX             2*period-1              DM/TR summed over bars 1..period-1, Wilder-smoothed; ADX =
//	                                        mean DX of bars period..2*period-1, then Wilder
//	MFI             period                  money flows of bars 1..period
//	DistanceFromMA  period-1                that of the SMA or EMA
//	VolumeRatio     period-1                that of the volume SMA
//
// The catalog entries (see All) report the same numbers through Definition.WarmUp.
//
// # Differences from go-talib
//
// RSI, ATR and ADX multiply by (period-1)/period and 1/period computed once where TA-Lib
// divides on every bar (they agree to ~1e-15). MACD's signal is seeded like the C TA-Lib
// (SMA of the first signal line values); go-talib runs it over a zero-padded line, so its
// signal and histogram start off by a gap that shrinks by a factor 1-2/(signal+1) per bar
// (below 1e-9 after about 10*(signal+1) bars); its line also appears one bar before its
// own lookback. Bollinger's deviation is computed without TA-Lib's E[x²]-E[x]²
// cancellation and without its absolute 1e-14 variance floor. CCI is 0 on a window of
// identical typical prices, where TA-Lib's rounding can give ±66.67. MFI writes 0 rather
// than shifting its output when the first window has no money flow.
package indicators
