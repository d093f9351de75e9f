package apiclient

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/ktrdr/ktrdr/internal/apiclient/apitest"
	"github.com/ktrdr/ktrdr/internal/httpx"
	"github.com/ktrdr/ktrdr/internal/operations"
	"github.com/ktrdr/ktrdr/internal/strategy"
)

// tracing installs a recording tracer provider and the W3C propagator as the
// globals, as telemetry.Setup does in a real process.
func tracing(t *testing.T) *tracetest.SpanRecorder {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() {
		otel.SetTracerProvider(prevTP)
		otel.SetTextMapPropagator(prevProp)
		_ = tp.Shutdown(context.Background())
	})
	return rec
}

func TestCatalogCalls(t *testing.T) {
	f := apitest.New(t)
	c := New(f.URL)
	ctx := context.Background()

	h, err := c.Health(ctx)
	if err != nil || h.Status != "ok" || h.Service != "ktrdr-api" {
		t.Fatalf("health: %+v %v", h, err)
	}
	syms, err := c.Symbols(ctx)
	if err != nil || len(syms) == 0 {
		t.Fatalf("symbols: %+v %v", syms, err)
	}
	inds, err := c.Indicators(ctx)
	if err != nil || len(inds) == 0 || inds[0].Name == "" {
		t.Fatalf("indicators: %v", err)
	}
	list, err := c.Strategies(ctx)
	if err != nil || len(list) < 4 {
		t.Fatalf("strategies: %d %v", len(list), err)
	}
	v, err := c.Strategy(ctx, "rsi_mean_reversion")
	if err != nil || v.Name != "rsi_mean_reversion" || len(v.Features) == 0 || v.YAML == "" {
		t.Fatalf("strategy: %+v %v", v.Name, err)
	}
	_, err = c.Strategy(ctx, "no_such_strategy")
	var se *httpx.StatusError
	if !errors.As(err, &se) || se.Status != 404 {
		t.Fatalf("unknown strategy: %v", err)
	}
	if got := ErrorLine(err); got != "API: not_found: no strategy named no_such_strategy" {
		t.Errorf("ErrorLine = %q", got)
	}

	raw, err := fs.ReadFile(strategy.Examples, "sma_crossover.yaml")
	if err != nil {
		t.Fatal(err)
	}
	val, err := c.ValidateStrategy(ctx, raw)
	if err != nil || !val.Valid || val.Strategy == nil || val.Strategy.Name != "sma_crossover" {
		t.Fatalf("validate valid: %+v %v", val, err)
	}
	bad := strings.Replace(string(raw), "fast_period: 10", "fast_period: -3", 1)
	val, err = c.ValidateStrategy(ctx, []byte(bad))
	if err != nil || val.Valid || len(val.Problems) == 0 || val.Problems[0].Path == "" {
		t.Fatalf("validate invalid: %+v %v", val, err)
	}
	val, err = c.ValidateStrategy(ctx, []byte("name: [unclosed"))
	if err != nil || val.Valid || len(val.Problems) == 0 {
		t.Fatalf("validate broken YAML: %+v %v", val, err)
	}

	ms, err := c.Models(ctx, "")
	if err != nil || len(ms) != 0 {
		t.Fatalf("models: %+v %v", ms, err)
	}
	_, err = c.Model(ctx, "rsi_mean_reversion", "1d", "")
	if !errors.As(err, &se) || se.Status != 404 || !strings.HasPrefix(ErrorLine(err), "API: not_found: ") {
		t.Fatalf("missing model: %v", err)
	}
	f.AddWorker(t, "w1", "training")
	ws, err := c.Workers(ctx)
	if err != nil || len(ws) != 1 || ws[0].ID != "w1" || ws[0].Type != "training" {
		t.Fatalf("workers: %+v %v", ws, err)
	}
}

