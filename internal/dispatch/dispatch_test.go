package dispatch

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/ktrdr/ktrdr/internal/operations"
	"github.com/ktrdr/ktrdr/internal/registry"
	"github.com/ktrdr/ktrdr/internal/workerapi"
)

// fakeWorker accepts starts (or answers busy) and records them; it is the
// worker side of the wire contract, nothing more.
type fakeWorker struct {
	mu   sync.Mutex
	busy bool
	// onStart, if set, runs before the start is answered: a worker so quick
	// it reports its outcome before the backend hears its 202.
	onStart func(id string)
	started []string
	cancels []string
	srv     *httptest.Server
}

func newFakeWorker(t *testing.T) *fakeWorker {
	f := &fakeWorker{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /dummy/start", func(w http.ResponseWriter, r *http.Request) {
		var req workerapi.StartRequest
		_ = json.NewDecoder(r.Body).Decode(&req)
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.busy {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		f.started = append(f.started, req.OperationID)
		if f.onStart != nil {
			f.onStart(req.OperationID)
		} else {
			f.busy = true
		}
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("POST /operations/{id}/cancel", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.cancels = append(f.cancels, r.PathValue("id"))
		w.WriteHeader(http.StatusAccepted)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeWorker) starts() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.started...)
}

func (f *fakeWorker) free() {
	f.mu.Lock()
	f.busy = false
	f.mu.Unlock()
}

type fixture struct {
	d     *Dispatcher
	store operations.Store
	reg   *registry.Registry
	rec   *tracetest.SpanRecorder
	tp    *sdktrace.TracerProvider
}

func newFixture(t *testing.T, policy string, lostAfter time.Duration) *fixture {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	f := &fixture{store: operations.NewMemoryStore(), reg: registry.New(lostAfter), rec: rec, tp: tp}
	f.d = New(Config{Store: f.store, Registry: f.reg, HTTP: http.DefaultClient, LostPolicy: policy, LostAfter: lostAfter,
		Tick: 20 * time.Millisecond, Tracer: tp.Tracer("test")})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return f
}

func (f *fixture) register(t *testing.T, id string, w *fakeWorker) {
	t.Helper()
	if _, err := f.reg.Register(workerapi.RegisterRequest{WorkerID: id, WorkerType: "training", EndpointURL: w.srv.URL}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) submit(t *testing.T, ctx context.Context) *operations.Operation {
	t.Helper()
	op, err := f.d.Submit(ctx, &operations.Operation{ID: operations.NewID(operations.TypeDummy, time.Now()), Type: operations.TypeDummy,
		WorkerType: "training", Params: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	return op
}

func (f *fixture) waitStatus(t *testing.T, id string, want operations.Status) *operations.Operation {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		op, err := f.store.Get(context.Background(), id)
		if err == nil && op.Status == want {
			return op
		}
		if time.Now().After(deadline) {
			t.Fatalf("operation %s: status %v, want %s (%v)", id, op.Status, want, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSubmitDispatchesInlineInTheSameTrace(t *testing.T) {
	f := newFixture(t, LostFail, time.Minute)
	w := newFakeWorker(t)
	f.register(t, "w1", w)
	ctx, root := f.tp.Tracer("test").Start(context.Background(), "POST /api/v1/dummy/start")
	op := f.submit(t, ctx)
	root.End()
	if op.Status != operations.StatusRunning || op.WorkerID != "w1" || op.Attempts != 1 || op.StartedAt == nil {
		t.Fatalf("op after submit: %+v", op)
	}
	spans := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range f.rec.Ended() {
		spans[s.Name()] = s
	}
	create := spans["operations.create"]
	if op.TraceID != root.SpanContext().TraceID().String() || create == nil || !strings.Contains(op.TraceParent, create.SpanContext().SpanID().String()) {
		t.Errorf("op trace %s / %s, want the request's trace and the creating span", op.TraceID, op.TraceParent)
	}
	for _, name := range []string{"operations.create", "workers.select"} {
		s, ok := spans[name]
		if !ok || s.Parent().SpanID() != root.SpanContext().SpanID() {
			t.Fatalf("%s missing or not a child of the request span", name)
		}
	}
	if got := attr(spans["workers.select"], "worker.selected_id"); got != "w1" {
		t.Errorf("worker.selected_id = %q", got)
	}
	if got := attr(spans["workers.select"], "worker.candidates"); got != "1" {
		t.Errorf("worker.candidates = %q", got)
	}
}

func attr(s sdktrace.ReadOnlySpan, key string) string {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value.String()
		}
	}
	return ""
}

func TestQueueFIFOAndQueuedDispatchContinuesTrace(t *testing.T) {
	f := newFixture(t, LostFail, time.Minute)
	ctx, root := f.tp.Tracer("test").Start(context.Background(), "request")
	first, second := f.submit(t, ctx), f.submit(t, ctx)
	root.End()
	if first.Status != operations.StatusPending || second.Status != operations.StatusPending {
		t.Fatal("with no worker, operations must wait pending")
	}
	w := newFakeWorker(t)
	f.register(t, "w1", w)
	f.waitStatus(t, first.ID, operations.StatusRunning)
	if got := w.starts(); len(got) != 1 || got[0] != first.ID {
		t.Fatalf("FIFO: started %v, want %s first", got, first.ID)
	}
	w.free()
	if _, err := f.d.Complete(context.Background(), first.ID, workerapi.Completion{WorkerID: "w1", Status: operations.StatusCompleted, Result: json.RawMessage(`{"ok":true}`)}); err != nil {
		t.Fatal(err)
	}
	f.waitStatus(t, second.ID, operations.StatusRunning)
	var queued sdktrace.ReadOnlySpan
	for _, s := range f.rec.Ended() {
		if s.Name() == "operations.dispatch_queued" && attr(s, "operation.id") == second.ID {
			queued = s
		}
	}
	if queued == nil || queued.SpanContext().TraceID() != root.SpanContext().TraceID() || !strings.Contains(second.TraceParent, queued.Parent().SpanID().String()) {
		t.Fatal("queued dispatch is not a child of the operation's creating span in its trace")
	}
	if attr(queued, "queue.wait_ms") == "" {
		t.Error("queued dispatch lacks queue.wait_ms")
	}
	// A repeated completion is accepted; a contradicting one is a conflict.
	if _, err := f.d.Complete(context.Background(), first.ID, workerapi.Completion{WorkerID: "w1", Status: operations.StatusCompleted}); err != nil {
		t.Errorf("repeated completion: %v", err)
	}
	if _, err := f.d.Complete(context.Background(), first.ID, workerapi.Completion{WorkerID: "w1", Status: operations.StatusFailed}); err == nil {
		t.Error("a different outcome for a settled operation must conflict")
	}
}

func TestBusyWorkerIsSkipped(t *testing.T) {
	f := newFixture(t, LostFail, time.Minute)
	busy, idle := newFakeWorker(t), newFakeWorker(t)
	busy.busy = true
	f.register(t, "a-busy", busy)
	f.register(t, "b-idle", idle)
	op := f.submit(t, context.Background())
	if op.WorkerID != "b-idle" {
		t.Fatalf("want the 503 worker skipped, ran on %q", op.WorkerID)
	}
}

func TestCancel(t *testing.T) {
	f := newFixture(t, LostFail, time.Minute)
	pending := f.submit(t, context.Background())
	op, err := f.d.Cancel(context.Background(), pending.ID)
	if err != nil || op.Status != operations.StatusCancelled {
		t.Fatalf("cancel pending: %+v %v", op, err)
	}
	w := newFakeWorker(t)
	f.register(t, "w1", w)
	running := f.submit(t, context.Background())
	op, err = f.d.Cancel(context.Background(), running.ID)
	if err != nil || op.Status != operations.StatusRunning || !op.CancelRequested {
		t.Fatalf("cancel running: %+v %v", op, err)
	}
	if len(w.cancels) != 1 || w.cancels[0] != running.ID {
		t.Fatalf("worker was not asked to cancel: %v", w.cancels)
	}
	if _, err := f.d.Complete(context.Background(), running.ID, workerapi.Completion{WorkerID: "w1", Status: operations.StatusCancelled}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.Cancel(context.Background(), running.ID); err == nil {
		t.Error("cancelling a settled operation must conflict")
	}
}

func TestLostWorker(t *testing.T) {
	for _, policy := range []string{LostFail, LostRequeue} {
		t.Run(policy, func(t *testing.T) {
			f := newFixture(t, policy, 100*time.Millisecond)
			w := newFakeWorker(t)
			f.register(t, "w1", w)
			op := f.submit(t, context.Background())
			if op.WorkerID != "w1" {
				t.Fatal("not dispatched")
			}
			// w1 never heartbeats: it is lost after 100ms.
			if policy == LostFail {
				got := f.waitStatus(t, op.ID, operations.StatusFailed)
				if got.Error == nil || !strings.Contains(*got.Error, "w1") {
					t.Errorf("reason must name the worker: %v", got.Error)
				}
			} else {
				got := f.waitStatus(t, op.ID, operations.StatusPending)
				if got.WorkerID != "" || got.Attempts != 1 {
					t.Errorf("re-queued op: %+v", got)
				}
				w2 := newFakeWorker(t)
				f.register(t, "w2", w2)
				if got := f.waitStatus(t, op.ID, operations.StatusRunning); got.WorkerID != "w2" || got.Attempts != 2 {
					t.Errorf("re-dispatched op: %+v", got)
				}
			}
			var lostSpan sdktrace.ReadOnlySpan
			for _, s := range f.rec.Ended() {
				if s.Name() == "operations.worker_lost" {
					lostSpan = s
				}
			}
			if lostSpan == nil || lostSpan.Status().Code.String() != "Error" || lostSpan.SpanContext().TraceID().String() != op.TraceID {
				t.Error("the operation's trace must show the lost worker as an error")
			}
		})
	}
}

// TestOutcomeBeforeStartAnswer: a worker may finish and report before its
// 202 reaches the backend; the report must be accepted.
func TestOutcomeBeforeStartAnswer(t *testing.T) {
	f := newFixture(t, LostFail, time.Minute)
	w := newFakeWorker(t)
	var reportErr error
	w.onStart = func(id string) {
		_, reportErr = f.d.Complete(context.Background(), id, workerapi.Completion{WorkerID: "w1", Status: operations.StatusCompleted})
	}
	f.register(t, "w1", w)
	op := f.submit(t, context.Background())
	if reportErr != nil {
		t.Fatalf("early completion rejected: %v", reportErr)
	}
	if got := f.waitStatus(t, op.ID, operations.StatusCompleted); got.Attempts != 1 || got.WorkerID != "w1" {
		t.Errorf("op %+v", got)
	}
}
