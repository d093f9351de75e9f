package cli

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ktrdr/ktrdr/internal/api"
	"github.com/ktrdr/ktrdr/internal/apiclient/apitest"
	"github.com/ktrdr/ktrdr/internal/collector"
	"github.com/ktrdr/ktrdr/internal/jaegerapi"
	"github.com/ktrdr/ktrdr/internal/operations"
	"github.com/ktrdr/ktrdr/internal/training"
)

// polled waits until the command has polled the operation n more times
// after now, so a state set before the call has been seen.
func polled(t *testing.T, f *apitest.Fixture, id string, n int) {
	t.Helper()
	_, before := f.CountPath("GET", "/api/v1/operations/"+id)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, p := f.CountPath("GET", "/api/v1/operations/"+id); p >= before+n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("operation %s was not polled %d more times", id, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func startedOp(t *testing.T, w *apitest.Worker) string {
	t.Helper()
	select {
	case id := <-w.Started:
		return id
	case <-time.After(10 * time.Second):
		t.Fatal("no operation reached the worker")
		return ""
	}
}

// TestTrainWatched: a real API; the training waits for a worker, runs with
// progress and epochs, completes. Not on a terminal, the progress is one
// line per step; the summary is the accuracy against the baseline.
func TestTrainWatched(t *testing.T) {
	quiet(t)
	f := apitest.New(t)
	run := started(context.Background(), "train", "rsi_mean_reversion", "--symbol", "SPX", "--timeframe", "1d", "--seed", "7", "--url", f.URL)

	// Pending: no training worker yet.
	f.WaitRequests(t, "POST", "/api/v1/training/start", 1, 10*time.Second)
	var id string
	for id == "" {
		l, _, _ := f.Store.List(context.Background(), operations.Filter{})
		if len(l) == 1 {
			id = l[0].ID
		}
		time.Sleep(time.Millisecond)
	}
	polled(t, f, id, 2)
	w := f.AddWorker(t, "t0", "training")
	if got := startedOp(t, w); got != id {
		t.Fatalf("worker started %s, want %s", got, id)
	}
	polled(t, f, id, 2)
	w.Progress(t, id, operations.Progress{Percentage: 8, CurrentStep: "computing indicators"})
	polled(t, f, id, 2)
	w.Progress(t, id, operations.Progress{Percentage: 15, CurrentStep: "epoch 0/40", StepsTotal: 40})
	polled(t, f, id, 2)
	w.Progress(t, id, operations.Progress{Percentage: 47, CurrentStep: "epoch 19/40", StepsCompleted: 19, StepsTotal: 40},
		training.EpochRecord{Epoch: 19, Epochs: 40, Loss: 0.9, Accuracy: 0.5, ValLoss: 0.95, ValAccuracy: 0.52})
	polled(t, f, id, 2)
	polled(t, f, id, 2) // the same step again: no new line
	res := fixedTrainingResult()
	w.Complete(t, id, operations.StatusCompleted, res, "")
	r := wait(t, run)

	if r.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.errOut)
	}
	got := lines(r.errOut)
	want := []string{
		"operation " + id + " pending",
		"pending: waiting for a free training worker",
		"  0%",
		"  8% computing indicators",
		" 15% epoch 0/40",
		" 47% epoch 19/40",
		"completed in ",
	}
	if len(got) != len(want) {
		t.Fatalf("progress lines:\n%s\nwant:\n%s", r.errOut, strings.Join(want, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("line %d = %q, want %q", i, got[i], want[i])
		}
	}
	golden(t, "training_summary", r.out) // the summary is the rendering of the result
	var params map[string]any
	op, _ := f.Store.Get(context.Background(), id)
	if json.Unmarshal(op.Params, &params) != nil || params["seed"] != 7.0 || params["symbols"].([]any)[0] != "SPX" {
		t.Errorf("params %s", op.Params)
	}
	// Polls are marked and untraced.
	for _, req := range f.Requests() {
		if req.Method == "GET" && !req.Poll() {
			t.Errorf("a GET that is not a poll: %s", req.Path)
		}
	}
}

// TestCtrlCCancels: Ctrl-C while watching a running training cancels it
// (DELETE reaches the API, the worker is asked and confirms), prints
// "cancelled operation ..." and exits 130.
func TestCtrlCCancels(t *testing.T) {
	quiet(t)
	f := apitest.New(t)
	w := f.AddWorker(t, "t0", "training")
	ctx, interrupt := context.WithCancel(context.Background())
	defer interrupt()
	run := started(ctx, "train", "rsi_mean_reversion", "--url", f.URL)
	id := startedOp(t, w)
	w.Progress(t, id, operations.Progress{Percentage: 20, CurrentStep: "epoch 2/40"})
	polled(t, f, id, 2)
	interrupt() // Ctrl-C: main's signal context is cancelled
	r := wait(t, run)
	if r.code != 130 {
		t.Fatalf("exit %d, want 130\n%s%s", r.code, r.out, r.errOut)
	}
	if n := f.Count("DELETE", "/api/v1/operations/"+id); n != 1 {
		t.Errorf("%d DELETE requests, want 1", n)
	}
	if c := w.Cancels(); !slices.Equal(c, []string{id}) {
		t.Errorf("the worker was asked to cancel %v", c)
	}
	ls := lines(r.errOut)
	if last := ls[len(ls)-1]; last != "cancelled operation "+id {
		t.Errorf("last line %q\n%s", last, r.errOut)
	}
	if !strings.Contains(r.errOut, "interrupted: cancelling operation "+id) {
		t.Errorf("stderr:\n%s", r.errOut)
	}
	if op, _ := f.Store.Get(context.Background(), id); op.Status != operations.StatusCancelled {
		t.Errorf("operation is %s", op.Status)
	}

	// --no-cancel on ops watch leaves it running.
	op2 := f.Create(t, &operations.Operation{Type: operations.TypeDummy, WorkerType: "backtest"})
	ctx2, interrupt2 := context.WithCancel(context.Background())
	run = started(ctx2, "ops", "watch", op2.ID, "--no-cancel", "--url", f.URL)
	polled(t, f, op2.ID, 1)
	interrupt2()
	r = wait(t, run)
	if r.code != 130 || !strings.Contains(r.errOut, "stopped watching operation "+op2.ID) || f.Count("DELETE", "/api/v1/operations/"+op2.ID) != 0 {
		t.Errorf("--no-cancel: exit %d, %q", r.code, r.errOut)
	}
}

// TestDataLoadWatched loads real bars (the embedded SPX sample through the
// host service) and reports the rows.
func TestDataLoadWatched(t *testing.T) {
	quiet(t)
	f := apitest.New(t)
	r := execute(context.Background(), "data", "load", "spx", "1d", "--mode", "full", "--start", "2020-01-01", "--end", "2020-03-31", "--url", f.URL)
	if r.code != 0 || !strings.HasPrefix(r.out, "loaded SPX 1d: ") || !strings.Contains(r.out, "rows added") {
		t.Fatalf("exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	if !strings.Contains(r.errOut, "completed in ") {
		t.Errorf("stderr %q", r.errOut)
	}
	r = execute(context.Background(), "data", "list", "--url", f.URL)
	if r.code != 0 || !strings.Contains(r.out, "2020-01-02 00:00  2020-03-31 00:00") {
		t.Errorf("data list:\n%s", r.out)
	}
	r = execute(context.Background(), "data", "show", "SPX", "1d", "--limit", "3", "--url", f.URL)
	if r.code != 0 || len(lines(r.out)) != 5 || !strings.Contains(r.out, "SPX 1d: bars 1-3 of ") {
		t.Errorf("data show:\n%s", r.out)
	}
}

// TestBacktestWatchedAndFailures: a backtest's summary is its metrics
// table; a failed operation is its error on one line, exit 1; --detach
// prints the ids and returns at once.
func TestBacktestWatchedAndFailures(t *testing.T) {
	quiet(t)
	f := apitest.New(t)
	w := f.AddWorker(t, "b1", "backtest")
	run := started(context.Background(), "backtest", "sma_crossover", "--commission", "0", "--capital", "25000", "--url", f.URL)
	id := startedOp(t, w)
	polled(t, f, id, 1)
	w.Progress(t, id, operations.Progress{Percentage: 55, CurrentStep: "bar 400/830"})
	polled(t, f, id, 2)
	w.Complete(t, id, operations.StatusCompleted, fixedBacktestResult(), "")
	r := wait(t, run)
	if r.code != 0 || !strings.Contains(r.errOut, " 55% bar 400/830\n") {
		t.Fatalf("exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	golden(t, "backtest_summary", r.out)
	op, _ := f.Store.Get(context.Background(), id)
	var params map[string]any
	if json.Unmarshal(op.Params, &params) != nil || params["initial_capital"] != 25000.0 || params["commission"] != 0.0 {
		t.Errorf("params %s", op.Params)
	}

	run = started(context.Background(), "backtest", "sma_crossover", "--url", f.URL, "-o", "json")
	id = startedOp(t, w)
	polled(t, f, id, 1)
	w.Complete(t, id, operations.StatusFailed, nil, "no SPX 1d bars from 2030-01-01")
	r = wait(t, run)
	if ls := lines(r.errOut); r.code != 1 || ls[len(ls)-1] != "Error: operation "+id+" failed: no SPX 1d bars from 2030-01-01" {
		t.Errorf("failed: exit %d, stderr %q", r.code, r.errOut)
	}
	var failed operations.Operation
	if json.Unmarshal([]byte(r.out), &failed) != nil || failed.Status != operations.StatusFailed {
		t.Errorf("-o json of the failed operation: %q", r.out)
	}

	r = execute(context.Background(), "backtest", "sma_crossover", "--detach", "--url", f.URL)
	id = startedOp(t, w)
	if r.code != 0 || !strings.HasPrefix(r.out, "operation "+id+" running\n") || !strings.Contains(r.out, "ktrdr ops watch "+id) || r.errOut != "" {
		t.Errorf("--detach: %d %q %q", r.code, r.out, r.errOut)
	}
	r = execute(context.Background(), "train", "rsi_mean_reversion", "--detach", "-o", "json", "--url", f.URL)
	var st api.StartResponse
	if r.code != 0 || json.Unmarshal([]byte(r.out), &st) != nil || st.Status != operations.StatusPending || !opIDPattern.MatchString(st.OperationID) {
		t.Errorf("--detach -o json: %d %q", r.code, r.out)
	}
}

// TestCLITraceIsBounded: with tracing on, a watched operation's trace
// starts at the command's root span, which carries cli.command and
// operation.id; however long the watch, the CLI adds two spans (the root and
// the start call) and no poll is traced anywhere.
func TestCLITraceIsBounded(t *testing.T) {
	fastWatch(t)
	store := collector.NewStore(0, 0)
	otlp := httptest.NewServer(collector.OTLPHTTPHandler(store))
	defer otlp.Close()
	query := httptest.NewServer(collector.QueryHandler(store))
	defer query.Close()
	t.Setenv("OTEL_SDK_DISABLED", "false")
	t.Setenv("OTLP_ENDPOINT", otlp.URL)
	t.Setenv("ENVIRONMENT", "test")

	f := apitest.New(t)
	w := f.AddWorker(t, "t0", "training")
	run := started(context.Background(), "train", "rsi_mean_reversion", "--url", f.URL)
	id := startedOp(t, w)
	for i := range 10 {
		w.Progress(t, id, operations.Progress{Percentage: float64(20 + i), CurrentStep: "epoch"})
		polled(t, f, id, 5)
	}
	w.Complete(t, id, operations.StatusCompleted, fixedTrainingResult(), "")
	r := wait(t, run)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	if _, polls := f.CountPath("GET", "/api/v1/operations/"+id); polls < 50 {
		t.Fatalf("only %d polls", polls)
	}

	op, _ := f.Store.Get(context.Background(), id)
	q := jaegerapi.NewClient(query.URL)
	tr, err := q.Trace(context.Background(), op.TraceID)
	if err != nil || op.TraceID == "" {
		t.Fatalf("trace %q of the operation: %v", op.TraceID, err)
	}
	var rootSpan *jaegerapi.Span
	var names []string
	for i, s := range tr.Spans {
		names = append(names, s.OperationName)
		if s.OperationName == "ktrdr train" {
			rootSpan = &tr.Spans[i]
		}
	}
	if rootSpan == nil || rootSpan.ParentSpanID() != "" || tr.Processes[rootSpan.ProcessID].ServiceName != CLIServiceName {
		t.Fatalf("the trace does not start at the command: %v", names)
	}
	if v, _ := jaegerapi.Tag(rootSpan.Tags, "cli.command"); v != "train" {
		t.Errorf("cli.command = %v", v)
	}
	if v, _ := jaegerapi.Tag(rootSpan.Tags, "operation.id"); v != id {
		t.Errorf("operation.id = %v", v)
	}
	if !slices.Contains(names, "POST /api/v1/training/start") {
		t.Errorf("no start call in %v", names)
	}
	t.Logf("spans: %v", names)
	// In this process the API's spans are exported too; still a handful.
	if len(tr.Spans) > 10 {
		t.Errorf("%d spans in the trace: %v", len(tr.Spans), names)
	}
	for _, s := range tr.Spans {
		if strings.HasPrefix(s.OperationName, "GET /api/v1/operations") {
			t.Errorf("a poll is in the trace: %s", s.OperationName)
		}
	}
	polls, err := q.FindTraces(context.Background(), jaegerapi.Query{Service: CLIServiceName, Operation: "GET /api/v1/operations/{id}", Limit: 10})
	if err != nil || len(polls) != 0 {
		t.Errorf("polls made traces: %d (%v)", len(polls), err)
	}
}
