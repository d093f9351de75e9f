package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ktrdr/ktrdr/internal/api"
	"github.com/ktrdr/ktrdr/internal/apiclient"
	"github.com/ktrdr/ktrdr/internal/backtest"
	"github.com/ktrdr/ktrdr/internal/backtesting"
	"github.com/ktrdr/ktrdr/internal/dataload"
	"github.com/ktrdr/ktrdr/internal/marketdata"
	"github.com/ktrdr/ktrdr/internal/models"
	"github.com/ktrdr/ktrdr/internal/operations"
	"github.com/ktrdr/ktrdr/internal/registry"
	"github.com/ktrdr/ktrdr/internal/strategy"
	"github.com/ktrdr/ktrdr/internal/training"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name.golden (rewritten with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/cli -run %s -update to create it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", name, path, got, want)
	}
}

func render(fn func(w *bytes.Buffer)) string {
	var b bytes.Buffer
	fn(&b)
	return b.String()
}

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func tAt(d time.Duration) *time.Time {
	t := t0.Add(d)
	return &t
}

func str(s string) *string { return &s }

func fixedMetrics() models.Metrics {
	return models.Metrics{
		TestAccuracy: 0.5423, TestLoss: 0.98765, MajorityBaseline: 0.4811, MajorityClass: "HOLD",
		TrainAccuracy: 0.6123, ValAccuracy: 0.5512,
		Precision: []float64{0.5123, 0.5634, 0.4876}, Recall: []float64{0.4333, 0.6789, 0.41},
		F1: []float64{0.4695, 0.6158, 0.4454}, Support: []int{120, 260, 161},
		Confusion: [][]int{{52, 50, 18}, {40, 177, 43}, {30, 65, 66}},
		Epochs:    40, BestEpoch: 31, StoppedEarly: true,
	}
}

func fixedTrainingResult() training.Result {
	return training.Result{
		Model: "rsi_mean_reversion/1d_v3", Strategy: "rsi_mean_reversion", Timeframe: "1d", ModelVersion: 3,
		TestMetrics: fixedMetrics(),
		Data: models.DataSummary{Symbols: []string{"SPX"}, Timeframes: []string{"1d"}, Start: time.Date(2005, 1, 3, 0, 0, 0, 0, time.UTC),
			End: time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC), Bars: 5034, Samples: 3600, Train: 2520, Validation: 540, Test: 540,
			LabelCount: []int{800, 1900, 900}},
		Features: 9, Seed: 42, Seconds: 83.4, SamplesPerS: 12345.6,
	}
}

func fixedBacktestResult() backtesting.Result {
	pf := 1.8512
	return backtesting.Result{
		Strategy: "rsi_mean_reversion", Symbol: "SPX", Timeframe: "1d", Model: "rsi_mean_reversion/1d_v3", ModelVersion: 3,
		Start: time.Date(2017, 1, 3, 0, 0, 0, 0, time.UTC), End: time.Date(2020, 4, 17, 0, 0, 0, 0, time.UTC), Bars: 830,
		Metrics: backtest.Metrics{
			InitialCapital: 100000, FinalEquity: 112345.678, TotalReturn: 0.12345678, AnnualizedReturn: 0.0371, AnnualizedVolatility: 0.1023,
			Sharpe: 0.8234, Sortino: 1.0456, Calmar: 0.4521, MaxDrawdown: 0.08201, MaxDrawdownDuration: 123,
			NumTrades: 14, Wins: 9, Losses: 5, WinRate: 0.642857, ProfitFactor: &pf, AvgWin: 2345.6789, AvgLoss: -1234.5,
			LargestWin: 5000, LargestLoss: -2500.25, AvgHoldingBars: 12.34, Exposure: 0.4213, TotalFees: 123.456, Bars: 830,
		},
		Signals: map[string]int{"BUY": 15, "SELL": 14},
		Trades:  make([]backtest.Trade, 14),
	}
}

