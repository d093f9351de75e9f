package training

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/ktrdr/ktrdr/internal/features"
	"github.com/ktrdr/ktrdr/internal/ibhost"
	"github.com/ktrdr/ktrdr/internal/labels"
	"github.com/ktrdr/ktrdr/internal/marketdata"
	"github.com/ktrdr/ktrdr/internal/models"
	"github.com/ktrdr/ktrdr/internal/nn"
	"github.com/ktrdr/ktrdr/internal/operations"
	"github.com/ktrdr/ktrdr/internal/workers"
)

// Executor runs training operations on a training worker: bars from the
// host service, the pipeline, the model uploaded to the backend's store.
type Executor struct {
	Host   *ibhost.Client
	Models *models.Client
	Tracer trace.Tracer // nil: the global provider's
	Logger *slog.Logger
}

// ValidateParams implements workers.ParamsValidator.
func (e *Executor) ValidateParams(raw json.RawMessage) error {
	_, err := ParsePlan(raw)
	return err
}

// Progress bands of the phases, in percent: fitting takes the most time.
const (
	pctData     = 0
	pctFeatures = 8
	pctFit      = 15
	pctEvaluate = 95
	pctSave     = 97
)

// EpochRecord is one epoch as reported through the operation's metrics.
type EpochRecord struct {
	Epoch       int     `json:"epoch"`
	Epochs      int     `json:"epochs"`
	Loss        float64 `json:"loss"`
	Accuracy    float64 `json:"accuracy"`
	ValLoss     float64 `json:"val_loss"`
	ValAccuracy float64 `json:"val_accuracy"`
	DurationMS  float64 `json:"duration_ms"`
}

// Result is a training operation's result summary.
type Result struct {
	Model        string             `json:"model"` // {strategy}/{tf}_v{N}
	Strategy     string             `json:"strategy"`
	Timeframe    string             `json:"timeframe"`
	ModelVersion int                `json:"model_version"`
	TestMetrics  models.Metrics     `json:"test_metrics"`
	Data         models.DataSummary `json:"data"`
	Features     int                `json:"features"`
	Seed         uint64             `json:"seed"`
	Seconds      float64            `json:"duration_seconds"`
	SamplesPerS  float64            `json:"fit_samples_per_second"`
	Warnings     []string           `json:"warnings,omitempty"`
}

