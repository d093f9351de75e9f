// Package apitest runs the real ktrdr API in a test: the api package's
// handler over an in-memory operations store, the worker registry and the
// dispatcher, a model store and a bar store in temporary directories, the
// embedded example strategies, and the market-data host service (embedded
// SPX sample, synthetic SYN* symbols) behind data loads. Tests drive
// operations through the same calls a worker makes (Worker), or through the
// store, and read back every request the API received.
package apitest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"

	"github.com/ktrdr/ktrdr/internal/api"
	"github.com/ktrdr/ktrdr/internal/dataload"
	"github.com/ktrdr/ktrdr/internal/dispatch"
	"github.com/ktrdr/ktrdr/internal/httpx"
	"github.com/ktrdr/ktrdr/internal/ibhost"
	"github.com/ktrdr/ktrdr/internal/models"
	"github.com/ktrdr/ktrdr/internal/operations"
	"github.com/ktrdr/ktrdr/internal/registry"
	"github.com/ktrdr/ktrdr/internal/strategy"
	"github.com/ktrdr/ktrdr/internal/workerapi"
)

// Request is one request the API received.
type Request struct {
	Method string
	Path   string
	Query  string
	Header http.Header
}

// Poll tells whether the request was marked as a status poll.
func (r Request) Poll() bool { return r.Header.Get("X-Ktrdr-Poll") != "" }

// Traced tells whether the request carried a W3C traceparent.
func (r Request) Traced() bool { return r.Header.Get("Traceparent") != "" }

// Fixture is a running API with its components.
type Fixture struct {
	URL        string
	Server     *httptest.Server
	Store      *operations.MemoryStore
	Registry   *registry.Registry
	Dispatcher *dispatch.Dispatcher
	Models     *models.Store
	Bars       *dataload.Store
	Loader     *dataload.Loader

	mu       sync.Mutex
	requests []Request
}

// New starts the API; it stops when the test ends.
func New(t testing.TB) *Fixture {
	t.Helper()
	host := httptest.NewServer(ibhost.New(httpx.Info{Service: ibhost.ServiceName, InstanceID: "test-host"}).Handler())
	t.Cleanup(host.Close)

	store := operations.NewMemoryStore()
	reg := registry.New(time.Minute)
	// The dispatcher serves its queue (a pending operation starts when a
	// worker registers); nothing is declared lost during a test.
	disp := dispatch.New(dispatch.Config{Store: store, Registry: reg, HTTP: http.DefaultClient, LostAfter: time.Hour, Tick: 50 * time.Millisecond})
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { disp.Run(ctx); close(done) }()
	modelStore, err := models.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	hostClient := &ibhost.Client{BaseURL: host.URL, HTTP: &http.Client{Timeout: 30 * time.Second}}
	loader := &dataload.Loader{
		Store: &dataload.Store{Dir: t.TempDir()}, Host: hostClient, Ops: store,
		Tracer: otel.Tracer("ktrdr/dataload"), Now: time.Now,
	}
	f := &Fixture{Store: store, Registry: reg, Dispatcher: disp, Models: modelStore, Bars: loader.Store, Loader: loader}
	h := api.New(api.Config{
		Info: httpx.Info{Service: api.ServiceName, Version: "test", InstanceID: "test-api"}, Client: http.DefaultClient,
		Store: store, Registry: reg, Dispatcher: disp, Loader: loader, Bars: loader.Store,
		Strategies: strategy.Catalog{}, Models: modelStore, Host: hostClient,
	}).Handler()
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests = append(f.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone()})
		f.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	f.URL = f.Server.URL
	t.Cleanup(func() {
		f.Server.Close()
		stop()
		<-done
		loader.Shutdown()
	})
	return f
}

// Requests returns the requests received so far, oldest first.
func (f *Fixture) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.requests...)
}

// CountPath counts the received requests of method to exactly path, and
// how many of them were status polls.
func (f *Fixture) CountPath(method, path string) (all, polls int) {
	for _, r := range f.Requests() {
		if r.Method == method && r.Path == path {
			all++
			if r.Poll() {
				polls++
			}
		}
	}
	return all, polls
}

// Count counts the received requests of method whose path starts with prefix.
func (f *Fixture) Count(method, prefix string) int {
	n := 0
	for _, r := range f.Requests() {
		if (method == "" || r.Method == method) && strings.HasPrefix(r.Path, prefix) {
			n++
		}
	}
	return n
}

