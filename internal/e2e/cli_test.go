package e2e

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ktrdr/ktrdr/internal/jaegerapi"
	"github.com/ktrdr/ktrdr/internal/testkit"
)

// cli runs a ktrdr command against the stack, exporting its spans to the
// stack's backend, and returns its output and exit code.
func cli(t *testing.T, s *testkit.Stack, timeout time.Duration, args ...string) (string, int) {
	t.Helper()
	env := append(append(s.Backend.Env(), testkit.FastExport...), "KTRDR_API_URL="+s.APIURL, "KTRDR_QUERY_URL="+s.Backend.QueryURL)
	p := testkit.Start(t, "ktrdr "+strings.Join(args, " "), env, args...)
	code, ok := p.Wait(timeout)
	if !ok {
		t.Fatalf("ktrdr %v did not finish within %s:\n%s", args, timeout, p.Out.String())
	}
	return p.Out.String(), code
}

var opIDRe = regexp.MustCompile(`op_[a-z]+_\d{8}_\d{6}_[0-9a-f]{8}`)

// serviceOf is the service of a span.
func serviceOf(tr jaegerapi.Trace, s *jaegerapi.Span) string {
	return tr.Processes[s.ProcessID].ServiceName
}

// spansOf returns the spans of one service with one name.
func spansOf(tr jaegerapi.Trace, service, name string) []*jaegerapi.Span {
	var out []*jaegerapi.Span
	for i := range tr.Spans {
		s := &tr.Spans[i]
		if serviceOf(tr, s) == service && s.OperationName == name {
			out = append(out, s)
		}
	}
	return out
}

// assertGuideFlow asserts, item by item, the original validation guide's
// unchecked "Distributed Trace Flow (End-to-End)" list for an operation
// started from the CLI, plus the root: the trace starts at the user.
func assertGuideFlow(t *testing.T, tr jaegerapi.Trace, command, route, workerRoute, run, workerService string) {
	t.Helper()
	byID := map[string]*jaegerapi.Span{}
	for i := range tr.Spans {
		byID[tr.Spans[i].SpanID] = &tr.Spans[i]
	}
	one := func(what, service, name string) *jaegerapi.Span {
		t.Helper()
		got := spansOf(tr, service, name)
		if len(got) != 1 {
			t.Fatalf("%s: want one %s span %q, got %d", what, service, name, len(got))
		}
		return got[0]
	}
	kind := func(s *jaegerapi.Span) string { v, _ := jaegerapi.Tag(s.Tags, "span.kind"); return v.(string) }
	root := one("the user's command is the root", "ktrdr-cli", "ktrdr "+command)
	if root.ParentSpanID() != "" {
		t.Errorf("ktrdr %s has a parent", command)
	}
	if v, _ := jaegerapi.Tag(root.Tags, "cli.command"); v != command {
		t.Errorf("cli.command = %v", v)
	}
	if v, _ := jaegerapi.Tag(root.Tags, "operation.id"); !opIDRe.MatchString(v.(string)) {
		t.Errorf("root operation.id = %v", v)
	}
	// - [ ] Backend receives request (span: POST /api/v1/training/start)
	recv := one("backend receives request", "ktrdr-api", "POST "+route)
	if kind(recv) != "server" || byID[recv.ParentSpanID()] == nil || serviceOf(tr, byID[recv.ParentSpanID()]) != "ktrdr-cli" {
		t.Errorf("the API's request span is not a server span under the CLI's call")
	}
	// - [ ] Backend selects worker (span: internal worker selection)
	sel := one("backend selects worker", "ktrdr-api", "workers.select")
	if v, _ := jaegerapi.Tag(sel.Tags, "worker.selected_id"); v == nil || v == "" {
		t.Errorf("workers.select has no worker.selected_id")
	}
	// - [ ] Backend dispatches to worker (span: POST http://worker:5002/training/start)
	disp := one("backend dispatches to worker", "ktrdr-api", "POST "+workerRoute)
	if kind(disp) != "client" {
		t.Errorf("dispatch span kind %s", kind(disp))
	}
	// - [ ] Worker receives request (span: POST /training/start)
	wrecv := one("worker receives request", workerService, "POST "+workerRoute)
	if kind(wrecv) != "server" || wrecv.ParentSpanID() != disp.SpanID {
		t.Errorf("the worker's request span is not the child of the API's dispatch")
	}
	// - [ ] Worker executes training (custom spans can be added in future)
	exec := one("worker executes", workerService, run)
	if v, _ := jaegerapi.Tag(exec.Tags, "operation.status"); v != "completed" {
		t.Errorf("%s operation.status = %v", run, v)
	}
	// - [ ] All spans linked by same trace_id
	for _, s := range tr.Spans {
		if s.TraceID != tr.TraceID {
			t.Errorf("span %s %q has trace id %s", serviceOf(tr, &s), s.OperationName, s.TraceID)
		}
		if p := s.ParentSpanID(); p != "" && byID[p] == nil {
			t.Errorf("span %s %q has a parent that is not in the trace", serviceOf(tr, &s), s.OperationName)
		}
	}
	// And the whole chain: cli → api → worker → host.
	fetch := findByName(tr, "data.fetch")
	c := chain(tr, fetch)
	services := []string{}
	for _, link := range c {
		svc := strings.SplitN(link, ":", 2)[0]
		if len(services) == 0 || services[len(services)-1] != svc {
			services = append(services, svc)
		}
	}
	want := []string{"ktrdr-ib-host-service", workerService, "ktrdr-api", "ktrdr-cli"}
	if strings.Join(services, " < ") != strings.Join(want, " < ") {
		t.Errorf("data.fetch's service chain %v, want %v (%s)", services, want, strings.Join(c, " < "))
	}
	// No polls: the CLI's only spans are its root and its one API call.
	for _, s := range tr.Spans {
		if serviceOf(tr, &s) == "ktrdr-cli" && s.SpanID != root.SpanID && s.OperationName != "POST "+route {
			t.Errorf("unexpected CLI span %q", s.OperationName)
		}
		if strings.HasPrefix(s.OperationName, "GET /api/v1/operations") {
			t.Errorf("a status poll is in the trace: %s %s", serviceOf(tr, &s), s.OperationName)
		}
	}
}