func TestDataLoadAndBars(t *testing.T) {
	f := apitest.New(t)
	c := New(f.URL)
	ctx := context.Background()
	start, err := c.LoadData(ctx, LoadRequest{Symbol: "SPX", Timeframe: "1d", Start: "2020-01-01", End: "2020-03-31", Mode: "full"})
	if err != nil || !strings.HasPrefix(start.OperationID, "op_data_load_") {
		t.Fatalf("load: %+v %v", start, err)
	}
	op := waitTerminal(t, c, start.OperationID)
	if op.Status != operations.StatusCompleted {
		t.Fatalf("load ended %s: %v", op.Status, op.Error)
	}
	data, err := c.Data(ctx)
	if err != nil || len(data) != 1 || data[0].Symbol != "SPX" || data[0].Timeframe != "1d" || data[0].Rows < 50 || data[0].First.IsZero() {
		t.Fatalf("data: %+v %v", data, err)
	}
	page, err := c.Bars(ctx, BarsQuery{Symbol: "SPX", Timeframe: "1d", Start: "2020-02-01", Limit: 5, Offset: 1})
	if err != nil || len(page.Bars) != 5 || page.Offset != 1 || page.Total < 20 || page.Bars[0].Time.Before(time.Date(2020, 2, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("bars: %+v %v", page, err)
	}
	_, err = c.Bars(ctx, BarsQuery{Symbol: "SPX", Timeframe: "7x"})
	if got := ErrorLine(err); !strings.HasPrefix(got, "API: invalid_argument (field timeframe): ") {
		t.Errorf("bad timeframe: %q", got)
	}
	_, err = c.LoadData(ctx, LoadRequest{Symbol: "SPX", Timeframe: "1d", Mode: "sideways"})
	if got := ErrorLine(err); !strings.HasPrefix(got, "API: invalid_argument (field mode): ") {
		t.Errorf("bad mode: %q", got)
	}
}

func param(t *testing.T, raw json.RawMessage, key string) any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m[key]
}

