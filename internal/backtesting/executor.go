package backtesting

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/ktrdr/ktrdr/internal/backtest"
	"github.com/ktrdr/ktrdr/internal/features"
	"github.com/ktrdr/ktrdr/internal/ibhost"
	"github.com/ktrdr/ktrdr/internal/marketdata"
	"github.com/ktrdr/ktrdr/internal/models"
	"github.com/ktrdr/ktrdr/internal/nn"
	"github.com/ktrdr/ktrdr/internal/operations"
	"github.com/ktrdr/ktrdr/internal/strategy"
	"github.com/ktrdr/ktrdr/internal/workers"
)

// MaxEquityPoints bounds the equity curve in a result; longer curves are
// downsampled evenly (metrics are always computed on every bar).
const MaxEquityPoints = 20000

// Executor runs backtest operations on a backtest worker.
type Executor struct {
	Host   *ibhost.Client
	Models *models.Client
	Tracer trace.Tracer
	Logger *slog.Logger
}

// ValidateParams implements workers.ParamsValidator.
func (e *Executor) ValidateParams(raw json.RawMessage) error {
	_, err := ParsePlan(raw)
	return err
}

// Result is a backtest operation's result: what ran, the metrics, every
// trade and the equity curve.
type Result struct {
	Strategy          string                 `json:"strategy"`
	Symbol            string                 `json:"symbol"`
	Timeframe         string                 `json:"timeframe"`
	Model             string                 `json:"model"` // {strategy}/{tf}_v{N}, or rule:{type}
	ModelVersion      int                    `json:"model_version,omitempty"`
	Start             time.Time              `json:"start"`
	End               time.Time              `json:"end"`
	Bars              int                    `json:"bars"`
	Config            backtest.Config        `json:"config"`
	Metrics           backtest.Metrics       `json:"metrics"`
	Signals           map[string]int         `json:"signals"` // BUY/SELL decisions handed to the engine (it ignores those the position makes moot)
	Trades            []backtest.Trade       `json:"trades"`
	Equity            []backtest.EquityPoint `json:"equity_curve"`
	EquityDownsampled bool                   `json:"equity_downsampled,omitempty"`
	Seconds           float64                `json:"duration_seconds"`
	BarsPerSecond     float64                `json:"simulate_bars_per_second"`
}

// decider yields the signal at bar i given the signed position.
type decider interface {
	Decide(i int, position float64) backtest.Signal
}

