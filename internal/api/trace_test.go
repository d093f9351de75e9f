package api

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/ktrdr/ktrdr/internal/collector"
	"github.com/ktrdr/ktrdr/internal/dispatch"
	"github.com/ktrdr/ktrdr/internal/httpx"
	"github.com/ktrdr/ktrdr/internal/jaegerapi"
	"github.com/ktrdr/ktrdr/internal/operations"
	"github.com/ktrdr/ktrdr/internal/registry"
)

const testTraceID = "4d01929775e04a31a5f944e73273a4d4"

// newTraceAPI is an API reading traces at queryURL, with one operation
// (traced unless traceID is empty) in its store.
func newTraceAPI(t *testing.T, queryURL, traceID string) (*apiFixture, string) {
	t.Helper()
	store := operations.NewMemoryStore()
	reg := registry.New(time.Minute)
	disp := dispatch.New(dispatch.Config{Store: store, Registry: reg, HTTP: http.DefaultClient, Tracer: sdktrace.NewTracerProvider().Tracer("test")})
	ctx, cancel := context.WithCancel(context.Background())
	go disp.Run(ctx)
	t.Cleanup(cancel)
	op := &operations.Operation{ID: operations.NewID(operations.TypeTraining, time.Now()), Type: operations.TypeTraining, WorkerType: "training",
		Status: operations.StatusPending, CreatedAt: time.Now(), TraceID: traceID, Params: json.RawMessage(`{}`)}
	if err := store.Create(context.Background(), op); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(Config{Info: httpx.Info{Service: ServiceName}, Store: store, Registry: reg, Dispatcher: disp, QueryURL: queryURL}).Handler())
	t.Cleanup(srv.Close)
	return &apiFixture{srv: srv, store: store}, op.ID
}

// fakeQuery answers Jaeger's GET /api/traces/{id} for testTraceID after
// `missing` answers of 404, and counts the requests.
func fakeQuery(t *testing.T, missing int64) (*httptest.Server, *atomic.Int64) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path != "/api/traces/"+testTraceID || n <= missing {
			w.WriteHeader(http.StatusNotFound)
			_ = json.NewEncoder(w).Encode(jaegerapi.Response[[]jaegerapi.Trace]{Errors: []jaegerapi.Error{{Code: 404, Msg: "trace not found"}}})
			return
		}
		_ = json.NewEncoder(w).Encode(jaegerapi.Response[[]jaegerapi.Trace]{Data: []jaegerapi.Trace{{
			TraceID:   testTraceID,
			Spans:     []jaegerapi.Span{{TraceID: testTraceID, SpanID: "90969052ab14c223", OperationName: "POST /api/v1/training/start", ProcessID: "p1", Duration: 10}},
			Processes: map[string]jaegerapi.Process{"p1": {ServiceName: ServiceName}},
		}}})
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func errorBody(t *testing.T, body string) httpx.ErrorDetail {
	t.Helper()
	var e httpx.ErrorBody
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("not the error shape: %s", body)
	}
	return e.Error
}

func TestTraceEndpointReadsTheOperationsTrace(t *testing.T) {
	q, calls := fakeQuery(t, 0)
	f, id := newTraceAPI(t, q.URL, testTraceID)
	code, body := f.do(t, "GET", "/api/v1/operations/"+id+"/trace", "")
	if code != http.StatusOK {
		t.Fatalf("%d %s", code, body)
	}
	var res TraceResponse
	if err := json.Unmarshal([]byte(body), &res); err != nil {
		t.Fatal(err)
	}
	if res.OperationID != id || res.TraceID != testTraceID || res.Trace.TraceID != testTraceID || len(res.Trace.Spans) != 1 ||
		res.Trace.Processes["p1"].ServiceName != ServiceName || res.Trace.Spans[0].OperationName != "POST /api/v1/training/start" {
		t.Fatalf("answer %+v", res)
	}
	if calls.Load() != 1 {
		t.Errorf("%d query API calls, want 1", calls.Load())
	}
}

func TestTraceEndpointWaitsForALateTrace(t *testing.T) {
	q, calls := fakeQuery(t, 2)
	f, id := newTraceAPI(t, q.URL, testTraceID)
	// Without wait: the 404 names what is missing.
	code, body := f.do(t, "GET", "/api/v1/operations/"+id+"/trace", "")
	if e := errorBody(t, body); code != http.StatusNotFound || e.Code != "not_found" || !strings.Contains(e.Message, "not in the trace backend") || !strings.Contains(e.Message, testTraceID) {
		t.Fatalf("%d %s", code, body)
	}
	// With wait: asked again until it is there.
	code, body = f.do(t, "GET", "/api/v1/operations/"+id+"/trace?wait=5", "")
	if code != http.StatusOK {
		t.Fatalf("with wait: %d %s", code, body)
	}
	if calls.Load() != 3 {
		t.Errorf("%d query API calls, want 3", calls.Load())
	}
}

