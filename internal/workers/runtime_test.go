package workers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/ktrdr/ktrdr/internal/httpx"
	"github.com/ktrdr/ktrdr/internal/operations"
	"github.com/ktrdr/ktrdr/internal/telemetry"
	"github.com/ktrdr/ktrdr/internal/workerapi"
)

// harness is a real worker (Runtime + Server on an httptest server) in
// front of a fake backend, with every span recorded.
type harness struct {
	be      *fakeBackend
	rec     *tracetest.SpanRecorder
	tp      *sdktrace.TracerProvider
	rt      *Runtime
	url     string
	stopRun context.CancelFunc
	runDone chan error
}

func newHarness(t *testing.T, backendURL string, tweak func(*RuntimeConfig)) *harness {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	// otelhttp handlers and transports read the globals when built.
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := RuntimeConfig{
		WorkerID:          "w1",
		WorkerType:        TypeTraining,
		BackendURL:        backendURL,
		AdvertiseURL:      "http://" + ln.Addr().String(),
		HeartbeatInterval: 50 * time.Millisecond,
		ProgressInterval:  50 * time.Millisecond,
		ShutdownGrace:     2 * time.Second,
		Tracer:            tp.Tracer("test"),
		Logger:            slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if tweak != nil {
		tweak(&cfg)
	}
	rt := NewRuntime(cfg)
	info := httpx.Info{Service: ServiceName(cfg.WorkerType, cfg.WorkerID), WorkerID: cfg.WorkerID, WorkerType: cfg.WorkerType}
	srv := httptest.NewUnstartedServer(NewServer(info, rt).Handler())
	_ = srv.Listener.Close()
	srv.Listener = ln
	srv.Start()

	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{rec: rec, tp: tp, rt: rt, url: srv.URL, stopRun: cancel, runDone: make(chan error, 1)}
	go func() { h.runDone <- rt.Run(ctx) }()
	t.Cleanup(func() {
		h.stop(t)
		srv.Close()
		_ = tp.Shutdown(context.Background())
	})
	return h
}

// stop ends Run and checks that it returns promptly.
func (h *harness) stop(t *testing.T) {
	t.Helper()
	h.stopRun()
	select {
	case err, ok := <-h.runDone:
		if ok && err != nil {
			t.Errorf("Run: %v", err)
		}
		if ok {
			close(h.runDone)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5s of its context ending")
	}
}

type answer struct {
	status int
	body   map[string]any
}

func (a answer) errField(key string) string {
	e, _ := a.body["error"].(map[string]any)
	s, _ := e[key].(string)
	return s
}

func (h *harness) post(t *testing.T, client *http.Client, ctx context.Context, path string, body []byte) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode}
	_ = json.NewDecoder(resp.Body).Decode(&a.body)
	return a
}

func startBody(t *testing.T, id string, typ operations.Type, params any) []byte {
	t.Helper()
	p, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(workerapi.StartRequest{OperationID: id, OperationType: typ, Params: p})
	return b
}

func (h *harness) startDummy(t *testing.T, id string, params workerapi.DummyParams) answer {
	t.Helper()
	return h.post(t, http.DefaultClient, context.Background(), workerapi.StartPath(operations.TypeDummy), startBody(t, id, operations.TypeDummy, params))
}