// Run implements workers.Executor.
func (e *Executor) Run(ctx context.Context, job workers.Job, rep workers.Reporter) (json.RawMessage, error) {
	plan, err := ParsePlan(job.Params)
	if err != nil {
		return nil, err
	}
	began := time.Now()
	s := plan.Strategy
	trace.SpanFromContext(ctx).SetAttributes(attribute.String("strategy.name", s.Name), attribute.String("backtest.symbol", plan.Symbol),
		attribute.String("backtest.timeframe", string(plan.Timeframe)))
	progress := func(pct float64, step string) { rep.Progress(operations.Progress{Percentage: pct, CurrentStep: step}) }

	var art *models.Artifact
	var net *nn.MLP
	if s.Rule == nil {
		progress(0, "loading model")
		if err := workers.Phase(ctx, e.Tracer, "backtest.load_model", func(ctx context.Context, span trace.Span) error {
			art, err = e.Models.Download(ctx, s.Name, plan.Timeframe, fmt.Sprint(plan.ModelVersion))
			if err != nil {
				return err
			}
			span.SetAttributes(attribute.String("model.name", models.Name(art.Strategy, art.Timeframe, art.Version)), attribute.Int("model.features", len(art.Features)))
			if err := ApplyModel(s, art); err != nil {
				return err
			}
			net = new(nn.MLP)
			if err := json.Unmarshal(art.Network, net); err != nil {
				return fmt.Errorf("model %s: unreadable network: %w", models.Name(art.Strategy, art.Timeframe, art.Version), err)
			}
			return nil
		}); err != nil {
			return nil, err
		}
	} else if err := ApplyTimeframe(s, plan.Timeframe); err != nil {
		return nil, err
	}

	progress(5, "loading data")
	var data map[marketdata.Timeframe]marketdata.Series
	if err := workers.Phase(ctx, e.Tracer, "backtest.load_data", func(ctx context.Context, span trace.Span) error {
		data, err = e.load(ctx, plan, job.OperationID)
		if err == nil {
			span.SetAttributes(attribute.Int("data.bars", len(data[plan.Timeframe].Bars)))
		}
		return err
	}); err != nil {
		return nil, err
	}
	base := data[plan.Timeframe].Bars
	first := 0
	if plan.Start != nil {
		first, _ = slices.BinarySearchFunc(base, *plan.Start, func(b marketdata.Bar, t time.Time) int { return b.Time.Compare(t) })
	}
	if first >= len(base) {
		return nil, &workers.ParamError{Field: "start", Message: "no bars in the requested range"}
	}

	progress(10, "computing features")
	var dec decider
	if err := workers.Phase(ctx, e.Tracer, "backtest.features", func(ctx context.Context, span trace.Span) error {
		if s.Rule != nil {
			span.SetAttributes(attribute.String("rule.type", s.Rule.Type))
			dec, err = NewRuleDecider(s.Rule, base)
			return err
		}
		table, err := features.Build(s, data)
		if err != nil {
			return err
		}
		if err := features.CheckNames(art.Features, table.Names); err != nil {
			return fmt.Errorf("model %s does not fit strategy %s: %w", models.Name(art.Strategy, art.Timeframe, art.Version), s.Name, err)
		}
		span.SetAttributes(attribute.Int("features.count", len(table.Names)), attribute.Int("features.first_complete_bar", table.FirstComplete()))
		volume := make([]float64, len(base))
		for i, b := range base {
			volume[i] = b.Volume
		}
		dec = NewModelDecider(net, art.Scaler, table, s.Decisions, volume)
		return nil
	}); err != nil {
		return nil, err
	}

	sim := base[first:]
	var res backtest.Result
	var signals map[string]int
	simStart := time.Now()
	if err := workers.Phase(ctx, e.Tracer, "backtest.simulate", func(ctx context.Context, span trace.Span) error {
		span.SetAttributes(attribute.Int("backtest.bars", len(sim)), attribute.String("backtest.fill", string(plan.Config.Fill)))
		res, signals, err = Simulate(ctx, plan.Config, base, first, dec, func(done int, equity float64) {
			span.AddEvent("progress", trace.WithAttributes(attribute.Int("bars_done", done), attribute.Float64("equity", equity)))
			rep.Progress(operations.Progress{Percentage: 15 + 80*float64(done)/float64(len(sim)), CurrentStep: fmt.Sprintf("bar %d/%d", done, len(sim)),
				StepsCompleted: done, StepsTotal: len(sim)})
		})
		if err == nil {
			span.SetAttributes(attribute.Int("backtest.trades", len(res.Trades)), attribute.Float64("backtest.final_equity", res.Metrics.FinalEquity))
		}
		return err
	}); err != nil {
		return nil, err
	}
	simSeconds := time.Since(simStart).Seconds()

	progress(96, "computing metrics")
	_ = workers.Phase(ctx, e.Tracer, "backtest.metrics", func(ctx context.Context, span trace.Span) error {
		m := res.Metrics
		span.SetAttributes(attribute.Float64("metrics.total_return", m.TotalReturn), attribute.Float64("metrics.sharpe", m.Sharpe),
			attribute.Float64("metrics.max_drawdown", m.MaxDrawdown), attribute.Int("metrics.trades", m.NumTrades))
		return nil
	})
	out := Result{
		Strategy: s.Name, Symbol: plan.Symbol, Timeframe: string(plan.Timeframe), Start: sim[0].Time, End: sim[len(sim)-1].Time,
		Bars: len(sim), Config: plan.Config, Metrics: res.Metrics, Signals: signals, Trades: res.Trades,
		Seconds: time.Since(began).Seconds(), BarsPerSecond: float64(len(sim)) / simSeconds,
	}
	if out.Trades == nil {
		out.Trades = []backtest.Trade{}
	}
	out.Equity, out.EquityDownsampled = downsample(res.Equity, MaxEquityPoints)
	if art != nil {
		out.Model, out.ModelVersion = models.Name(art.Strategy, art.Timeframe, art.Version), art.Version
	} else {
		out.Model = "rule:" + s.Rule.Type
	}
	progress(100, "done")
	return json.Marshal(out)
}

