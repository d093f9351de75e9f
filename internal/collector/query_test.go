package collector

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ktrdr/ktrdr/internal/jaegerapi"
)

func serveQuery(h http.Handler, target string) *httptest.ResponseRecorder {
	// The query is set raw: httptest.NewRequest refuses some that a
	// client can still send.
	path, rawQuery, _ := strings.Cut(target, "?")
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.URL.RawQuery = rawQuery
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestQueryParamErrors(t *testing.T) {
	s := NewStore(0, 0)
	s.Ingest(sampleTraces())
	h := QueryHandler(s)
	for _, tc := range []struct {
		query   string
		wantMsg string // a substring, naming the parameter
	}{
		{"", "parameter 'service' is required"},
		{"operation=x&limit=5", "parameter 'service' is required"},
		{"service=a&limit=abc", "unable to parse param 'limit'"},
		{"service=a&limit=-1", "unable to parse param 'limit'"},
		{"service=a&limit=1.5", "unable to parse param 'limit'"},
		{"service=a&start=yesterday", "unable to parse param 'start'"},
		{"service=a&start=1.5", "unable to parse param 'start'"},
		{"service=a&end=99999999999999999999999", "unable to parse param 'end'"},
		{"service=a&minDuration=fast", "unable to parse param 'minDuration'"},
		{"service=a&minDuration=5", "unable to parse param 'minDuration'"},
		{"service=a&maxDuration=1x", "unable to parse param 'maxDuration'"},
		{"service=a&minDuration=2s&maxDuration=1s", "'maxDuration' should be greater than 'minDuration'"},
		{"service=a&lookback=soon", "unable to parse param 'lookback'"},
		{"service=a&lookback=xd", "unable to parse param 'lookback'"},
		{"service=a&lookback=99999999999999w", "unable to parse param 'lookback'"},
		{"service=a&tags=notjson", "malformed 'tags' parameter"},
		{"service=a&tags=" + `{"a":1}`, "malformed 'tags' parameter"},
		{"service=a&tag=novalue", "malformed 'tag' parameter"},
		{"traceID=xyz", "unable to parse param 'traceID'"},
		{"traceID=" + strings.Repeat("a", 33), "unable to parse param 'traceID'"},
		{"service=a&traceID=", "unable to parse param 'traceID'"},
		{"service=%zz", "malformed query string"},
	} {
		rec := serveQuery(h, "/api/traces?"+tc.query)
		var r jaegerapi.Response[any]
		if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
			t.Errorf("%q: %v: %s", tc.query, err, rec.Body)
			continue
		}
		if rec.Code != http.StatusBadRequest || r.Data != nil || len(r.Errors) != 1 || r.Errors[0].Code != 400 ||
			!strings.Contains(r.Errors[0].Msg, tc.wantMsg) {
			t.Errorf("%q: status %d, body %s; want 400 with %q", tc.query, rec.Code, rec.Body, tc.wantMsg)
		}
	}
}

func TestQueryErrorEnvelope(t *testing.T) {
	h := QueryHandler(NewStore(0, 0))
	rec := serveQuery(h, "/api/traces")
	want := `{"data":null,"total":0,"limit":0,"offset":0,"errors":[{"code":400,"msg":"parameter 'service' is required"}]}` + "\n"
	if rec.Code != 400 || rec.Body.String() != want || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("got %d %q", rec.Code, rec.Body)
	}
}

func TestQueryTraceByID(t *testing.T) {
	s := NewStore(0, 0)
	s.Ingest(sampleTraces())
	h := QueryHandler(s)
	for _, tc := range []struct {
		id   string
		code int
		msg  string
	}{
		{sampleTraceID, 200, ""},
		{strings.ToUpper(sampleTraceID), 200, ""},
		{"af7651916cd43dd8448eb211c80319c", 200, ""}, // leading zero dropped
		{"00000000000000000000000000000001", 404, "trace not found"},
		{"1", 404, "trace not found"},
		{"xyz", 400, "hex"},
		{strings.Repeat("a", 33), 400, "1 to 32"},
	} {
		rec := serveQuery(h, "/api/traces/"+tc.id)
		r := viaJSONBytes[tracesResponse](t, rec.Body.Bytes())
		if rec.Code != tc.code {
			t.Errorf("%s: status %d, want %d", tc.id, rec.Code, tc.code)
			continue
		}
		if tc.code == 200 {
			if len(r.Data) != 1 || r.Data[0].TraceID != sampleTraceID || r.Errors != nil {
				t.Errorf("%s: %+v", tc.id, r)
			}
		} else if r.Data != nil || len(r.Errors) != 1 || r.Errors[0].Code != tc.code || !strings.Contains(r.Errors[0].Msg, tc.msg) {
			t.Errorf("%s: %s", tc.id, rec.Body)
		}
	}
}

