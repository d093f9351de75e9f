package training

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ktrdr/ktrdr/internal/marketdata"
	"github.com/ktrdr/ktrdr/internal/strategy"
	"github.com/ktrdr/ktrdr/internal/workers"
)

// Params are a training operation's parameters. The backend resolves the
// strategy by name and ships its YAML in StrategyYAML, so the operation is
// self-contained: the worker needs no strategy files, and the operation
// record says exactly what was trained.
type Params struct {
	Strategy     string   `json:"strategy"`
	StrategyYAML string   `json:"strategy_yaml"`
	Symbols      []string `json:"symbols,omitempty"`    // overrides training_data.symbols
	Timeframes   []string `json:"timeframes,omitempty"` // overrides training_data.timeframes
	Start        string   `json:"start,omitempty"`      // RFC3339 or YYYY-MM-DD; empty: the host's default
	End          string   `json:"end,omitempty"`
	Seed         uint64   `json:"seed"` // weights, shuffling and dropout; same seed + same data = same model
}

// DefaultSeed is the seed when a request names none.
const DefaultSeed = 42

// Plan is validated params with the strategy parsed and the overrides applied.
type Plan struct {
	Params
	Strategy   *strategy.Strategy
	Warnings   []strategy.Warning
	Start, End *time.Time
}

// ParsePlan decodes and validates params. Errors are *workers.ParamError
// naming the field, so the backend can answer 400 and a worker refuses the
// start.
func ParsePlan(raw json.RawMessage) (*Plan, error) {
	var p Params
	if err := json.Unmarshal(raw, &p); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, &workers.ParamError{Field: te.Field, Message: fmt.Sprintf("must be a JSON %s", te.Type)}
		}
		return nil, &workers.ParamError{Message: "not a JSON object: " + err.Error()}
	}
	return NewPlan(p)
}

// NewPlan validates p and applies its overrides to the strategy.
func NewPlan(p Params) (*Plan, error) {
	if p.StrategyYAML == "" {
		return nil, &workers.ParamError{Field: "strategy_yaml", Message: "the strategy's YAML is required"}
	}
	s, warns, err := strategy.Parse([]byte(p.StrategyYAML))
	if err != nil {
		return nil, &workers.ParamError{Field: "strategy", Message: err.Error()}
	}
	plan := &Plan{Params: p, Strategy: s, Warnings: warns}
	if len(p.Symbols) > 0 {
		syms := make([]string, len(p.Symbols))
		for i, sym := range p.Symbols {
			v, err := marketdata.ValidateSymbol(sym)
			if err != nil {
				return nil, &workers.ParamError{Field: fmt.Sprintf("symbols[%d]", i), Message: err.Error()}
			}
			if slices.Contains(syms[:i], v) {
				return nil, &workers.ParamError{Field: fmt.Sprintf("symbols[%d]", i), Message: fmt.Sprintf("%s is listed twice", v)}
			}
			syms[i] = v
		}
		s.Symbols = syms
	}
	if len(p.Timeframes) > 0 {
		tfs := make([]marketdata.Timeframe, len(p.Timeframes))
		for i, v := range p.Timeframes {
			tf, err := marketdata.ParseTimeframe(v)
			if err != nil {
				return nil, &workers.ParamError{Field: fmt.Sprintf("timeframes[%d]", i), Message: err.Error()}
			}
			if slices.Contains(tfs[:i], tf) {
				return nil, &workers.ParamError{Field: fmt.Sprintf("timeframes[%d]", i), Message: fmt.Sprintf("%s is listed twice", tf)}
			}
			tfs[i] = tf
		}
		if !slices.Contains(tfs, s.BaseTimeframe) {
			s.BaseTimeframe = tfs[0]
		}
		s.Timeframes = tfs
	}
	now := time.Now()
	for _, b := range []struct {
		field, v string
		dst      **time.Time
		endOfDay bool
	}{{"start", p.Start, &plan.Start, false}, {"end", p.End, &plan.End, true}} {
		if b.v == "" {
			continue
		}
		t, err := marketdata.ParseBound(b.v, b.endOfDay, now)
		if err != nil {
			return nil, &workers.ParamError{Field: b.field, Message: err.Error()}
		}
		*b.dst = &t
	}
	if plan.Start != nil && plan.End != nil && !plan.Start.Before(*plan.End) {
		return nil, &workers.ParamError{Field: "start", Message: fmt.Sprintf("start %s is not before end %s", p.Start, p.End)}
	}
	if plan.Seed == 0 {
		plan.Seed = DefaultSeed
	}
	return plan, nil
}