func waitTerminal(t *testing.T, c *Client, id string) *operations.Operation {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		op, err := c.PollOperation(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if op.Status.Terminal() {
			return op
		}
		if time.Now().After(deadline) {
			t.Fatalf("operation %s still %s", id, op.Status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestOperationsLifeCycle(t *testing.T) {
	f := apitest.New(t)
	w := f.AddWorker(t, "w1", "training")
	c := New(f.URL)
	ctx := context.Background()

	_, err := c.StartTraining(ctx, TrainingRequest{Strategy: "x"})
	want := `API: invalid_argument (field strategy): unknown strategy "x" (GET /api/v1/strategies lists them)`
	if got := ErrorLine(err); got != want {
		t.Errorf("ErrorLine = %q, want %q", got, want)
	}
	start, err := c.StartTraining(ctx, TrainingRequest{Strategy: "rsi_mean_reversion", Seed: 7})
	if err != nil || start.Status != operations.StatusRunning {
		t.Fatalf("start: %+v %v", start, err)
	}
	if id := <-w.Started; id != start.OperationID {
		t.Fatalf("worker started %s, want %s", id, start.OperationID)
	}
	w.Progress(t, start.OperationID, operations.Progress{Percentage: 40, CurrentStep: "epoch 3/10", StepsCompleted: 3, StepsTotal: 10},
		map[string]any{"epoch": 1}, map[string]any{"epoch": 2})
	op, err := c.Operation(ctx, start.OperationID)
	if err != nil || op.Progress.CurrentStep != "epoch 3/10" || op.WorkerID != "w1" || param(t, op.Params, "seed") != 7.0 {
		t.Fatalf("operation: %+v %v", op, err)
	}
	m, err := c.PollMetrics(ctx, start.OperationID, 0)
	if err != nil || len(m.Metrics) != 2 || m.NewCursor != 2 {
		t.Fatalf("metrics: %+v %v", m, err)
	}
	m, err = c.PollMetrics(ctx, start.OperationID, 2)
	if err != nil || len(m.Metrics) != 0 || m.NewCursor != 2 {
		t.Fatalf("metrics from the cursor: %+v %v", m, err)
	}
	list, err := c.Operations(ctx, OperationFilter{Status: "running", Type: "training", Limit: 10})
	if err != nil || list.Total != 1 || len(list.Operations) != 1 || list.Limit != 10 {
		t.Fatalf("list: %+v %v", list, err)
	}
	if _, err := c.Operations(ctx, OperationFilter{Status: "asleep"}); !strings.Contains(ErrorLine(err), "(field status)") {
		t.Errorf("bad filter: %v", err)
	}
	op, err = c.Cancel(ctx, start.OperationID)
	if err != nil || !op.CancelRequested {
		t.Fatalf("cancel: %+v %v", op, err)
	}
	if op = waitTerminal(t, c, start.OperationID); op.Status != operations.StatusCancelled {
		t.Fatalf("after cancel: %s", op.Status)
	}
	if _, err := c.Cancel(ctx, start.OperationID); !strings.HasPrefix(ErrorLine(err), "API: conflict: ") {
		t.Errorf("cancel again: %q", ErrorLine(err))
	}
	if _, err := c.Operation(ctx, "op_training_20260101_000000_deadbeef"); !strings.HasPrefix(ErrorLine(err), "API: not_found: ") {
		t.Errorf("unknown id: %q", ErrorLine(err))
	}

	// A rule-based backtest needs no model.
	bw := f.AddWorker(t, "b1", "backtest")
	zero := 0.0
	bt, err := c.StartBacktest(ctx, BacktestRequest{Strategy: "sma_crossover", Start: "2019-01-02", End: "2019-12-31", Commission: &zero})
	if err != nil {
		t.Fatal(ErrorLine(err))
	}
	<-bw.Started
	res, err := c.Backtest(ctx, bt.OperationID, BacktestPage{TradesLimit: 5})
	if err != nil || res.OperationID != bt.OperationID || res.Status != operations.StatusRunning || res.Result != nil ||
		param(t, res.Params, "commission") != 0.0 {
		t.Fatalf("backtest: %+v %v", res, err)
	}
	if _, err := c.StartBacktest(ctx, BacktestRequest{Strategy: "sma_crossover", InitialCapital: &zero}); !strings.Contains(ErrorLine(err), "(field initial_capital)") {
		t.Errorf("zero capital: %q", ErrorLine(err))
	}
}

// TestTracing: actions are client spans named by route and carry
// traceparent; polls carry PollHeader and no traceparent, and make no span.
func TestTracing(t *testing.T) {
	rec := tracing(t)
	f := apitest.New(t)
	c := New(f.URL) // after the provider is installed, as in a process
	ctx := context.Background()
	op := f.Create(t, &operations.Operation{Type: operations.TypeDummy, WorkerType: "training"})

	if _, err := c.Operation(ctx, op.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Strategies(ctx); err != nil {
		t.Fatal(err)
	}
	clientSpans := func() []string {
		var names []string
		for _, s := range rec.Ended() {
			if s.SpanKind().String() == "client" {
				names = append(names, s.Name())
			}
		}
		return names
	}
	before := clientSpans()
	for range 5 {
		if _, err := c.PollOperation(ctx, op.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PollMetrics(ctx, op.ID, 0); err != nil {
			t.Fatal(err)
		}
	}
	if after := clientSpans(); len(after) != len(before) {
		t.Errorf("polls made client spans: %v", after[len(before):])
	}
	if strings.Join(before, ",") != "GET /api/v1/operations/{id},GET /api/v1/strategies" {
		t.Errorf("client spans = %v", before)
	}
	if _, err := c.Cancel(ctx, op.ID); err != nil {
		t.Fatal(err)
	}
	for _, r := range f.Requests() {
		switch {
		case r.Poll() && r.Traced():
			t.Errorf("poll %s %s carries traceparent", r.Method, r.Path)
		case !r.Poll() && !r.Traced():
			t.Errorf("action %s %s carries no traceparent", r.Method, r.Path)
		}
	}
	if n := f.Count("GET", "/api/v1/operations/"); n != 11 {
		t.Errorf("%d GET operation requests, want 11", n)
	}
	polls := 0
	for _, r := range f.Requests() {
		if r.Poll() {
			polls++
		}
	}
	if polls != 10 {
		t.Errorf("%d polls, want 10", polls)
	}
}

func TestErrorLines(t *testing.T) {
	down := httptest.NewServer(nil)
	url := down.URL
	down.Close()
	c := New(url)
	_, err := c.Strategies(context.Background())
	want := "cannot reach the ktrdr API at " + url + ": connection refused (is it running? try: ktrdr up)"
	if got := ErrorLine(err); got != want {
		t.Errorf("down: %q, want %q", got, want)
	}
	_, err = c.PollOperation(context.Background(), "op_dummy_20260101_000000_deadbeef")
	if got := ErrorLine(err); got != want {
		t.Errorf("poll down: %q", got)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f := apitest.New(t)
	_, err = New(f.URL).Strategies(ctx)
	if got := ErrorLine(err); got != "interrupted" {
		t.Errorf("cancelled: %q", got)
	}

	notAPI := httptest.NewServer(nil) // 404 page not found, plain text
	defer notAPI.Close()
	_, err = New(notAPI.URL).Workers(context.Background())
	if got := ErrorLine(err); got != "API answered Not Found (404): 404 page not found" {
		t.Errorf("foreign answer: %q", got)
	}
	multi := &httpx.StatusError{Status: 400, Code: "invalid_argument", Message: "line one\nline two", Field: "x"}
	if got := ErrorLine(multi); got != "API: invalid_argument (field x): line one line two" {
		t.Errorf("multi-line: %q", got)
	}
	if ErrorLine(nil) != "" || ErrorLine(errors.New("plain")) != "plain" {
		t.Error("nil or plain errors")
	}
}
