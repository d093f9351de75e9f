package collector

import (
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/ktrdr/ktrdr/internal/jaegerapi"
)

// Small bounds, so that one fuzzed request can exceed them.
const (
	fuzzMaxTraces       = 5
	fuzzMaxBytes  int64 = 16 << 10
)

func FuzzOTLPHTTPProtobuf(f *testing.F) {
	valid, _ := ptraceotlp.NewExportRequestFromTraces(sampleTraces()).MarshalProto()
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Add([]byte("\x0a\x05\x0a\x03\x0a\x01"))                                                   // nested, truncated
	big, _ := ptraceotlp.NewExportRequestFromTraces(genTrace(1, 8, 2500, "big")).MarshalProto() // over fuzzMaxBytes
	f.Add(big)
	td := sampleTraces()
	td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes().PutDouble("nan", math.NaN())
	withNaN, _ := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	f.Add(withNaN)
	f.Fuzz(func(t *testing.T, body []byte) {
		checkFuzzedExport(t, contentTypeProtobuf, body)
	})
}

func FuzzOTLPHTTPJSON(f *testing.F) {
	valid, _ := ptraceotlp.NewExportRequestFromTraces(sampleTraces()).MarshalJSON()
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	for _, s := range []string{
		``, `{}`, `null`, `[]`, `{"resourceSpans":null}`,
		`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz","spanId":"01"}]}]}]}`,
		`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","name":"x",` +
			`"startTimeUnixNano":"18446744073709551615","endTimeUnixNano":"1","kind":99,"status":{"code":7},` +
			`"attributes":[{"key":"d","value":{"doubleValue":"NaN"}},{"key":"i","value":{"intValue":"-9223372036854775808"}},` +
			`{"key":"a","value":{"arrayValue":{"values":[{"kvlistValue":{"values":[{"key":"k"}]}}]}}}]}]}]}]}`,
		`{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"intValue":"5"}}]},"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","parentSpanId":"0102030405060708","links":[{"traceId":"","spanId":""}]}]}]}]}`,
		strings.Repeat(`{"a":`, 1000),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkFuzzedExport(t, contentTypeJSON, body)
	})
}

// checkFuzzedExport posts body and checks that the answer is 200 or 400, the
// store's bounds hold, and whatever was stored can be served.
func checkFuzzedExport(t *testing.T, contentType string, body []byte) {
	s := NewStore(fuzzMaxTraces, fuzzMaxBytes)
	rec := postRaw(OTLPHTTPHandler(s), http.MethodPost, contentType, "", body)
	switch rec.Code {
	case http.StatusOK:
	case http.StatusBadRequest:
		if st := s.Stats(); st.Traces != 0 {
			t.Fatalf("400 but stored %+v", st)
		}
		return
	default:
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	st := s.Stats()
	if st.Traces > fuzzMaxTraces || st.Bytes > fuzzMaxBytes || st.Bytes < 0 || st.Spans < st.Traces {
		t.Fatalf("bounds broken: %+v", st)
	}
	checkInvariants(t, s)

	h := QueryHandler(s)
	for _, svc := range s.services() {
		rec := serveQuery(h, "/api/traces?"+url.Values{"service": {svc}, "limit": {"100"}}.Encode())
		var r tracesResponse
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &r) != nil {
			t.Fatalf("search %q: %d %s", svc, rec.Code, rec.Body)
		}
		for _, tr := range r.Data {
			for _, path := range []string{"/api/traces/" + tr.TraceID, "/trace/" + tr.TraceID} {
				if rec := serveQuery(h, path); rec.Code != http.StatusOK {
					t.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
				}
			}
		}
	}
	for _, path := range []string{"/", "/api/services", "/health"} {
		if rec := serveQuery(h, path); rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
		}
	}
}

func FuzzQueryParams(f *testing.F) {
	s := NewStore(0, 0)
	s.Ingest(sampleTraces())
	h := QueryHandler(s)
	for _, seed := range []string{
		"service=ktrdr-api",
		"service=ktrdr-api&operation=operations.create&limit=5&lookback=1h",
		"service=ktrdr-api&tags=%7B%22http.status_code%22%3A%22202%22%7D&minDuration=1ms&maxDuration=2s",
		"service=ktrdr-api&tag=error:true&tag=span.kind:server&start=1767225600000000&end=1767225700000000",
		"traceID=0af7651916cd43dd8448eb211c80319c&traceID=1",
		"service=ktrdr-api&lookback=2d", "service=x&lookback=custom", "service=x&limit=0",
		"", "service=", "service=x&limit=-1", "service=x&start=abc", "service=x&minDuration=2s&maxDuration=1s",
		"service=x&tags=%7B", "service=x&tag=nocolon", "traceID=zz", "service=%zz", "a;b", "service=x&lookback=9999999999999999999d",
		"service=x&end=-1", "service=x&start=9223372036854775807",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, rawQuery string) {
		rec := serveQuery(h, "/api/traces?"+rawQuery)
		switch rec.Code {
		case http.StatusOK:
			var r tracesResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil || r.Data == nil {
				t.Fatalf("200 with body %s: %v", rec.Body, err)
			}
		case http.StatusBadRequest:
			var r jaegerapi.Response[any]
			if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil || len(r.Errors) != 1 || r.Errors[0].Msg == "" || r.Errors[0].Code != 400 {
				t.Fatalf("400 with body %s: %v", rec.Body, err)
			}
		default:
			t.Fatalf("status %d for %q: %s", rec.Code, rawQuery, rec.Body)
		}
	})
}
