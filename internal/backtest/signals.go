package backtest

import (
	"math"

	"github.com/ktrdr/ktrdr/internal/indicators"
)

// MACrossover is the moving-average crossover baseline: Buy on the bar where
// the fast MA crosses above the slow MA (fast > slow now, fast <= slow at the
// previous bar), Sell where it crosses below (fast < slow now, fast >= slow at
// the previous bar), Hold otherwise. ema selects EMA instead of SMA (both from
// package indicators). Bars where either MA is undefined at the bar or the one
// before (the warm-up, so up to bar slow-1 for fast < slow) are Hold; invalid
// periods give all Hold. Confidence is 1 on Buy and Sell, 0 on Hold. The
// result has len(close) entries.
func MACrossover(close []float64, fast, slow int, ema bool) []Signal {
	ma := indicators.SMA
	if ema {
		ma = indicators.EMA
	}
	f, s := ma(close, fast), ma(close, slow)
	out := make([]Signal, len(close))
	for i := 1; i < len(close); i++ {
		if math.IsNaN(f[i]) || math.IsNaN(s[i]) || math.IsNaN(f[i-1]) || math.IsNaN(s[i-1]) {
			continue
		}
		switch {
		case f[i] > s[i] && f[i-1] <= s[i-1]:
			out[i] = Signal{Action: Buy, Confidence: 1}
		case f[i] < s[i] && f[i-1] >= s[i-1]:
			out[i] = Signal{Action: Sell, Confidence: 1}
		}
	}
	return out
}

// RSIThreshold is the RSI mean-reversion baseline: Buy when RSI(period)
// crosses below oversold (RSI < oversold now, >= oversold at the previous
// bar), Sell when it crosses above overbought (RSI > overbought now, <=
// overbought at the previous bar), Hold otherwise. The RSI is
// indicators.RSI, so bars up to and including period are Hold (the value at
// the bar before is needed); an invalid period gives all Hold. Confidence is 1
// on Buy and Sell, 0 on Hold. The result has len(close) entries.
func RSIThreshold(close []float64, period int, oversold, overbought float64) []Signal {
	r := indicators.RSI(close, period)
	out := make([]Signal, len(close))
	for i := 1; i < len(close); i++ {
		if math.IsNaN(r[i]) || math.IsNaN(r[i-1]) {
			continue
		}
		switch {
		case r[i] < oversold && r[i-1] >= oversold:
			out[i] = Signal{Action: Buy, Confidence: 1}
		case r[i] > overbought && r[i-1] <= overbought:
			out[i] = Signal{Action: Sell, Confidence: 1}
		}
	}
	return out
}