// TestCLITrainAndBacktestAreOneTraceEach: `ktrdr train` and `ktrdr
// backtest` from the command line each make ONE trace cli → api → worker →
// host, and `ktrdr trace <op>` prints it.
func TestCLITrainAndBacktestAreOneTraceEach(t *testing.T) {
	for _, b := range testkit.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			s := testkit.StartStack(t, b, testkit.StackOptions{TrainingWorkers: 1, BacktestWorkers: 1})
			out, code := cli(t, s, 120*time.Second, "train", "volatility_regime", "--symbol", "SPX", "--timeframe", "1d")
			if code != 0 || !strings.Contains(out, "accuracy") {
				t.Fatalf("ktrdr train exited %d:\n%s", code, out)
			}
			trainID := opIDRe.FindString(out)
			op := s.Op(trainID)
			if op.Status != "completed" {
				t.Fatalf("training %s is %s", trainID, op.Status)
			}
			tr := waitTraceWith(t, b, op.TraceID, "ktrdr train", "training.save_model", "data.fetch", "training.run")
			assertGuideFlow(t, tr, "train", "/api/v1/training/start", "/training/start", "training.run", "ktrdr-training-worker-t0")

			out, code = cli(t, s, 60*time.Second, "backtest", "volatility_regime", "--symbol", "SPX", "--timeframe", "1d", "--start", "2018-01-02", "--capital", "25000")
			if code != 0 || !strings.Contains(strings.ToLower(out), "sharpe") {
				t.Fatalf("ktrdr backtest exited %d:\n%s", code, out)
			}
			btID := opIDRe.FindString(out)
			bt := s.Op(btID)
			tr = waitTraceWith(t, b, bt.TraceID, "ktrdr backtest", "backtest.metrics", "data.fetch")
			assertGuideFlow(t, tr, "backtest", "/api/v1/backtests/start", "/backtests/start", "backtest.run", "ktrdr-backtest-worker-b1")

			out, code = cli(t, s, 30*time.Second, "trace", trainID, "--color", "never")
			for _, want := range []string{"ktrdr-cli  ktrdr train", "ktrdr-api  POST /api/v1/training/start", "ktrdr-training-worker-t0  POST /training/start",
				"training.fit", "events: epoch×", "ktrdr-ib-host-service  POST /data/historical", "data.fetch"} {
				if code != 0 || !strings.Contains(out, want) {
					t.Errorf("ktrdr trace (exit %d) lacks %q:\n%s", code, want, out)
				}
			}
		})
	}
}