func TestTraceEndpointGivesUpAfterWait(t *testing.T) {
	q, calls := fakeQuery(t, 1<<40)
	f, id := newTraceAPI(t, q.URL, testTraceID)
	start := time.Now()
	code, body := f.do(t, "GET", "/api/v1/operations/"+id+"/trace?wait=1", "")
	took := time.Since(start)
	if code != http.StatusNotFound || took < 700*time.Millisecond || took > 3*time.Second {
		t.Fatalf("%d after %s: %s", code, took, body)
	}
	if calls.Load() < 3 {
		t.Errorf("asked the query API %d times in a second", calls.Load())
	}
}

func TestTraceEndpointErrors(t *testing.T) {
	q, _ := fakeQuery(t, 0)
	f, id := newTraceAPI(t, q.URL, testTraceID)
	for _, c := range []struct {
		path  string
		code  int
		field string
	}{
		{"/api/v1/operations/" + id + "/trace?wait=11", 400, "wait"},
		{"/api/v1/operations/" + id + "/trace?wait=x", 400, "wait"},
		{"/api/v1/operations/nope/trace", 400, "operation_id"},
		{"/api/v1/operations/op_training_20260101_000000_00000000/trace", 404, ""},
	} {
		code, body := f.do(t, "GET", c.path, "")
		if e := errorBody(t, body); code != c.code || e.Field != c.field || e.Message == "" {
			t.Errorf("%s: %d %s", c.path, code, body)
		}
	}

	// No query URL: 503 naming the flag.
	none, id2 := newTraceAPI(t, "", testTraceID)
	code, body := none.do(t, "GET", "/api/v1/operations/"+id2+"/trace", "")
	if e := errorBody(t, body); code != http.StatusServiceUnavailable || !strings.Contains(e.Message, "--query-url") {
		t.Errorf("no query URL: %d %s", code, body)
	}

	// An operation created with tracing off has no trace.
	untraced, id3 := newTraceAPI(t, q.URL, "")
	code, body = untraced.do(t, "GET", "/api/v1/operations/"+id3+"/trace", "")
	if e := errorBody(t, body); code != http.StatusNotFound || !strings.Contains(e.Message, "no trace id") {
		t.Errorf("untraced operation: %d %s", code, body)
	}

	// A broken or unreachable query API is a 502 naming it.
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "storage down", http.StatusInternalServerError)
	}))
	defer broken.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	for _, u := range []string{broken.URL, down.URL} {
		f, id := newTraceAPI(t, u, testTraceID)
		code, body := f.do(t, "GET", "/api/v1/operations/"+id+"/trace?wait=2", "")
		if e := errorBody(t, body); code != http.StatusBadGateway || e.Code != "upstream" || !strings.Contains(e.Message, u) {
			t.Errorf("query API %s: %d %s", u, code, body)
		}
	}
}

// TestTraceEndpointOverTheEmbeddedCollector reads a trace from a real
// collector's query API, as `ktrdr up` wires it.
func TestTraceEndpointOverTheEmbeddedCollector(t *testing.T) {
	store := collector.NewStore(100, 1<<20)
	q := httptest.NewServer(collector.QueryHandler(store))
	defer q.Close()
	f, id := newTraceAPI(t, q.URL, testTraceID)

	code, body := f.do(t, "GET", "/api/v1/operations/"+id+"/trace", "")
	if code != http.StatusNotFound {
		t.Fatalf("before the spans arrive: %d %s", code, body)
	}

	tid, _ := hex.DecodeString(testTraceID)
	td := ptrace.NewTraces()
	now := time.Now()
	for i, svc := range []string{"ktrdr-api", "ktrdr-training-worker-t0", "ktrdr-ib-host-service"} {
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr("service.name", svc)
		sp := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
		sp.SetTraceID(pcommon.TraceID(tid))
		sp.SetSpanID(pcommon.SpanID{byte(i + 1), 1, 2, 3, 4, 5, 6, 7})
		if i > 0 {
			sp.SetParentSpanID(pcommon.SpanID{byte(i), 1, 2, 3, 4, 5, 6, 7})
		}
		sp.SetName("span " + svc)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(now.Add(time.Duration(i) * time.Millisecond)))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(now.Add(10 * time.Millisecond)))
	}
	if ok, rejected := store.Ingest(td); ok != 3 || rejected != 0 {
		t.Fatalf("ingest: %d accepted, %d rejected", ok, rejected)
	}

	code, body = f.do(t, "GET", "/api/v1/operations/"+id+"/trace", "")
	if code != http.StatusOK {
		t.Fatalf("%d %s", code, body)
	}
	var res TraceResponse
	_ = json.Unmarshal([]byte(body), &res)
	services := map[string]bool{}
	for _, sp := range res.Trace.Spans {
		services[res.Trace.Processes[sp.ProcessID].ServiceName] = true
	}
	if len(res.Trace.Spans) != 3 || !services["ktrdr-api"] || !services["ktrdr-training-worker-t0"] || !services["ktrdr-ib-host-service"] {
		t.Fatalf("trace %+v", res.Trace)
	}
}