func (h *harness) current(t *testing.T) workerapi.Current {
	t.Helper()
	resp, err := http.Get(h.url + workerapi.PathCurrent)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var c workerapi.Current
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

func (h *harness) waitCompletion(t *testing.T, id string, timeout time.Duration) workerapi.Completion {
	t.Helper()
	var c workerapi.Completion
	waitFor(t, timeout, "completion of "+id, func() bool {
		var ok bool
		c, ok = h.be.completion(id)
		return ok
	})
	return c
}

func (h *harness) spans(name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range h.rec.Ended() {
		if name == "" || s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

func attr(s sdktrace.ReadOnlySpan, key string) (attribute.Value, bool) {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

// newWorker starts a backend and a worker wired to it.
func newWorker(t *testing.T, tweak func(*RuntimeConfig)) *harness {
	be := newFakeBackend(t)
	h := newHarness(t, be.URL(), tweak)
	h.be = be
	return h
}

func TestRegisterHeartbeatsTokenAndNoSpans(t *testing.T) {
	h := newWorker(t, func(c *RuntimeConfig) { c.Token = "s3cret" })
	waitFor(t, 2*time.Second, "5 heartbeats", func() bool { return len(h.be.snapshotHeartbeats()) >= 5 })

	regs := h.be.snapshotRegistrations()
	if len(regs) != 1 {
		t.Fatalf("registrations = %d, want 1", len(regs))
	}
	r := regs[0]
	if r.WorkerID != "w1" || r.WorkerType != TypeTraining || r.EndpointURL != h.url || r.State != workerapi.StateIdle || r.CurrentOperationID != "" {
		t.Errorf("registration = %+v", r)
	}
	if types, _ := r.Capabilities["operation_types"].([]any); len(types) != 1 || types[0] != "dummy" {
		t.Errorf("capabilities = %v, want operation_types [dummy]", r.Capabilities)
	}
	for _, hb := range h.be.snapshotHeartbeats() {
		if hb.State != workerapi.StateIdle || hb.CurrentOperationID != "" || hb.Progress != nil {
			t.Errorf("idle heartbeat = %+v", hb)
		}
	}
	for i, tok := range h.be.snapshotTokens() {
		if tok != "s3cret" {
			t.Errorf("request %d carried token %q", i, tok)
		}
	}
	if s := h.rec.Started(); len(s) != 0 {
		t.Errorf("registration and heartbeats made %d spans (first %q); want none", len(s), s[0].Name())
	}
	h.stop(t)
	n := len(h.be.snapshotHeartbeats())
	time.Sleep(150 * time.Millisecond)
	if m := len(h.be.snapshotHeartbeats()); m != n {
		t.Errorf("heartbeats went on after Run returned: %d → %d", n, m)
	}
}

func TestRegistrationRetriedUntilBackendUp(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // nothing listens: the backend is down
	h := newHarness(t, "http://"+addr, nil)
	time.Sleep(400 * time.Millisecond)
	h.be = newFakeBackendAt(t, addr)
	waitFor(t, 3*time.Second, "registration once the backend is up", func() bool { return len(h.be.snapshotRegistrations()) == 1 })
	waitFor(t, time.Second, "heartbeats after registration", func() bool { return len(h.be.snapshotHeartbeats()) >= 2 })
}

func TestReRegistersWithRunningOperationAfterHeartbeat404(t *testing.T) {
	h := newWorker(t, nil)
	waitFor(t, 2*time.Second, "registration", func() bool { return len(h.be.snapshotRegistrations()) == 1 })
	if a := h.startDummy(t, "op_long", workerapi.DummyParams{DurationSeconds: 30, Steps: 30}); a.status != http.StatusAccepted {
		t.Fatalf("start: %d %v", a.status, a.body)
	}
	waitFor(t, 2*time.Second, "a busy heartbeat with progress", func() bool {
		hbs := h.be.snapshotHeartbeats()
		if len(hbs) == 0 {
			return false
		}
		last := hbs[len(hbs)-1]
		return last.State == workerapi.StateBusy && last.CurrentOperationID == "op_long" && last.Progress != nil && last.Progress.StepsTotal == 30
	})
	h.be.forget()
	waitFor(t, 2*time.Second, "re-registration", func() bool { return len(h.be.snapshotRegistrations()) == 2 })
	r := h.be.snapshotRegistrations()[1]
	if r.State != workerapi.StateBusy || r.CurrentOperationID != "op_long" {
		t.Errorf("re-registration = %+v, want busy with op_long", r)
	}
	n := len(h.be.snapshotHeartbeats())
	waitFor(t, time.Second, "heartbeats after re-registration", func() bool { return len(h.be.snapshotHeartbeats()) > n })
	if a := h.post(t, http.DefaultClient, context.Background(), "/operations/op_long/cancel", nil); a.status != http.StatusAccepted {
		t.Fatalf("cancel: %d %v", a.status, a.body)
	}
	h.waitCompletion(t, "op_long", 2*time.Second)
}

func TestStartBusyAndIdempotentRestart(t *testing.T) {
	h := newWorker(t, nil)
	a := h.startDummy(t, "op_a", workerapi.DummyParams{DurationSeconds: 30, Steps: 30})
	if a.status != http.StatusAccepted || a.body["operation_id"] != "op_a" || a.body["worker_id"] != "w1" {
		t.Fatalf("start: %d %v", a.status, a.body)
	}
	if b := h.startDummy(t, "op_b", workerapi.DefaultDummyParams()); b.status != http.StatusServiceUnavailable || b.errField("code") != "busy" || !strings.Contains(b.errField("message"), "op_a") {
		t.Errorf("second start while busy: %d %v, want 503 busy naming op_a", b.status, b.body)
	}
	if again := h.startDummy(t, "op_a", workerapi.DummyParams{DurationSeconds: 30, Steps: 30}); again.status != http.StatusAccepted {
		t.Errorf("retried start of the running operation: %d %v, want 202", again.status, again.body)
	}
	if c := h.current(t); c.State != workerapi.StateBusy || c.CurrentOperationID != "op_a" || c.WorkerID != "w1" {
		t.Errorf("current = %+v", c)
	}
	runs := 0
	for _, s := range h.rec.Started() {
		switch {
		case s.Name() == "dummy.run":
			runs++
		case strings.Contains(s.Name(), "heartbeat"), strings.Contains(s.Name(), "register"), strings.Contains(s.Name(), "current"):
			t.Errorf("untraced request made span %q", s.Name())
		}
	}
	if runs != 1 {
		t.Errorf("dummy.run spans started = %d, want 1 (busy and duplicate starts start nothing)", runs)
	}
}

func TestDummyCompletesInOneTrace(t *testing.T) {
	h := newWorker(t, nil)
	// The start comes from a traced caller, as the backend's dispatcher is.
	ctx, parent := h.tp.Tracer("test").Start(context.Background(), "dispatch")
	a := h.post(t, telemetry.NewHTTPClient(5*time.Second), ctx, "/dummy/start",
		startBody(t, "op_d", operations.TypeDummy, workerapi.DummyParams{DurationSeconds: 0.5, Steps: 1000}))
	parent.End()
	if a.status != http.StatusAccepted {
		t.Fatalf("start: %d %v", a.status, a.body)
	}
	c := h.waitCompletion(t, "op_d", 5*time.Second)
	if c.Status != operations.StatusCompleted || c.WorkerID != "w1" || c.Error != "" {
		t.Fatalf("completion = %+v", c)
	}
	var res DummyResult
	if err := json.Unmarshal(c.Result, &res); err != nil || res.StepsCompleted != 1000 || res.DurationSeconds < 0.4 {
		t.Errorf("result %s (%v), want 1000 steps over ~0.5s", c.Result, err)
	}
	reports := h.be.snapshotProgress("op_d")
	if len(reports) == 0 || len(reports) > 15 {
		t.Errorf("progress reports = %d, want a few (coalesced)", len(reports))
	} else if last := reports[len(reports)-1]; last.Progress == nil || last.Progress.StepsCompleted != 1000 || last.WorkerID != "w1" {
		t.Errorf("last progress report = %+v, want 1000/1000", last)
	}

	traceID := parent.SpanContext().TraceID()
	waitFor(t, time.Second, "completion client span", func() bool {
		return len(h.spans("POST /api/v1/operations/{id}/complete")) == 1
	})
	var servers []sdktrace.ReadOnlySpan // the test's own client span has the same name
	for _, s := range h.spans("POST /dummy/start") {
		if s.SpanKind() == trace.SpanKindServer {
			servers = append(servers, s)
		}
	}
	runs := h.spans("dummy.run")
	if len(servers) != 1 || len(runs) != 1 {
		t.Fatalf("server spans %d, run spans %d; want 1 each", len(servers), len(runs))
	}
	server, run := servers[0], runs[0]
	if server.SpanContext().TraceID() != traceID {
		t.Errorf("server span in trace %v, want the caller's trace %v", server.SpanContext().TraceID(), traceID)
	}
	if v, _ := attr(server, "operation.id"); v.AsString() != "op_d" {
		t.Errorf("server span operation.id = %q", v.AsString())
	}
	if run.Parent().SpanID() != server.SpanContext().SpanID() || run.SpanContext().TraceID() != traceID {
		t.Errorf("dummy.run parent %v (trace %v), want child of the server span %v", run.Parent().SpanID(), run.SpanContext().TraceID(), server.SpanContext().SpanID())
	}
	for k, want := range map[string]string{"operation.id": "op_d", "operation.type": "dummy", "worker.id": "w1", "operation.status": "completed"} {
		if v, _ := attr(run, k); v.AsString() != want {
			t.Errorf("dummy.run %s = %q, want %q", k, v.AsString(), want)
		}
	}
	if run.Status().Code != codes.Ok {
		t.Errorf("dummy.run status = %v, want Ok", run.Status())
	}
	if n := len(run.Events()); n < 10 || n > 25 {
		t.Errorf("dummy.run has %d events for 1000 steps, want a bounded 10..25", n)
	}
	if !run.EndTime().After(server.EndTime()) {
		t.Error("dummy.run ended before the start request: it must outlive the request")
	}
	complete := h.spans("POST /api/v1/operations/{id}/complete")[0]
	if complete.Parent().SpanID() != run.SpanContext().SpanID() {
		t.Error("completion report is not a child of dummy.run")
	}
	for _, s := range h.spans("POST /api/v1/operations/{id}/progress") {
		if s.Parent().SpanID() != run.SpanContext().SpanID() {
			t.Error("progress report is not a child of dummy.run")
		}
	}
	if tp := h.be.traceparent("op_d"); !strings.Contains(tp, traceID.String()) {
		t.Errorf("completion traceparent %q, want trace %s", tp, traceID)
	}
	for i, tok := range h.be.snapshotTokens() {
		if tok != "" {
			t.Errorf("request %d carried a token %q though none is configured", i, tok)
		}
	}
	if cur := h.current(t); cur.State != workerapi.StateIdle {
		t.Errorf("current after completion = %+v", cur)
	}
}

func TestDummyFailAtStep(t *testing.T) {
	h := newWorker(t, nil)
	if a := h.startDummy(t, "op_f", workerapi.DummyParams{DurationSeconds: 0.1, Steps: 5, FailAtStep: 3}); a.status != http.StatusAccepted {
		t.Fatalf("start: %d %v", a.status, a.body)
	}
	c := h.waitCompletion(t, "op_f", 3*time.Second)
	if c.Status != operations.StatusFailed || c.Error != "dummy operation failed at step 3" || len(c.Result) != 0 {
		t.Errorf("completion = %+v", c)
	}
	run := h.spans("dummy.run")[0]
	if run.Status().Code != codes.Error || run.Status().Description != "dummy operation failed at step 3" {
		t.Errorf("span status = %+v", run.Status())
	}
	found := false
	for _, e := range run.Events() {
		if e.Name == "exception" {
			found = true
		}
	}
	if !found {
		t.Error("no exception event on dummy.run")
	}
}

func TestCancel(t *testing.T) {
	h := newWorker(t, nil)
	if a := h.post(t, http.DefaultClient, context.Background(), "/operations/op_none/cancel", nil); a.status != http.StatusNotFound {
		t.Errorf("cancel while idle: %d, want 404", a.status)
	}
	if a := h.startDummy(t, "op_c", workerapi.DummyParams{DurationSeconds: 10, Steps: 10}); a.status != http.StatusAccepted {
		t.Fatalf("start: %d %v", a.status, a.body)
	}
	time.Sleep(100 * time.Millisecond)
	if a := h.post(t, http.DefaultClient, context.Background(), "/operations/op_other/cancel", nil); a.status != http.StatusNotFound {
		t.Errorf("cancel of another operation: %d, want 404", a.status)
	}
	began := time.Now()
	if a := h.post(t, http.DefaultClient, context.Background(), "/operations/op_c/cancel", nil); a.status != http.StatusAccepted || a.body["operation_id"] != "op_c" {
		t.Fatalf("cancel: %d %v", a.status, a.body)
	}
	c := h.waitCompletion(t, "op_c", 2*time.Second)
	if c.Status != operations.StatusCancelled {
		t.Errorf("completion = %+v, want cancelled", c)
	}
	if d := time.Since(began); d > 2*time.Second {
		t.Errorf("cancel took %v", d)
	}
	if cur := h.current(t); cur.State != workerapi.StateIdle {
		t.Errorf("current after cancel = %+v, want idle", cur)
	}
	if a := h.post(t, http.DefaultClient, context.Background(), "/operations/op_c/cancel", nil); a.status != http.StatusNotFound {
		t.Errorf("cancel of a finished operation: %d, want 404", a.status)
	}
	run := h.spans("dummy.run")[0]
	if v, _ := attr(run, "operation.status"); v.AsString() != "cancelled" || run.Status().Code != codes.Unset {
		t.Errorf("cancelled span: operation.status %q status %v, want cancelled/Unset", v.AsString(), run.Status())
	}
	if links := run.Links(); len(links) != 1 || !links[0].SpanContext.IsValid() {
		t.Errorf("cancelled span links = %v, want one to the cancel request", links)
	}
	if len(h.spans("POST /operations/{id}/cancel")) != 4 {
		t.Errorf("cancel server spans = %d, want 4", len(h.spans("POST /operations/{id}/cancel")))
	}
	if a := h.startDummy(t, "op_next", workerapi.DummyParams{DurationSeconds: 0.05, Steps: 2}); a.status != http.StatusAccepted {
		t.Fatalf("start after cancel: %d %v", a.status, a.body)
	}
	if c := h.waitCompletion(t, "op_next", 2*time.Second); c.Status != operations.StatusCompleted {
		t.Errorf("next completion = %+v", c)
	}
}

func TestCompletionRetriedUntilAccepted(t *testing.T) {
	h := newWorker(t, nil)
	h.be.failNextCompletions("op_r", 3, http.StatusServiceUnavailable)
	if a := h.startDummy(t, "op_r", workerapi.DummyParams{DurationSeconds: 0.01, Steps: 1}); a.status != http.StatusAccepted {
		t.Fatalf("start: %d %v", a.status, a.body)
	}
	// Idle at once: the pending report does not hold the worker.
	waitFor(t, time.Second, "idle", func() bool { return h.current(t).State == workerapi.StateIdle })
	if a := h.startDummy(t, "op_r2", workerapi.DummyParams{DurationSeconds: 0.01, Steps: 1}); a.status != http.StatusAccepted {
		t.Errorf("start while a report is pending: %d %v", a.status, a.body)
	}
	c := h.waitCompletion(t, "op_r", 5*time.Second)
	if c.Status != operations.StatusCompleted || h.be.completionAttempts("op_r") != 4 {
		t.Errorf("completion %+v after %d attempts, want completed after 4", c, h.be.completionAttempts("op_r"))
	}
	h.waitCompletion(t, "op_r2", 5*time.Second)
}

func TestCompletionRejectedIsNotRetried(t *testing.T) {
	h := newWorker(t, nil)
	h.be.failNextCompletions("op_x", 1, http.StatusConflict)
	if a := h.startDummy(t, "op_x", workerapi.DummyParams{DurationSeconds: 0.01, Steps: 1}); a.status != http.StatusAccepted {
		t.Fatalf("start: %d %v", a.status, a.body)
	}
	waitFor(t, 2*time.Second, "a completion attempt", func() bool { return h.be.completionAttempts("op_x") == 1 })
	time.Sleep(500 * time.Millisecond)
	if n := h.be.completionAttempts("op_x"); n != 1 {
		t.Errorf("attempts after a 409 = %d, want 1", n)
	}
}

func TestBackendRestartLosesNothing(t *testing.T) {
	h := newWorker(t, nil)
	waitFor(t, 2*time.Second, "registration", func() bool { return len(h.be.snapshotRegistrations()) == 1 })
	if a := h.startDummy(t, "op_bb", workerapi.DummyParams{DurationSeconds: 0.3, Steps: 3}); a.status != http.StatusAccepted {
		t.Fatalf("start: %d %v", a.status, a.body)
	}
	addr := h.be.Addr()
	h.be.srv.Close() // the backend goes down while the work runs
	waitFor(t, 2*time.Second, "idle", func() bool { return h.current(t).State == workerapi.StateIdle })
	// Down long enough for the completion's backoff to grow past a
	// heartbeat interval: its next retry (≥1.2s after the first attempt)
	// comes after the heartbeat that finds the backend back (~1.0s).
	time.Sleep(time.Second)
	h.be = newFakeBackendAt(t, addr) // back, with an empty registry
	c := h.waitCompletion(t, "op_bb", 5*time.Second)
	if c.Status != operations.StatusCompleted {
		t.Errorf("completion = %+v", c)
	}
	waitFor(t, 2*time.Second, "re-registration", func() bool { return len(h.be.snapshotRegistrations()) == 1 })
	if ev := h.be.snapshotEvents(); len(ev) < 2 || ev[0] != "complete:op_bb" || ev[1] != "register" {
		t.Errorf("events on the restarted backend = %v, want the completion before the registration saying idle", ev)
	}
	if r := h.be.snapshotRegistrations()[0]; r.State != workerapi.StateIdle {
		t.Errorf("re-registration = %+v", r)
	}
}

func TestShutdownCancelsWorkAndReportsIt(t *testing.T) {
	h := newWorker(t, nil)
	if a := h.startDummy(t, "op_s", workerapi.DummyParams{DurationSeconds: 30, Steps: 3}); a.status != http.StatusAccepted {
		t.Fatalf("start: %d %v", a.status, a.body)
	}
	time.Sleep(50 * time.Millisecond)
	began := time.Now()
	h.stop(t)
	if d := time.Since(began); d > time.Second {
		t.Errorf("Run took %v to return", d)
	}
	c, ok := h.be.completion("op_s")
	if !ok || c.Status != operations.StatusFailed || !strings.Contains(c.Error, "shut down") {
		t.Errorf("completion after shutdown = %+v (%v), want failed: worker shut down", c, ok)
	}
	if a := h.startDummy(t, "op_late", workerapi.DefaultDummyParams()); a.status != http.StatusServiceUnavailable {
		t.Errorf("start after shutdown: %d, want 503", a.status)
	}
	if err := h.rt.Run(context.Background()); err == nil {
		t.Error("second Run: want an error")
	}
}

// funcExecutor adapts a function to Executor.
type funcExecutor func(ctx context.Context, job Job, rep Reporter) (json.RawMessage, error)

func (f funcExecutor) Run(ctx context.Context, job Job, rep Reporter) (json.RawMessage, error) {
	return f(ctx, job, rep)
}

func TestMetricsDeliveredAndEventsBounded(t *testing.T) {
	const n = 150
	exec := funcExecutor(func(ctx context.Context, _ Job, rep Reporter) (json.RawMessage, error) {
		for i := 1; i <= n; i++ {
			rep.Metrics(map[string]any{"epoch": i, "loss": 1.0 / float64(i)})
			rep.Progress(operations.Progress{Percentage: float64(i) * 100 / n, CurrentStep: fmt.Sprintf("epoch %d/%d", i, n), StepsCompleted: i, StepsTotal: n})
			if i%10 == 0 {
				time.Sleep(20 * time.Millisecond)
			}
		}
		return json.RawMessage(`{"ok":true}`), nil
	})
	h := newWorker(t, func(c *RuntimeConfig) {
		c.Executors = map[operations.Type]Executor{operations.TypeTraining: exec}
	})
	h.be.failNextProgress("op_m", 2) // the metrics of failed reports are sent again, in order
	a := h.post(t, http.DefaultClient, context.Background(), "/training/start", startBody(t, "op_m", operations.TypeTraining, map[string]any{}))
	if a.status != http.StatusAccepted {
		t.Fatalf("start: %d %v", a.status, a.body)
	}
	c := h.waitCompletion(t, "op_m", 5*time.Second)
	if c.Status != operations.StatusCompleted || string(c.Result) != `{"ok":true}` {
		t.Errorf("completion = %+v", c)
	}
	var epochs []int
	for _, r := range h.be.snapshotProgress("op_m") {
		for _, m := range r.Metrics {
			var rec struct{ Epoch int }
			if err := json.Unmarshal(m, &rec); err != nil {
				t.Fatal(err)
			}
			epochs = append(epochs, rec.Epoch)
		}
	}
	if len(epochs) != n {
		t.Fatalf("backend received %d metric records, want %d", len(epochs), n)
	}
	for i, e := range epochs {
		if e != i+1 {
			t.Fatalf("metric records out of order at %d: %v", i, epochs[:i+1])
		}
	}
	run := h.spans("training.run")
	if len(run) != 1 {
		t.Fatalf("training.run spans = %d", len(run))
	}
	metricsEvents := 0
	for _, e := range run[0].Events() {
		if e.Name == "metrics" {
			metricsEvents++
		}
	}
	if metricsEvents != maxMetricsEvents || len(run[0].Events()) > maxMetricsEvents+maxProgressEvents {
		t.Errorf("metrics events %d of %d events, want %d metrics events (capped)", metricsEvents, len(run[0].Events()), maxMetricsEvents)
	}
	if v, _ := attr(run[0], "events.dropped"); v.AsInt64() != n-maxMetricsEvents {
		t.Errorf("events.dropped = %d, want %d", v.AsInt64(), n-maxMetricsEvents)
	}
}

func TestExecutorPanicFailsTheOperation(t *testing.T) {
	exec := funcExecutor(func(context.Context, Job, Reporter) (json.RawMessage, error) { panic("boom") })
	h := newWorker(t, func(c *RuntimeConfig) {
		c.Executors = map[operations.Type]Executor{operations.TypeDummy: exec}
	})
	if a := h.startDummy(t, "op_p", workerapi.DefaultDummyParams()); a.status != http.StatusAccepted {
		t.Fatalf("start: %d %v", a.status, a.body)
	}
	if c := h.waitCompletion(t, "op_p", 2*time.Second); c.Status != operations.StatusFailed || c.Error != "executor panicked: boom" {
		t.Errorf("completion = %+v", c)
	}
	waitFor(t, time.Second, "idle", func() bool { return h.current(t).State == workerapi.StateIdle })
}

func TestBadStartBodies(t *testing.T) {
	h := newWorker(t, nil) // a training worker with the dummy executor only
	big := append([]byte(`{"operation_id":"op_big","params":"`), bytes.Repeat([]byte("x"), maxStartBody)...)
	big = append(big, `"}`...)
	for _, tc := range []struct {
		name, path, body string
		raw              []byte
		status           int
		field, msg       string
	}{
		{"malformed", "/dummy/start", `{"operation_id":`, nil, 400, "", "malformed JSON"},
		{"wrong json type", "/dummy/start", `{"operation_id":5}`, nil, 400, "operation_id", "operation_id"},
		{"no operation id", "/dummy/start", `{"operation_type":"dummy"}`, nil, 400, "operation_id", "operation_id is required"},
		{"type mismatch", "/dummy/start", `{"operation_id":"op1","operation_type":"training"}`, nil, 400, "operation_type", "does not match /dummy/start"},
		{"no executor", "/training/start", `{"operation_id":"op1"}`, nil, 400, "operation_type", "not runnable"},
		{"bad steps", "/dummy/start", `{"operation_id":"op1","params":{"steps":-1}}`, nil, 400, "params.steps", "steps: must be between 1 and 10000"},
		{"steps not a number", "/dummy/start", `{"operation_id":"op1","params":{"steps":"x"}}`, nil, 400, "params.steps", "steps"},
		{"bad duration", "/dummy/start", `{"operation_id":"op1","params":{"duration_seconds":4000}}`, nil, 400, "params.duration_seconds", "3600"},
		{"bad fail_at_step", "/dummy/start", `{"operation_id":"op1","params":{"steps":5,"fail_at_step":6}}`, nil, 400, "params.fail_at_step", "fail_at_step"},
		{"params not an object", "/dummy/start", `{"operation_id":"op1","params":[1]}`, nil, 400, "params", "params"},
		{"too large", "/dummy/start", "", big, 413, "", "exceeds"},
		{"not a route here", "/backtests/start", `{"operation_id":"op1"}`, nil, 404, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.raw
			if body == nil {
				body = []byte(tc.body)
			}
			a := h.post(t, http.DefaultClient, context.Background(), tc.path, body)
			if a.status != tc.status || a.errField("field") != tc.field || !strings.Contains(a.errField("message"), tc.msg) {
				t.Errorf("%s %s: %d %v; want %d field %q message containing %q", tc.path, tc.name, a.status, a.body, tc.status, tc.field, tc.msg)
			}
		})
	}
	if c := h.current(t); c.State != workerapi.StateIdle {
		t.Errorf("a rejected start left the worker %+v", c)
	}
	if runs := h.spans("dummy.run"); len(runs) != 0 {
		t.Errorf("rejected starts made %d run spans", len(runs))
	}
}

func TestBacktestWorkerRoutes(t *testing.T) {
	h := newWorker(t, func(c *RuntimeConfig) { c.WorkerType = TypeBacktest })
	a := h.post(t, http.DefaultClient, context.Background(), "/backtests/start", []byte(`{"operation_id":"op1","operation_type":"backtesting"}`))
	if a.status != http.StatusBadRequest || a.errField("field") != "operation_type" {
		t.Errorf("/backtests/start without an executor: %d %v", a.status, a.body)
	}
	if a := h.post(t, http.DefaultClient, context.Background(), "/training/start", []byte(`{"operation_id":"op1"}`)); a.status != http.StatusNotFound {
		t.Errorf("/training/start on a backtest worker: %d", a.status)
	}
	if a := h.startDummy(t, "op_bd", workerapi.DummyParams{DurationSeconds: 0.01, Steps: 1}); a.status != http.StatusAccepted {
		t.Errorf("/dummy/start on a backtest worker: %d %v", a.status, a.body)
	}
	h.waitCompletion(t, "op_bd", 2*time.Second)
	resp, err := http.Get(h.url + "/health")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("GET /health: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		status int
		err    error
		want   outcome
	}{
		{200, nil, delivered}, {204, nil, delivered}, {0, errors.New("refused"), retry},
		{404, nil, retry}, {408, nil, retry}, {429, nil, retry}, {500, nil, retry}, {503, nil, retry},
		{400, nil, rejected}, {401, nil, rejected}, {409, nil, rejected},
	} {
		if got := classify(tc.status, tc.err); got != tc.want {
			t.Errorf("classify(%d, %v) = %v, want %v", tc.status, tc.err, got, tc.want)
		}
	}
}

func TestNoGoroutineOutlivesRun(t *testing.T) {
	t.Run("life", func(t *testing.T) {
		h := newWorker(t, nil)
		h.be.failNextCompletions("op_g2", 1000, http.StatusServiceUnavailable) // never accepted: a pending report at shutdown
		if a := h.startDummy(t, "op_g1", workerapi.DummyParams{DurationSeconds: 0.05, Steps: 5}); a.status != http.StatusAccepted {
			t.Fatalf("start: %d", a.status)
		}
		h.waitCompletion(t, "op_g1", 2*time.Second)
		if a := h.startDummy(t, "op_g2", workerapi.DummyParams{DurationSeconds: 0.01, Steps: 1}); a.status != http.StatusAccepted {
			t.Fatalf("start: %d", a.status)
		}
		waitFor(t, 2*time.Second, "a failed completion attempt", func() bool { return h.be.completionAttempts("op_g2") > 0 })
		if a := h.startDummy(t, "op_g3", workerapi.DummyParams{DurationSeconds: 30, Steps: 30}); a.status != http.StatusAccepted {
			t.Fatalf("start: %d", a.status)
		}
		time.Sleep(100 * time.Millisecond) // running, with its progress pump
	}) // cleanup: Run's context ends, servers close
	waitFor(t, 2*time.Second, "no runtime goroutine left", func() bool {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:goruntime.Stack(buf, true)])
		return !strings.Contains(stacks, "internal/workers.(*Runtime)") && !strings.Contains(stacks, "internal/workers.DummyExecutor")
	})
}