func raw(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func fixedOps(t *testing.T) []*operations.Operation {
	return []*operations.Operation{
		{ID: "op_training_20261125_120000_1a2b3c4d", Type: operations.TypeTraining, Status: operations.StatusRunning, WorkerType: "training",
			CreatedAt: t0, StartedAt: tAt(time.Second), WorkerID: "t0", TraceID: "4bf92f3577b34da6a3ce929d0e0e4736",
			Progress: operations.Progress{Percentage: 47.4, CurrentStep: "epoch 19/40", StepsCompleted: 19, StepsTotal: 40}},
		{ID: "op_backtesting_20261125_115500_5e6f7a8b", Type: operations.TypeBacktesting, Status: operations.StatusCompleted, WorkerType: "backtest",
			CreatedAt: t0.Add(-5 * time.Minute), StartedAt: tAt(-5 * time.Minute), CompletedAt: tAt(-4 * time.Minute), WorkerID: "b1",
			Progress: operations.Progress{Percentage: 100, CurrentStep: "done"}, Result: raw(t, fixedBacktestResult())},
		{ID: "op_data_load_20261125_115000_0a0b0c0d", Type: operations.TypeDataLoad, Status: operations.StatusFailed, WorkerType: "backend",
			CreatedAt: t0.Add(-10 * time.Minute), StartedAt: tAt(-10 * time.Minute), CompletedAt: tAt(-10*time.Minute + 2*time.Second),
			Error: str(`fetching SPY 1d: unknown symbol "SPY"`)},
		{ID: "op_dummy_20261125_114500_deadbeef", Type: operations.TypeDummy, Status: operations.StatusPending, WorkerType: "training",
			CreatedAt: t0.Add(-15 * time.Minute), CancelRequested: false},
	}
}

func TestGoldenOpsList(t *testing.T) {
	ops := fixedOps(t)
	golden(t, "ops_list", render(func(w *bytes.Buffer) {
		renderOps(w, api.ListResponse{Operations: ops, Total: 57, Limit: 4})
	}))
	golden(t, "ops_list_empty", render(func(w *bytes.Buffer) { renderOps(w, api.ListResponse{Operations: []*operations.Operation{}}) }))
}

func TestGoldenOpsShow(t *testing.T) {
	op := &operations.Operation{
		ID: "op_training_20261125_120000_1a2b3c4d", Type: operations.TypeTraining, Status: operations.StatusCompleted, WorkerType: "training",
		CreatedAt: t0, StartedAt: tAt(time.Second), CompletedAt: tAt(84 * time.Second), WorkerID: "t0", TraceID: "4bf92f3577b34da6a3ce929d0e0e4736",
		Progress: operations.Progress{Percentage: 100, CurrentStep: "done"}, Attempts: 1,
		Params: raw(t, training.Params{Strategy: "rsi_mean_reversion", StrategyYAML: "name: rsi_mean_reversion\n...", Symbols: []string{"SPX"}, Timeframes: []string{"1d"}, Seed: 42}),
		Result: raw(t, fixedTrainingResult()),
	}
	golden(t, "ops_show", render(func(w *bytes.Buffer) { renderOp(w, op) }))
	failed := fixedOps(t)[2]
	failed.Params = raw(t, map[string]any{"symbol": "SPY", "timeframe": "1d", "mode": "tail"})
	golden(t, "ops_show_failed", render(func(w *bytes.Buffer) { renderOp(w, failed) }))
}

func TestGoldenWorkers(t *testing.T) {
	list := []registry.Worker{
		{ID: "t0", Type: "training", URL: "http://127.0.0.1:5002", State: "busy", CurrentOperationID: "op_training_20261125_120000_1a2b3c4d",
			Progress: &operations.Progress{Percentage: 47.4, CurrentStep: "epoch 19/40"}, RegisteredAt: t0.Add(-time.Hour), LastHeartbeat: t0.Add(-1500 * time.Millisecond)},
		{ID: "b1", Type: "backtest", URL: "http://127.0.0.1:5003", State: "idle", RegisteredAt: t0.Add(-time.Hour), LastHeartbeat: t0.Add(-3 * time.Second)},
	}
	golden(t, "workers", render(func(w *bytes.Buffer) { renderWorkers(w, list, t0) }))
}

func TestGoldenStrategies(t *testing.T) {
	list := []strategy.Summary{
		{Name: "rsi_mean_reversion", Description: "Buy oversold and sell overbought RSI, weighted by Bollinger band width", Version: "1.0",
			Symbols: []string{"SPX"}, Timeframes: []string{"1d"}, Indicators: 2, Features: 6, Source: "embedded", Valid: true},
		{Name: "sma_crossover", Description: "Long when the 10-day SMA is above the 30-day SMA", Symbols: []string{"SPX"}, Timeframes: []string{"1d"},
			Indicators: 0, Features: 0, Rule: "ma_crossover", Source: "embedded", Valid: true},
		{Name: "broken", Source: "/tmp/broken.yaml", Valid: false, Error: "fuzzy_sets.rsi_14.oversold.parameters: need 3 numbers"},
	}
	golden(t, "strategies_list", render(func(w *bytes.Buffer) { renderStrategies(w, list) }))
	v := api.StrategyView{Name: "rsi_mean_reversion", Description: "Buy oversold RSI", Version: "1.0", Hypothesis: "RSI extremes revert",
		Symbols: []string{"SPX"}, Timeframes: []string{"1d"}, Base: "1d", Hash: "sha256:0123abcd",
		Indicators: []api.IndicatorView{{Name: "rsi", FeatureID: "rsi_14", Source: "close", Params: map[string]float64{"period": 14}},
			{Name: "bbands", FeatureID: "bbands_20_2", Params: map[string]float64{"period": 20, "multiplier": 2}}},
		Features: []string{"1d_rsi_14_oversold", "1d_rsi_14_neutral", "1d_rsi_14_overbought"},
		Warnings: []strategy.Warning{{Path: "deployment", Message: "kept, not acted on"}}}
	golden(t, "strategies_show", render(func(w *bytes.Buffer) { renderStrategy(w, v) }))
}

func TestGoldenModels(t *testing.T) {
	art := &models.Artifact{Strategy: "rsi_mean_reversion", Timeframe: "1d", Version: 3, CreatedAt: t0, StrategyHash: "sha256:0123abcd",
		Features: make([]string, 9), Architecture: models.Architecture{Inputs: 9, Hidden: []int{32, 16}, Outputs: 3, Activation: "relu", Dropout: 0.2},
		Labels:  models.Labels{Source: "zigzag", Threshold: 0.03, Lookahead: 20},
		Metrics: fixedMetrics(), Data: fixedTrainingResult().Data, Seed: 42, OperationID: "op_training_20261125_120000_1a2b3c4d", TraceID: "4bf92f3577b34da6a3ce929d0e0e4736"}
	older := *art
	older.Version, older.CreatedAt = 2, t0.Add(-24*time.Hour)
	older.Metrics.TestAccuracy = 0.4701
	golden(t, "models_list", render(func(w *bytes.Buffer) { renderModels(w, []models.Info{art.Info(1234), older.Info(1200)}) }))
	golden(t, "models_show", render(func(w *bytes.Buffer) { renderModel(w, art) }))
}

func TestGoldenData(t *testing.T) {
	list := []apiclient.DataInfo{
		{Symbol: "SPX", Timeframe: "1d", First: time.Date(1990, 1, 2, 0, 0, 0, 0, time.UTC), Last: time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC), Rows: 8816},
		{Symbol: "SYNDEMO", Timeframe: "1h", First: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC), Last: time.Date(2026, 2, 1, 16, 0, 0, 0, time.UTC), Rows: 640},
	}
	golden(t, "data_list", render(func(w *bytes.Buffer) { renderData(w, list) }))
	page := apiclient.BarsPage{Symbol: "SPX", Timeframe: marketdata.TF1d, Total: 250, Offset: 10, Bars: []marketdata.Bar{
		{Time: time.Date(2020, 3, 2, 0, 0, 0, 0, time.UTC), Open: 2974.28, High: 3090.96, Low: 2945.19, Close: 3090.23, Volume: 6376400000},
		{Time: time.Date(2020, 3, 3, 0, 0, 0, 0, time.UTC), Open: 3096.46, High: 3136.72, Low: 2976.63, Close: 3003.37, Volume: 6355940000},
	}}
	golden(t, "data_show", render(func(w *bytes.Buffer) { renderBars(w, page) }))
	first, last := time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC), time.Date(2020, 3, 31, 0, 0, 0, 0, time.UTC)
	golden(t, "data_load_summary", render(func(w *bytes.Buffer) {
		renderDataLoadSummary(w, "SPX", "1d", dataload.Result{RowsAdded: 61, RowsTotal: 61, First: &first, Last: &last,
			Fetched: []dataload.Window{{Start: first, End: last}}, Quality: &marketdata.QualityReport{Rows: 61, Accepted: 61}})
	}))
}

