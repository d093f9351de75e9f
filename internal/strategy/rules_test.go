package strategy

import (
	"testing"
)

const ruleBase = `
name: cross
training_data: {symbols: {symbol: SPX}, timeframes: {timeframe: 1d}}
rules:
`

func TestRuleBasedStrategies(t *testing.T) {
	s, warns, err := Parse([]byte(ruleBase + "  type: ma_crossover\n  ma: ema\n  fast_period: 5\n  slow_period: 20\n"))
	if err != nil || len(warns) != 0 {
		t.Fatalf("ma_crossover: %v %v", err, warns)
	}
	if s.Rule == nil || *s.Rule != (Rule{Type: RuleMACrossover, MA: "ema", FastPeriod: 5, SlowPeriod: 20}) || len(s.Indicators) != 0 {
		t.Errorf("rule = %+v", s.Rule)
	}
	s, _, err = Parse([]byte(ruleBase + "  type: rsi_threshold\n"))
	if err != nil || *s.Rule != (Rule{Type: RuleRSIThreshold, Period: 14, Oversold: 30, Overbought: 70}) {
		t.Errorf("rsi_threshold defaults: %+v %v", s.Rule, err)
	}
	model, _, err := Parse([]byte(base))
	if err != nil || model.Rule != nil {
		t.Errorf("a model-based strategy has rule %+v (%v)", model.Rule, err)
	}
	for body, path := range map[string]string{
		"  ma: sma\n":        "rules.type",
		"  type: breakout\n": "rules.type",
		"  type: ma_crossover\n  fast_period: 0\n":    "rules.fast_period",
		"  type: ma_crossover\n  slow_period: 5\n":    "rules.slow_period",
		"  type: ma_crossover\n  ma: wma\n":           "rules.ma",
		"  type: rsi_threshold\n  period: 1\n":        "rules.period",
		"  type: rsi_threshold\n  oversold: 0\n":      "rules.oversold",
		"  type: rsi_threshold\n  overbought: 20\n":   "rules.overbought",
		"  type: rsi_threshold\n  period: fourteen\n": "rules.period",
	} {
		_, _, err := Parse([]byte(ruleBase + body))
		ve, ok := err.(*ValidationError)
		if !ok || len(ve.Problems) == 0 || ve.Problems[0].Path != path {
			t.Errorf("%q: %v, want a problem at %s", body, err, path)
		}
	}
}