// Run implements workers.Executor.
func (e *Executor) Run(ctx context.Context, job workers.Job, rep workers.Reporter) (json.RawMessage, error) {
	plan, err := ParsePlan(job.Params)
	if err != nil {
		return nil, err
	}
	began := time.Now()
	s := plan.Strategy
	trace.SpanFromContext(ctx).SetAttributes(
		attribute.String("strategy.name", s.Name), attribute.StringSlice("training.symbols", s.Symbols),
		attribute.String("training.timeframe", string(s.BaseTimeframe)), attribute.Int64("training.seed", int64(plan.Seed)))
	progress := func(pct float64, step string) {
		rep.Progress(operations.Progress{Percentage: pct, CurrentStep: step})
	}

	progress(pctData, "loading data")
	var data Data
	var summary models.DataSummary
	if err := workers.Phase(ctx, e.Tracer, "training.load_data", func(ctx context.Context, span trace.Span) error {
		data, summary, err = e.load(ctx, plan, job.OperationID)
		span.SetAttributes(attribute.Int("data.bars", summary.Bars))
		return err
	}); err != nil {
		return nil, err
	}

	progress(pctFeatures, "computing indicators")
	var computed []*features.Computed
	if err := workers.Phase(ctx, e.Tracer, "training.indicators", func(ctx context.Context, span trace.Span) error {
		span.SetAttributes(attribute.Int("indicators.count", len(s.Indicators)))
		computed, err = ComputeIndicators(s, s.Symbols, data)
		return err
	}); err != nil {
		return nil, err
	}
	var tables []*features.Table
	if err := workers.Phase(ctx, e.Tracer, "training.fuzzy", func(ctx context.Context, span trace.Span) error {
		tables, err = Fuzzify(computed)
		if err == nil {
			span.SetAttributes(attribute.Int("features.count", len(tables[0].Names)))
		}
		return err
	}); err != nil {
		return nil, err
	}
	var ds *Dataset
	if err := workers.Phase(ctx, e.Tracer, "training.labels", func(ctx context.Context, span trace.Span) error {
		ds, err = MakeDataset(s, tables)
		if err == nil {
			span.SetAttributes(attribute.Int("labels.buy", ds.LabelCount[labels.Buy]), attribute.Int("labels.hold", ds.LabelCount[labels.Hold]),
				attribute.Int("labels.sell", ds.LabelCount[labels.Sell]), attribute.Int("samples.train", ds.Train.X.Rows),
				attribute.Int("samples.validation", ds.Val.X.Rows), attribute.Int("samples.test", ds.Test.X.Rows))
		}
		return err
	}); err != nil {
		return nil, err
	}
	summary.Samples, summary.Train, summary.Validation, summary.Test = ds.Samples, ds.Train.X.Rows, ds.Val.X.Rows, ds.Test.X.Rows
	summary.LabelCount = ds.LabelCount[:]

	var net *nn.MLP
	var fit nn.FitResult
	fitStart := time.Now()
	epochs := s.Model.Epochs
	progress(pctFit, fmt.Sprintf("epoch 0/%d", epochs))
	if err := workers.Phase(ctx, e.Tracer, "training.fit", func(ctx context.Context, span trace.Span) error {
		span.SetAttributes(attribute.Int("training.epochs", epochs), attribute.Int("training.batch_size", s.Model.BatchSize),
			attribute.IntSlice("model.hidden_layers", s.Model.HiddenLayers))
		net, fit, err = Fit(ctx, s, ds, plan.Seed, func(st nn.EpochStats) error {
			span.AddEvent("epoch", trace.WithAttributes(attribute.Int("epoch", st.Epoch),
				attribute.Float64("loss", st.Loss), attribute.Float64("accuracy", st.Accuracy),
				attribute.Float64("val_loss", st.ValLoss), attribute.Float64("val_accuracy", st.ValAccuracy)))
			rep.Metrics(EpochRecord{Epoch: st.Epoch, Epochs: st.Epochs, Loss: st.Loss, Accuracy: st.Accuracy,
				ValLoss: jsonSafe(st.ValLoss), ValAccuracy: jsonSafe(st.ValAccuracy), DurationMS: float64(st.Duration.Microseconds()) / 1000})
			pct := pctFit + float64(pctEvaluate-pctFit)*float64(st.Epoch)/float64(epochs)
			rep.Progress(operations.Progress{Percentage: pct, CurrentStep: fmt.Sprintf("epoch %d/%d", st.Epoch, epochs),
				StepsCompleted: st.Epoch, StepsTotal: epochs})
			return nil
		})
		if err == nil {
			span.SetAttributes(attribute.Int("training.epochs_run", len(fit.History)), attribute.Int("training.best_epoch", fit.BestEpoch),
				attribute.Bool("training.stopped_early", fit.StoppedEarly))
		}
		return err
	}); err != nil {
		return nil, err
	}
	fitSeconds := time.Since(fitStart).Seconds()

	progress(pctEvaluate, "evaluating")
	var metrics models.Metrics
	_ = workers.Phase(ctx, e.Tracer, "training.evaluate", func(ctx context.Context, span trace.Span) error {
		metrics = Evaluate(net, ds, fit)
		span.SetAttributes(attribute.Float64("test.accuracy", metrics.TestAccuracy), attribute.Float64("test.majority_baseline", metrics.MajorityBaseline),
			attribute.Float64("test.loss", metrics.TestLoss))
		return nil
	})

	progress(pctSave, "saving model")
	art, err := NewArtifact(plan, ds, net, metrics, summary)
	if err != nil {
		return nil, err
	}
	art.OperationID = job.OperationID
	art.TraceID = trace.SpanContextFromContext(ctx).TraceID().String()
	var info models.Info
	if err := workers.Phase(ctx, e.Tracer, "training.save_model", func(ctx context.Context, span trace.Span) error {
		info, err = e.Models.Upload(ctx, art)
		span.SetAttributes(attribute.String("model.name", info.Name), attribute.Int("model.version", info.Version))
		return err
	}); err != nil {
		return nil, err
	}
	progress(100, "done")
	res := Result{
		Model: info.Name, Strategy: s.Name, Timeframe: string(s.BaseTimeframe), ModelVersion: info.Version,
		TestMetrics: metrics, Data: summary, Features: len(ds.Names), Seed: plan.Seed,
		Seconds: time.Since(began).Seconds(), SamplesPerS: float64(fit.Samples) / fitSeconds,
	}
	for _, w := range plan.Warnings {
		res.Warnings = append(res.Warnings, w.Path+": "+w.Message)
	}
	return json.Marshal(res)
}