// Simulate runs the engine over bars[first:], asking dec for the signal of
// each bar (dec indexes bars from 0, so its warm-up bars before first are
// available to it). Every 2% of the bars it checks ctx and calls progress
// with the bars done and the equity. It returns the engine's result and the
// number of BUY and SELL decisions taken.
func Simulate(ctx context.Context, cfg backtest.Config, bars []marketdata.Bar, first int, dec decider, progress func(done int, equity float64)) (backtest.Result, map[string]int, error) {
	sim := bars[first:]
	eng, err := backtest.NewEngine(cfg, sim)
	if err != nil {
		return backtest.Result{}, nil, err
	}
	signals := map[string]int{backtest.Buy.String(): 0, backtest.Sell.String(): 0}
	every := max(len(sim)/50, 1)
	for i := range sim {
		if i%every == 0 {
			if err := ctx.Err(); err != nil {
				return backtest.Result{}, nil, err
			}
			if progress != nil {
				progress(i, eng.Equity())
			}
		}
		// The order decided at the previous close fills at this open first,
		// so the decision sees the position it will actually act on.
		eng.Open(i)
		sig := dec.Decide(first+i, eng.Position())
		if sig.Action != backtest.Hold {
			signals[sig.Action.String()]++
		}
		eng.Close(i, sig)
	}
	return eng.Finish(), signals, nil
}

// downsample keeps at most n points, evenly spaced, always the last.
func downsample(pts []backtest.EquityPoint, n int) ([]backtest.EquityPoint, bool) {
	if len(pts) <= n {
		return pts, false
	}
	out := make([]backtest.EquityPoint, 0, n)
	step := float64(len(pts)-1) / float64(n-1)
	for k := range n {
		out = append(out, pts[int(float64(k)*step+0.5)])
	}
	return out, true
}

// load fetches the backtest's bars for every timeframe the features need,
// from a warm-up span before start so indicators are ready at start.
func (e *Executor) load(ctx context.Context, plan *Plan, opID string) (map[marketdata.Timeframe]marketdata.Series, error) {
	req := ibhost.HistoricalRequest{Symbol: plan.Symbol, OperationID: opID}
	if plan.Start != nil {
		req.Start = plan.Start.Add(-warmupSpan(plan.Strategy, plan.Timeframe)).Format(time.RFC3339)
	}
	if plan.End != nil {
		req.End = plan.End.Format(time.RFC3339)
	}
	out := map[marketdata.Timeframe]marketdata.Series{}
	for _, tf := range plan.Strategy.Timeframes {
		req.Timeframe = string(tf)
		series, _, err := e.Host.Historical(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("load %s %s: %w", plan.Symbol, tf, err)
		}
		if len(series.Bars) == 0 {
			return nil, fmt.Errorf("load %s %s: no bars in the range", plan.Symbol, tf)
		}
		out[tf] = series
	}
	return out, nil
}

// ApplyTimeframe makes tf the strategy's base timeframe: a single-timeframe
// strategy is re-targeted to it; a multi-timeframe one must already use it.
func ApplyTimeframe(s *strategy.Strategy, tf marketdata.Timeframe) error {
	if slices.Contains(s.Timeframes, tf) {
		s.BaseTimeframe = tf
		return nil
	}
	if len(s.Timeframes) > 1 {
		return &workers.ParamError{Field: "timeframe", Message: fmt.Sprintf("strategy %s uses timeframes %v; backtest on one of them", s.Name, s.Timeframes)}
	}
	s.Timeframes, s.BaseTimeframe = []marketdata.Timeframe{tf}, tf
	return nil
}

// ApplyModel sets the strategy's timeframes to the ones the model was
// trained on and checks that the strategy makes exactly the model's
// features: a model and a strategy that disagree are refused, never run.
func ApplyModel(s *strategy.Strategy, art *models.Artifact) error {
	tfs := make([]marketdata.Timeframe, 0, len(art.Data.Timeframes))
	for _, v := range art.Data.Timeframes {
		tf, err := marketdata.ParseTimeframe(v)
		if err != nil {
			return fmt.Errorf("model %s: %w", models.Name(art.Strategy, art.Timeframe, art.Version), err)
		}
		tfs = append(tfs, tf)
	}
	if len(tfs) > 0 {
		s.Timeframes = tfs
	}
	s.BaseTimeframe = art.Timeframe
	if err := features.CheckNames(art.Features, features.Names(s)); err != nil {
		return &workers.ParamError{Field: "model_version", Message: fmt.Sprintf("model %s does not fit strategy %s as it is now: %v",
			models.Name(art.Strategy, art.Timeframe, art.Version), s.Name, err)}
	}
	return nil
}
