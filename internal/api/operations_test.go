package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/ktrdr/ktrdr/internal/dispatch"
	"github.com/ktrdr/ktrdr/internal/httpx"
	"github.com/ktrdr/ktrdr/internal/operations"
	"github.com/ktrdr/ktrdr/internal/registry"
	"github.com/ktrdr/ktrdr/internal/workerapi"
)

type apiFixture struct {
	srv   *httptest.Server
	store operations.Store
}

func newAPI(t *testing.T, token string) *apiFixture {
	store := operations.NewMemoryStore()
	reg := registry.New(time.Minute)
	// A recording tracer: operations get a trace id only when tracing is on.
	disp := dispatch.New(dispatch.Config{Store: store, Registry: reg, HTTP: http.DefaultClient, Tracer: sdktrace.NewTracerProvider().Tracer("test")})
	ctx, cancel := context.WithCancel(context.Background())
	go disp.Run(ctx)
	t.Cleanup(cancel)
	srv := httptest.NewServer(New(Config{Info: httpx.Info{Service: ServiceName}, Store: store, Registry: reg, Dispatcher: disp, WorkerToken: token}).Handler())
	t.Cleanup(srv.Close)
	return &apiFixture{srv: srv, store: store}
}

func (f *apiFixture) do(t *testing.T, method, path, body string, header ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (f *apiFixture) count(t *testing.T) int {
	_, n, err := f.store.List(context.Background(), operations.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestStartDummyAndReadBack(t *testing.T) {
	f := newAPI(t, "")
	code, body := f.do(t, "POST", "/api/v1/dummy/start", `{"duration_seconds": 1, "steps": 4}`)
	if code != http.StatusAccepted {
		t.Fatalf("%d %s", code, body)
	}
	var start StartResponse
	_ = json.Unmarshal([]byte(body), &start)
	if start.Status != operations.StatusPending || len(start.TraceID) != 32 || !opIDPattern.MatchString(start.OperationID) {
		t.Fatalf("start answer %+v", start)
	}
	code, body = f.do(t, "GET", "/api/v1/operations/"+start.OperationID, "")
	var op map[string]any
	_ = json.Unmarshal([]byte(body), &op)
	if code != 200 || op["operation_id"] != start.OperationID || op["operation_type"] != "dummy" || op["status"] != "pending" {
		t.Fatalf("%d %s", code, body)
	}
	for _, k := range []string{"created_at", "started_at", "completed_at", "progress", "worker_id", "trace_id", "params", "result", "error"} {
		if _, ok := op[k]; !ok {
			t.Errorf("operation JSON lacks %q: %s", k, body)
		}
	}
	code, body = f.do(t, "GET", "/api/v1/operations?status=pending&type=dummy", "")
	if code != 200 || !strings.Contains(body, start.OperationID) || !strings.Contains(body, `"total": 1`) {
		t.Errorf("list: %d %s", code, body)
	}
	code, body = f.do(t, "GET", "/api/v1/operations/"+start.OperationID+"/metrics?cursor=0", "")
	if code != 200 || !strings.Contains(body, `"new_cursor": 0`) {
		t.Errorf("metrics: %d %s", code, body)
	}
	code, body = f.do(t, "DELETE", "/api/v1/operations/"+start.OperationID, "")
	if code != http.StatusAccepted || !strings.Contains(body, `"status": "cancelled"`) {
		t.Errorf("cancel pending: %d %s", code, body)
	}
	if code, _ = f.do(t, "DELETE", "/api/v1/operations/"+start.OperationID, ""); code != http.StatusConflict {
		t.Errorf("cancel again: %d, want 409", code)
	}
}

// TestBadInput: every bad request is a 4xx naming the problem, and nothing is stored.
func TestBadInput(t *testing.T) {
	f := newAPI(t, "s3cret")
	big := `{"steps": 1, "worker_type": "` + strings.Repeat("x", 2<<20) + `"}`
	for _, c := range []struct {
		method, path, body string
		status             int
		field              string
	}{
		{"POST", "/api/v1/dummy/start", `{"steps": `, 400, ""},
		{"POST", "/api/v1/dummy/start", ``, 400, ""},
		{"POST", "/api/v1/dummy/start", `{"steps": "ten"}`, 400, "steps"},
		{"POST", "/api/v1/dummy/start", `{"steps": 0}`, 400, "steps"},
		{"POST", "/api/v1/dummy/start", `{"duration_seconds": -1}`, 400, "duration_seconds"},
		{"POST", "/api/v1/dummy/start", `{"steps": 5, "fail_at_step": 6}`, 400, "fail_at_step"},
		{"POST", "/api/v1/dummy/start", `{"worker_type": "gpu"}`, 400, "worker_type"},
		{"POST", "/api/v1/dummy/start", `{"durations": 1}`, 400, "durations"},
		{"POST", "/api/v1/dummy/start", `{"steps": 1} {"steps": 2}`, 400, ""},
		{"POST", "/api/v1/dummy/start", big, 413, ""},
		{"GET", "/api/v1/operations/not-an-id", ``, 400, "operation_id"},
		{"GET", "/api/v1/operations/op_dummy_20260101_000000_00000000", ``, 404, ""},
		{"GET", "/api/v1/operations?status=done", ``, 400, "status"},
		{"GET", "/api/v1/operations?type=x", ``, 400, "type"},
		{"GET", "/api/v1/operations?limit=0", ``, 400, "limit"},
		{"GET", "/api/v1/operations?offset=-1", ``, 400, "offset"},
		{"GET", "/api/v1/operations/op_dummy_20260101_000000_00000000/metrics?cursor=x", ``, 400, "cursor"},
		{"POST", "/api/v1/workers/register", `{"worker_id":"w1","worker_type":"training","endpoint_url":"http://127.0.0.1:1"}`, 401, ""},
		{"POST", "/api/v1/workers/w1/heartbeat", `{"state":"idle"}`, 401, ""},
		{"POST", "/api/v1/operations/op_dummy_20260101_000000_00000000/complete", `{"status":"completed"}`, 401, ""},
	} {
		code, body := f.do(t, c.method, c.path, c.body)
		var e httpx.ErrorBody
		_ = json.Unmarshal([]byte(body), &e)
		if code != c.status || e.Error.Message == "" || e.Error.Field != c.field {
			t.Errorf("%s %s %.60q: %d %s; want %d with field %q", c.method, c.path, c.body, code, body, c.status, c.field)
		}
	}
	if n := f.count(t); n != 0 {
		t.Errorf("%d operations stored by bad requests", n)
	}
	tok := []string{workerapi.TokenHeader, "s3cret"}
	for _, c := range []struct{ path, body, field string }{
		{"/api/v1/workers/register", `{"worker_id":"a b","worker_type":"training","endpoint_url":"http://x:1"}`, "worker_id"},
		{"/api/v1/workers/register", `{"worker_id":"w1","worker_type":"gpu","endpoint_url":"http://x:1"}`, "worker_type"},
		{"/api/v1/workers/register", `{"worker_id":"w1","worker_type":"training","endpoint_url":"x"}`, "endpoint_url"},
		{"/api/v1/operations/op_dummy_20260101_000000_00000000/complete", `{"worker_id":"w","status":"running"}`, "status"},
	} {
		code, body := f.do(t, "POST", c.path, c.body, tok...)
		var e httpx.ErrorBody
		_ = json.Unmarshal([]byte(body), &e)
		if code != 400 || e.Error.Field != c.field {
			t.Errorf("%s %s: %d %s; want 400 on %q", c.path, c.body, code, body, c.field)
		}
	}
	if code, body := f.do(t, "POST", "/api/v1/workers/register", `{"worker_id":"w1","worker_type":"training","endpoint_url":"http://127.0.0.1:1"}`, tok...); code != 200 {
		t.Errorf("register with token: %d %s", code, body)
	}
	if code, _ := f.do(t, "POST", "/api/v1/workers/nope/heartbeat", `{"state":"idle"}`, tok...); code != 404 {
		t.Errorf("heartbeat of an unknown worker: %d, want 404", code)
	}
}

// FuzzStartDummy: no request body makes the API panic or answer 5xx, and a
// rejected request stores nothing.
func FuzzStartDummy(f *testing.F) {
	for _, s := range []string{`{}`, `{"steps": 3, "duration_seconds": 0.1}`, `{"steps":`, `[]`, `null`, `{"fail_at_step": -1}`, `{"worker_type": "backtest", "steps": 1e9}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		fx := newAPI(t, "")
		before := fx.count(t)
		code, resp := fx.do(t, "POST", "/api/v1/dummy/start", body)
		if code >= 500 {
			t.Fatalf("%d for %q: %s", code, body, resp)
		}
		if code != http.StatusAccepted && fx.count(t) != before {
			t.Fatalf("rejected %q (%d) but stored an operation", body, code)
		}
	})
}

// FuzzWorkerEndpoints: whatever a (possibly broken) worker sends to the
// registration, heartbeat, progress and completion endpoints, the API
// answers without a 5xx and stores no operation.
func FuzzWorkerEndpoints(f *testing.F) {
	for _, s := range []string{
		`{"worker_id":"w1","worker_type":"training","endpoint_url":"http://127.0.0.1:1"}`,
		`{"state":"busy","current_operation_id":"op_dummy_20260101_000000_00000000","progress":{"percentage":150}}`,
		`{"worker_id":"w1","status":"completed","result":{"x":1}}`,
		`{"worker_id":"w1","metrics":[1,{"a":2}]}`, `{`, `[]`, `{"worker_id": 5}`,
	} {
		f.Add(uint8(0), s)
		f.Add(uint8(3), s)
	}
	paths := []string{"/api/v1/workers/register", "/api/v1/workers/w1/heartbeat",
		"/api/v1/operations/op_dummy_20260101_000000_00000000/progress", "/api/v1/operations/op_dummy_20260101_000000_00000000/complete"}
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		fx := newAPI(t, "")
		code, resp := fx.do(t, "POST", paths[int(which)%len(paths)], body)
		if code >= 500 {
			t.Fatalf("%d for %q: %s", code, body, resp)
		}
		if fx.count(t) != 0 {
			t.Fatal("a worker endpoint created an operation")
		}
	})
}
