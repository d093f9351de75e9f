// Package backtesting runs backtest operations on a backtest worker: it
// downloads the model from the backend's store, fetches bars from the host
// service, computes features with the training code path, decides bar by
// bar (model plus the strategy's decision filters, or a rule-based
// baseline) and simulates with internal/backtest.
package backtesting

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ktrdr/ktrdr/internal/backtest"
	"github.com/ktrdr/ktrdr/internal/marketdata"
	"github.com/ktrdr/ktrdr/internal/strategy"
	"github.com/ktrdr/ktrdr/internal/workers"
)

// Params are a backtest operation's parameters. As for training, the
// backend ships the strategy's YAML and resolves model_version to a number,
// so the operation says exactly what ran.
type Params struct {
	Strategy           string  `json:"strategy"`
	StrategyYAML       string  `json:"strategy_yaml"`
	Symbol             string  `json:"symbol"`
	Timeframe          string  `json:"timeframe"`
	Start              string  `json:"start,omitempty"`
	End                string  `json:"end,omitempty"`
	ModelVersion       int     `json:"model_version,omitempty"` // 0 for rule-based strategies
	InitialCapital     float64 `json:"initial_capital"`
	Commission         float64 `json:"commission"`
	CommissionPerTrade float64 `json:"commission_per_trade"`
	Slippage           float64 `json:"slippage"`
	Fill               string  `json:"fill"`          // next_open (default) or close
	PositionSize       float64 `json:"position_size"` // fraction of equity per entry, default 1
}

// Defaults of a backtest request.
const (
	DefaultCapital    = 100_000.0
	DefaultCommission = 0.001  // 0.1% of traded value
	DefaultSlippage   = 0.0005 // 5 basis points
)

// Plan is validated params.
type Plan struct {
	Params
	Strategy   *strategy.Strategy
	Timeframe  marketdata.Timeframe
	Start, End *time.Time
	Config     backtest.Config
}

// ParsePlan decodes and validates params; errors are *workers.ParamError.
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

// NewPlan validates p: the strategy parses, symbol and timeframe are
// valid, the window is not empty and the money settings are sane.
func NewPlan(p Params) (*Plan, error) {
	bad := func(field, format string, args ...any) error {
		return &workers.ParamError{Field: field, Message: fmt.Sprintf(format, args...)}
	}
	if p.StrategyYAML == "" {
		return nil, bad("strategy_yaml", "the strategy's YAML is required")
	}
	s, _, err := strategy.Parse([]byte(p.StrategyYAML))
	if err != nil {
		return nil, bad("strategy", "%v", err)
	}
	plan := &Plan{Params: p, Strategy: s}
	if plan.Symbol == "" {
		plan.Symbol = s.Symbols[0]
	}
	if plan.Symbol, err = marketdata.ValidateSymbol(plan.Symbol); err != nil {
		return nil, bad("symbol", "%v", err)
	}
	if plan.Params.Timeframe == "" {
		plan.Params.Timeframe = string(s.BaseTimeframe)
	}
	if plan.Timeframe, err = marketdata.ParseTimeframe(plan.Params.Timeframe); err != nil {
		return nil, bad("timeframe", "%v", err)
	}
	now := time.Now()
	if p.Start != "" {
		t, err := marketdata.ParseBound(p.Start, false, now)
		if err != nil {
			return nil, bad("start", "%v", err)
		}
		plan.Start = &t
	}
	if p.End != "" {
		t, err := marketdata.ParseBound(p.End, true, now)
		if err != nil {
			return nil, bad("end", "%v", err)
		}
		plan.End = &t
	}
	if plan.Start != nil && plan.End != nil && !plan.Start.Before(*plan.End) {
		return nil, bad("start", "the range is empty: start %s is not before end %s", p.Start, p.End)
	}
	if plan.InitialCapital == 0 {
		plan.InitialCapital = DefaultCapital
	}
	if plan.Fill == "" {
		plan.Fill = string(backtest.FillNextOpen)
	}
	if plan.PositionSize == 0 {
		plan.PositionSize = 1
	}
	plan.Config = backtest.Config{
		InitialCapital: plan.InitialCapital,
		Costs:          backtest.Costs{Commission: plan.Commission, CommissionPerTrade: plan.CommissionPerTrade, Slippage: plan.Slippage},
		Sizing:         backtest.Sizing{Mode: "fraction", Fraction: plan.PositionSize},
		Fill:           backtest.Fill(plan.Fill), AllowShort: s.Decisions.AllowShort, BarsPerYear: plan.Timeframe.BarsPerYear(),
	}
	if err := plan.Config.Validate(); err != nil {
		var fe *backtest.FieldError
		if errors.As(err, &fe) {
			field := fe.Field
			if field == "sizing.fraction" {
				field = "position_size"
			}
			return nil, bad(field, "%s", fe.Message)
		}
		return nil, bad("", "%v", err)
	}
	if s.Rule == nil && p.ModelVersion < 1 {
		return nil, bad("model_version", "a model-based strategy needs a model version")
	}
	return plan, nil
}

// Timeframes are the timeframes the features need, the backtest's
// timeframe first as the base: the model's, for a model trained on several.
func (p *Plan) Timeframes() []marketdata.Timeframe {
	return p.Strategy.Timeframes
}

// warmupSpan is how far before start bars are fetched so indicators have
// warmed up by the first simulated bar: history_required bars (at least
// 100), widened for weekends and, intraday, for the hours outside the
// trading session.
func warmupSpan(s *strategy.Strategy, tf marketdata.Timeframe) time.Duration {
	bars := max(s.HistoryRequired, 100)
	span := time.Duration(bars) * tf.Duration()
	if tf.Intraday() {
		span = span * 24 * 10 / 65 // 6.5 trading hours a day
	}
	return span*7/5 + 7*24*time.Hour
}