// WaitRequests waits until at least n requests of method under prefix have
// been received (in all), or fails the test after timeout.
func (f *Fixture) WaitRequests(t testing.TB, method, prefix string, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for f.Count(method, prefix) < n {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %d %s %s requests, got %d", timeout, n, method, prefix, f.Count(method, prefix))
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// Create stores an operation as the backend would have (status pending
// unless set, created now unless set).
func (f *Fixture) Create(t testing.TB, op *operations.Operation) *operations.Operation {
	t.Helper()
	if op.Status == "" {
		op.Status = operations.StatusPending
	}
	if op.CreatedAt.IsZero() {
		op.CreatedAt = time.Now().UTC()
	}
	if op.ID == "" {
		op.ID = operations.NewID(op.Type, op.CreatedAt)
	}
	if err := f.Store.Create(context.Background(), op); err != nil {
		t.Fatal(err)
	}
	return op
}

// Worker is a scripted worker registered with the API: it accepts every
// start, and the test reports progress and outcomes for it through the
// dispatcher, as a real worker's reports would arrive. A cancel request is
// accepted and confirmed at once with a cancelled outcome.
type Worker struct {
	ID, Type string
	Server   *httptest.Server
	Started  chan string // operation ids, as they are started

	f       *Fixture
	mu      sync.Mutex
	cancels []string
}

// AddWorker starts and registers a worker of type training or backtest.
func (f *Fixture) AddWorker(t testing.TB, id, workerType string) *Worker {
	t.Helper()
	w := &Worker{ID: id, Type: workerType, Started: make(chan string, 16), f: f}
	mux := http.NewServeMux()
	start := func(rw http.ResponseWriter, r *http.Request) {
		var req workerapi.StartRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			httpx.WriteError(rw, http.StatusBadRequest, "invalid_argument", err.Error(), "")
			return
		}
		w.Started <- req.OperationID
		httpx.WriteJSON(rw, http.StatusAccepted, workerapi.StartResponse{OperationID: req.OperationID, WorkerID: id})
	}
	for _, p := range []string{"/training/start", "/backtests/start", "/dummy/start"} {
		mux.HandleFunc("POST "+p, start)
	}
	mux.HandleFunc("POST "+workerapi.PathCancel, func(rw http.ResponseWriter, r *http.Request) {
		opID := r.PathValue("id")
		w.mu.Lock()
		w.cancels = append(w.cancels, opID)
		w.mu.Unlock()
		rw.WriteHeader(http.StatusAccepted)
		go func() {
			// Confirm as a worker does, after its answer.
			time.Sleep(10 * time.Millisecond)
			_, _ = f.Dispatcher.Complete(context.Background(), opID, workerapi.Completion{WorkerID: id, Status: operations.StatusCancelled})
		}()
	})
	mux.HandleFunc("/", func(rw http.ResponseWriter, _ *http.Request) {
		httpx.WriteError(rw, http.StatusNotFound, "not_found", "not found", "")
	})
	w.Server = httptest.NewServer(mux)
	t.Cleanup(w.Server.Close)
	if _, err := f.Registry.Register(workerapi.RegisterRequest{WorkerID: id, WorkerType: workerType, EndpointURL: w.Server.URL}); err != nil {
		t.Fatal(err)
	}
	return w
}

// Cancels returns the operation ids the worker was asked to cancel.
func (w *Worker) Cancels() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.cancels...)
}

// Progress reports progress (and metric records, e.g. epochs) for opID.
func (w *Worker) Progress(t testing.TB, opID string, p operations.Progress, metrics ...any) {
	t.Helper()
	rep := workerapi.ProgressReport{WorkerID: w.ID, Progress: &p}
	for _, m := range metrics {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		rep.Metrics = append(rep.Metrics, b)
	}
	if err := w.f.Dispatcher.Progress(context.Background(), opID, rep); err != nil {
		t.Fatal(err)
	}
}

// Complete reports opID's outcome: status completed with result, or failed
// with errMsg.
func (w *Worker) Complete(t testing.TB, opID string, status operations.Status, result any, errMsg string) {
	t.Helper()
	c := workerapi.Completion{WorkerID: w.ID, Status: status, Error: errMsg}
	if result != nil {
		b, err := json.Marshal(result)
		if err != nil {
			t.Fatal(err)
		}
		c.Result = b
	}
	if _, err := w.f.Dispatcher.Complete(context.Background(), opID, c); err != nil {
		t.Fatal(err)
	}
}