func TestQueryServicesAndOperations(t *testing.T) {
	h := QueryHandler(NewStore(0, 0))
	// Empty store: empty lists, not null.
	for _, path := range []string{"/api/services", "/api/services/none/operations", "/api/operations?service=none", "/api/traces?service=none"} {
		rec := serveQuery(h, path)
		if rec.Code != 200 || !strings.HasPrefix(rec.Body.String(), `{"data":[],"total":0,`) {
			t.Errorf("%s: %d %s", path, rec.Code, rec.Body)
		}
	}
	rec := serveQuery(h, "/api/operations")
	if r := viaJSONBytes[jaegerapi.Response[any]](t, rec.Body.Bytes()); rec.Code != 400 || len(r.Errors) != 1 || r.Errors[0].Msg != "parameter 'service' is required" {
		t.Errorf("operations without service: %d %s", rec.Code, rec.Body)
	}

	s := NewStore(0, 0)
	s.Ingest(sampleTraces())
	h = QueryHandler(s)
	r := viaJSONBytes[jaegerapi.Response[[]jaegerapi.Operation]](t, serveQuery(h, "/api/operations?service=ktrdr-api").Body.Bytes())
	want := []jaegerapi.Operation{{Name: "POST /api/v1/training/start", SpanKind: "server"}, {Name: "operations.create", SpanKind: "internal"}}
	assertEqualJSON(t, "operations", r.Data, want)
	if r.Total != 2 {
		t.Errorf("total %d", r.Total)
	}
	r = viaJSONBytes[jaegerapi.Response[[]jaegerapi.Operation]](t, serveQuery(h, "/api/operations?service=OTLPResourceNoServiceName").Body.Bytes())
	assertEqualJSON(t, "operations of unspecified kind", r.Data, []jaegerapi.Operation{{Name: "data.fetch", SpanKind: ""}})
	names := viaJSONBytes[jaegerapi.Response[[]string]](t, serveQuery(h, "/api/services/ktrdr-training-worker-1/operations").Body.Bytes())
	assertEqualJSON(t, "legacy operations", names.Data, []string{"training.run"})
}

func TestQueryServiceWithSlash(t *testing.T) {
	s := NewStore(0, 0)
	s.Ingest(genTrace(1, 1, 0, "team/svc"))
	names := viaJSONBytes[jaegerapi.Response[[]string]](t, serveQuery(QueryHandler(s), "/api/services/team%2Fsvc/operations").Body.Bytes())
	assertEqualJSON(t, "operations", names.Data, []string{"op-0"})
}

func TestHealth(t *testing.T) {
	s := NewStore(7, 12345)
	s.Ingest(genTrace(1, 2, 0, "svc"))
	rec := serveQuery(QueryHandler(s), "/health")
	var h map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &h); err != nil || rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if h["status"] != "ok" || h["service"] != "ktrdr-collector" || h["traces"] != 1.0 || h["spans"] != 2.0 ||
		h["max_traces"] != 7.0 || h["max_bytes"] != 12345.0 || h["bytes"].(float64) <= 0 {
		t.Errorf("health %v", h)
	}
}

func TestParseTraceQueryDefaults(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	q, ids, err := parseTraceQuery("service=s&lookback=2d", now)
	if err != nil || ids != nil || q.limit != defaultSearchLimit || q.startMin != uint64(now.Add(-48*time.Hour).UnixNano()) {
		t.Errorf("lookback 2d: %+v %v", q, err)
	}
	q, _, _ = parseTraceQuery("service=s&lookback=1h&start=5", now)
	if q.startMin != 5000 {
		t.Errorf("start wins over lookback: %d", q.startMin)
	}
	q, _, _ = parseTraceQuery("service=s&limit=0&tag=a:b:c&tags="+`{"d":"e"}`, now)
	if q.limit != defaultSearchLimit || q.tags["a"] != "b:c" || q.tags["d"] != "e" {
		t.Errorf("limit 0 and tags: %+v", q)
	}
}