// jsonSafe maps NaN (no validation split) to 0: JSON has no NaN.
func jsonSafe(v float64) float64 {
	if v != v {
		return 0
	}
	return v
}

// load fetches every symbol × timeframe from the host service.
func (e *Executor) load(ctx context.Context, plan *Plan, opID string) (Data, models.DataSummary, error) {
	s := plan.Strategy
	data := Data{}
	sum := models.DataSummary{Symbols: s.Symbols}
	for _, tf := range s.Timeframes {
		sum.Timeframes = append(sum.Timeframes, string(tf))
	}
	req := ibhost.HistoricalRequest{OperationID: opID}
	if plan.Start != nil {
		req.Start = plan.Start.Format(time.RFC3339)
	}
	if plan.End != nil {
		req.End = plan.End.Format(time.RFC3339)
	}
	for _, sym := range s.Symbols {
		data[sym] = map[marketdata.Timeframe]marketdata.Series{}
		for _, tf := range s.Timeframes {
			req.Symbol, req.Timeframe = sym, string(tf)
			series, _, err := e.Host.Historical(ctx, req)
			if err != nil {
				return nil, sum, fmt.Errorf("load %s %s: %w", sym, tf, err)
			}
			if len(series.Bars) == 0 {
				return nil, sum, fmt.Errorf("load %s %s: no bars in the range", sym, tf)
			}
			data[sym][tf] = series
			if tf == s.BaseTimeframe {
				first, last := series.Range()
				if sum.Start.IsZero() || first.Before(sum.Start) {
					sum.Start = first
				}
				if last.After(sum.End) {
					sum.End = last
				}
				sum.Bars += len(series.Bars)
			}
		}
	}
	return data, sum, nil
}

// FuzzyConfig is the fuzzy part of a strategy as stored with a model.
type FuzzyConfig map[string][]FuzzySetConfig

// FuzzySetConfig is one membership function.
type FuzzySetConfig struct {
	Name       string    `json:"name"`
	Type       string    `json:"type"`
	Parameters []float64 `json:"parameters"`
}

// NewArtifact assembles the model artifact of a finished fit.
func NewArtifact(plan *Plan, ds *Dataset, net *nn.MLP, m models.Metrics, data models.DataSummary) (*models.Artifact, error) {
	s := plan.Strategy
	network, err := json.Marshal(net)
	if err != nil {
		return nil, err
	}
	fz := FuzzyConfig{}
	for _, ff := range s.FuzzySets {
		for _, set := range ff.Sets {
			fz[ff.Key] = append(fz[ff.Key], FuzzySetConfig{Name: set.Name, Type: set.Type, Parameters: set.Parameters})
		}
	}
	fuzzyJSON, _ := json.Marshal(fz)
	return &models.Artifact{
		Strategy: s.Name, Timeframe: s.BaseTimeframe, StrategyHash: s.Hash(), StrategyYAML: string(s.Raw),
		Features: ds.Names, Scaler: ds.Scaler,
		Architecture: models.Architecture{Inputs: len(ds.Names), Hidden: s.Model.HiddenLayers, Outputs: labels.NumClasses,
			Activation: s.Model.Activation, Dropout: s.Model.Dropout},
		Network: network,
		Labels: models.Labels{Source: s.Training.LabelSource, Threshold: s.Training.ZigzagThreshold,
			Lookahead: s.Training.LabelLookahead, MinSwingLength: s.Training.MinSwingLength},
		Fuzzy: fuzzyJSON, Metrics: m, Data: data, Seed: plan.Seed,
	}, nil
}
