package workers

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ktrdr/ktrdr/internal/httpx"
	"github.com/ktrdr/ktrdr/internal/workerapi"
)

// fakeBackend is a test double of the API's worker endpoints: the four
// backend paths of workerapi with in-memory bookkeeping.
type fakeBackend struct {
	srv *httptest.Server

	mu            sync.Mutex
	known         map[string]bool // registered worker ids
	registrations []workerapi.RegisterRequest
	heartbeats    []workerapi.Heartbeat
	progress      map[string][]workerapi.ProgressReport
	completions   map[string]workerapi.Completion // accepted ones
	attempts      map[string]int                  // completion requests, accepted or not
	traceparents  map[string]string               // traceparent of the accepted completion
	tokens        []string                        // token header of every request
	events        []string                        // "register", "complete:{id}" in arrival order
	failComplete  map[string]int                  // answer the next N completions of an op with failStatus
	failStatus    int
	failProgress  map[string]int // answer the next N progress reports of an op with 503
}

func newFakeBackend(t *testing.T) *fakeBackend {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return newFakeBackendOn(t, ln)
}

func newFakeBackendAt(t *testing.T, addr string) *fakeBackend {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen again on %s: %v", addr, err)
	}
	return newFakeBackendOn(t, ln)
}

func newFakeBackendOn(t *testing.T, ln net.Listener) *fakeBackend {
	b := &fakeBackend{
		known:        map[string]bool{},
		progress:     map[string][]workerapi.ProgressReport{},
		completions:  map[string]workerapi.Completion{},
		attempts:     map[string]int{},
		traceparents: map[string]string{},
		failComplete: map[string]int{},
		failProgress: map[string]int{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+workerapi.PathRegister, b.register)
	mux.HandleFunc("POST "+workerapi.PathHeartbeat, b.heartbeat)
	mux.HandleFunc("POST "+workerapi.PathProgress, b.report)
	mux.HandleFunc("POST "+workerapi.PathComplete, b.complete)
	b.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		b.tokens = append(b.tokens, r.Header.Get(workerapi.TokenHeader))
		b.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	_ = b.srv.Listener.Close()
	b.srv.Listener = ln
	b.srv.Start()
	t.Cleanup(b.srv.Close)
	return b
}

func (b *fakeBackend) URL() string  { return b.srv.URL }
func (b *fakeBackend) Addr() string { return b.srv.Listener.Addr().String() }

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		httpx.WriteError(w, http.StatusBadRequest, "invalid_argument", err.Error(), "")
		return false
	}
	return true
}

func (b *fakeBackend) register(w http.ResponseWriter, r *http.Request) {
	var req workerapi.RegisterRequest
	if !decode(w, r, &req) {
		return
	}
	b.mu.Lock()
	b.known[req.WorkerID] = true
	b.registrations = append(b.registrations, req)
	b.events = append(b.events, "register")
	b.mu.Unlock()
	httpx.WriteJSON(w, http.StatusOK, workerapi.RegisterResponse{WorkerID: req.WorkerID})
}

func (b *fakeBackend) heartbeat(w http.ResponseWriter, r *http.Request) {
	var hb workerapi.Heartbeat
	if !decode(w, r, &hb) {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.known[r.PathValue("id")] {
		httpx.WriteError(w, http.StatusNotFound, "not_found", "unknown worker", "")
		return
	}
	b.heartbeats = append(b.heartbeats, hb)
	w.WriteHeader(http.StatusNoContent)
}

func (b *fakeBackend) report(w http.ResponseWriter, r *http.Request) {
	var rep workerapi.ProgressReport
	if !decode(w, r, &rep) {
		return
	}
	id := r.PathValue("id")
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failProgress[id] > 0 {
		b.failProgress[id]--
		httpx.WriteError(w, http.StatusServiceUnavailable, "unavailable", "try later", "")
		return
	}
	b.progress[id] = append(b.progress[id], rep)
	w.WriteHeader(http.StatusNoContent)
}

func (b *fakeBackend) complete(w http.ResponseWriter, r *http.Request) {
	var c workerapi.Completion
	if !decode(w, r, &c) {
		return
	}
	id := r.PathValue("id")
	b.mu.Lock()
	defer b.mu.Unlock()
	b.attempts[id]++
	if b.failComplete[id] > 0 {
		b.failComplete[id]--
		httpx.WriteError(w, b.failStatus, "unavailable", "try later", "")
		return
	}
	b.completions[id] = c
	b.traceparents[id] = r.Header.Get("traceparent")
	b.events = append(b.events, "complete:"+id)
	w.WriteHeader(http.StatusNoContent)
}

// forget simulates a backend restart that lost its registry.
func (b *fakeBackend) forget() {
	b.mu.Lock()
	b.known = map[string]bool{}
	b.mu.Unlock()
}

func (b *fakeBackend) failNextCompletions(id string, n, status int) {
	b.mu.Lock()
	b.failComplete[id], b.failStatus = n, status
	b.mu.Unlock()
}

func (b *fakeBackend) failNextProgress(id string, n int) {
	b.mu.Lock()
	b.failProgress[id] = n
	b.mu.Unlock()
}

func (b *fakeBackend) completion(id string) (workerapi.Completion, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.completions[id]
	return c, ok
}

func (b *fakeBackend) traceparent(id string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.traceparents[id]
}

func (b *fakeBackend) completionAttempts(id string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.attempts[id]
}

func (b *fakeBackend) snapshotRegistrations() []workerapi.RegisterRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]workerapi.RegisterRequest(nil), b.registrations...)
}

func (b *fakeBackend) snapshotHeartbeats() []workerapi.Heartbeat {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]workerapi.Heartbeat(nil), b.heartbeats...)
}

func (b *fakeBackend) snapshotProgress(id string) []workerapi.ProgressReport {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]workerapi.ProgressReport(nil), b.progress[id]...)
}

func (b *fakeBackend) snapshotTokens() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.tokens...)
}

func (b *fakeBackend) snapshotEvents() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.events...)
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