func TestGoldenBacktestSummary(t *testing.T) {
	golden(t, "backtest_summary", render(func(w *bytes.Buffer) { renderBacktestSummary(w, fixedBacktestResult()) }))
}

func TestGoldenTrainingSummary(t *testing.T) {
	golden(t, "training_summary", render(func(w *bytes.Buffer) { renderTrainingSummary(w, fixedTrainingResult()) }))
}

// TestProgressLines: the TTY line (bar, percentage, step, epoch metrics,
// ETA from the rate of progress) and the plain lines, one per new step.
func TestProgressLines(t *testing.T) {
	var b bytes.Buffer
	v := &progressView{w: &b, tty: true}
	op := &operations.Operation{ID: "op_training_20261125_120000_1a2b3c4d", Status: operations.StatusRunning,
		Progress: operations.Progress{Percentage: 15, CurrentStep: "epoch 0/40"}}
	v.update(op, t0)
	op.Progress = operations.Progress{Percentage: 47.5, CurrentStep: "epoch 19/40"}
	v.epoch = &training.EpochRecord{Epoch: 19, Epochs: 40, Loss: 0.91234, ValAccuracy: 0.5312}
	v.update(op, t0.Add(13*time.Second))
	want := "\r[###.................]  15% epoch 0/40\x1b[K" +
		"\r[#########...........]  48% epoch 19/40  loss 0.912 val_acc 53.1%  ETA 21s\x1b[K"
	if b.String() != want {
		t.Errorf("TTY lines:\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	op.Status, op.StartedAt, op.CompletedAt = operations.StatusCompleted, tAt(0), tAt(83*time.Second)
	v.update(op, t0.Add(83*time.Second))
	if b.String() != "\r\x1b[Kcompleted in 1m23s\n" {
		t.Errorf("end: %q", b.String())
	}

	b.Reset()
	v = &progressView{w: &b}
	op = &operations.Operation{Status: operations.StatusPending, WorkerType: "backtest"}
	for _, step := range []struct {
		status operations.Status
		pct    float64
		step   string
	}{{"pending", 0, ""}, {"pending", 0, ""}, {"running", 0, ""}, {"running", 5, "loading data"}, {"running", 6, "loading data"}, {"running", 40, "bar 100/300"}} {
		op.Status, op.Progress = step.status, operations.Progress{Percentage: step.pct, CurrentStep: step.step}
		v.update(op, t0)
	}
	want = "pending: waiting for a free backtest worker\n  0%\n  5% loading data\n 40% bar 100/300\n"
	if b.String() != want {
		t.Errorf("plain lines:\n%s\nwant\n%s", b.String(), want)
	}
}

func TestFormatting(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{fmtMoney(1234567.891), "1,234,567.89"}, {fmtMoney(-1234.5), "-1,234.50"}, {fmtMoney(999), "999.00"}, {fmtMoney(0), "0.00"},
		{fmtPct(-0.00001), "0.00%"}, {fmtPct(0.12345), "12.35%"}, {fmtFloat(-0.0001, 2), "0.00"},
		{fmtDuration(83 * time.Second), "1m23s"}, {fmtDuration(2*time.Hour + 5*time.Minute), "2h05m"}, {fmtDuration(900 * time.Millisecond), "900ms"},
		{fmtTime(time.Date(2026, 1, 2, 15, 4, 5, 0, time.FixedZone("X", 3600))), "2026-01-02 14:04"},
		{truncate("abcdef", 4), "abc…"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	if !strings.Contains(resultSummary(&operations.Operation{Type: operations.TypeDummy, Result: json.RawMessage(`{"steps": 3}`)}), `{"steps":3}`) {
		t.Error("dummy result summary")
	}
}