// TestCLIWatchIsBoundedAndCtrlCCancels: a training watched for two minutes
// adds no spans to its trace (the CLI's are the root and the start call);
// Ctrl-C cancels the operation and the root span is still exported.
func TestCLIWatchIsBoundedAndCtrlCCancels(t *testing.T) {
	t.Parallel()
	b := testkit.Backends(t)[0]
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("..", "..", "strategies", "rsi_mean_reversion.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Replace(string(src), "name: rsi_mean_reversion", "name: endless", 1)
	long = epochsPattern.ReplaceAllString(long, "${1}100000")
	long = strings.Replace(long, "early_stopping: {enabled: true", "early_stopping: {enabled: false", 1)
	if err := os.WriteFile(filepath.Join(dir, "endless.yaml"), []byte(long), 0o644); err != nil {
		t.Fatal(err)
	}
	s := testkit.StartStack(t, b, testkit.StackOptions{TrainingWorkers: 1, APIArgs: []string{"--strategies-dir", dir}})
	env := append(append(b.Env(), testkit.FastExport...), "KTRDR_API_URL="+s.APIURL)
	p := testkit.Start(t, "ktrdr train (watched)", env, "train", "endless")
	watch := 2 * time.Minute
	if testing.Short() {
		watch = 10 * time.Second
	}
	time.Sleep(watch)
	var list struct {
		Operations []testkit.Operation `json:"operations"`
	}
	s.Get("/api/v1/operations?type=training", &list)
	if len(list.Operations) != 1 || list.Operations[0].Status != "running" {
		t.Fatalf("after %s: %+v\n%s", watch, list.Operations, p.Out.String())
	}
	op := list.Operations[0]
	p.Signal(syscall.SIGINT)
	code, ok := p.Wait(20 * time.Second)
	if !ok || code != 130 || !strings.Contains(p.Out.String(), "cancel") {
		t.Fatalf("ktrdr train after Ctrl-C: exit %d (finished %v)\n%s", code, ok, p.Out.String())
	}
	s.WaitOp(op.ID, "cancelled", 10*time.Second)
	tr := waitTraceWith(t, b, op.TraceID, "ktrdr train", "training.run", "DELETE /api/v1/operations/{id}")
	var cliSpans []string
	for _, sp := range tr.Spans {
		if serviceOf(tr, &sp) == "ktrdr-cli" {
			cliSpans = append(cliSpans, sp.OperationName)
		}
		// The trace grows with the worker's own progress reports, not with
		// the watching: no status read of any kind is in it.
		if strings.HasPrefix(sp.OperationName, "GET ") {
			t.Errorf("a read is in the operation's trace: %s %s", serviceOf(tr, &sp), sp.OperationName)
		}
	}
	// The root, the start call and the cancel call: whatever the watch's length.
	if len(cliSpans) != 3 {
		t.Errorf("after a %s watch the CLI has %d spans in the trace: %v", watch, len(cliSpans), cliSpans)
	}
	t.Logf("after a %s watch: %d spans in the trace, %d of them the CLI's", watch, len(tr.Spans), len(cliSpans))
	// Polls made no trace of their own either.
	q := jaegerapi.NewClient(b.QueryURL)
	polls, err := q.FindTraces(context.Background(), jaegerapi.Query{Service: "ktrdr-api", Operation: "GET /api/v1/operations/{id}", Limit: 10})
	if err != nil || len(polls) != 0 {
		t.Errorf("status polls were traced: %d traces (%v)", len(polls), err)
	}
}
