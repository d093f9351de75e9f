package backtesting

import (
	"fmt"

	"github.com/ktrdr/ktrdr/internal/backtest"
	"github.com/ktrdr/ktrdr/internal/marketdata"
	"github.com/ktrdr/ktrdr/internal/strategy"
)

// RuleDecider replays a rule-based strategy's precomputed signals. Rules
// are causal (each signal uses closes up to its bar), so computing them
// over the whole series at once is the same as bar by bar.
type RuleDecider struct{ signals []backtest.Signal }

// NewRuleDecider computes a rule's signals over bars.
func NewRuleDecider(r *strategy.Rule, bars []marketdata.Bar) (*RuleDecider, error) {
	closes := make([]float64, len(bars))
	for i, b := range bars {
		closes[i] = b.Close
	}
	switch r.Type {
	case strategy.RuleMACrossover:
		return &RuleDecider{backtest.MACrossover(closes, r.FastPeriod, r.SlowPeriod, r.MA == "ema")}, nil
	case strategy.RuleRSIThreshold:
		return &RuleDecider{backtest.RSIThreshold(closes, r.Period, r.Oversold, r.Overbought)}, nil
	}
	return nil, fmt.Errorf("unknown rule type %q", r.Type)
}

// Decide implements decider; the engine applies position logic.
func (d *RuleDecider) Decide(i int, _ float64) backtest.Signal { return d.signals[i] }
