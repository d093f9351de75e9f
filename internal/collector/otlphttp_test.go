package collector

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

func postRaw(h http.Handler, method, contentType, encoding string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "/v1/traces", bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// decodeStatus decodes an OTLP error body: a google.rpc.Status in the
// request's encoding.
func decodeStatus(t *testing.T, rec *httptest.ResponseRecorder) *spb.Status {
	t.Helper()
	var st spb.Status
	var err error
	switch ct := rec.Header().Get("Content-Type"); ct {
	case contentTypeJSON:
		err = protojson.Unmarshal(rec.Body.Bytes(), &st)
	case contentTypeProtobuf:
		err = proto.Unmarshal(rec.Body.Bytes(), &st)
	default:
		t.Fatalf("error body Content-Type %q", ct)
	}
	if err != nil {
		t.Fatalf("decode status %q: %v", rec.Body, err)
	}
	return &st
}

func TestOTLPHTTPErrors(t *testing.T) {
	s := NewStore(0, 0)
	h := OTLPHTTPHandler(s)
	valid, _ := ptraceotlp.NewExportRequestFromTraces(sampleTraces()).MarshalProto()
	bomb := gzipIf(t, true, make([]byte, maxRequestBytes+1))

	for _, tc := range []struct {
		name, method, ct, enc string
		body                  []byte
		code                  int
		msg                   string // in the google.rpc.Status, when the encoding is known
	}{
		{"garbage protobuf", "POST", contentTypeProtobuf, "", []byte{0xff, 0xff, 0xff}, 400, "cannot decode"},
		{"garbage JSON", "POST", contentTypeJSON, "", []byte(`{"resourceSpans": 5`), 400, "cannot decode"},
		{"protobuf sent as JSON", "POST", contentTypeJSON, "", valid, 400, "cannot decode"},
		{"bad gzip", "POST", contentTypeProtobuf, "gzip", valid, 400, "gzip"},
		{"text/plain", "POST", "text/plain", "", valid, 415, ""},
		{"no content type", "POST", "", "", valid, 415, ""},
		{"unknown encoding", "POST", contentTypeProtobuf, "br", valid, 415, "Content-Encoding"},
		{"GET", "GET", contentTypeProtobuf, "", nil, 405, ""},
		{"PUT", "PUT", contentTypeProtobuf, "", valid, 405, ""},
		{"oversized", "POST", contentTypeProtobuf, "", make([]byte, maxRequestBytes+1), 413, "exceeds"},
		{"oversized once decompressed", "POST", contentTypeJSON, "gzip", bomb, 413, "exceeds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := postRaw(h, tc.method, tc.ct, tc.enc, tc.body)
			if rec.Code != tc.code {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.code, rec.Body)
			}
			if tc.msg != "" {
				if st := decodeStatus(t, rec); !strings.Contains(st.GetMessage(), tc.msg) || st.GetCode() == 0 {
					t.Errorf("status %v, want a message with %q", st, tc.msg)
				}
			} else if rec.Body.Len() == 0 {
				t.Error("empty error body")
			}
		})
	}
	if st := s.Stats(); st.Traces != 0 {
		t.Errorf("failed requests stored traces: %+v", st)
	}
}

func TestOTLPHTTPPartialSuccess(t *testing.T) {
	for _, asJSON := range []bool{false, true} {
		s := NewStore(0, 0)
		td := sampleTraces()
		td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).SetTraceID(pcommon.TraceID{}) // invalid
		req := ptraceotlp.NewExportRequestFromTraces(td)
		ct := contentTypeProtobuf
		body, _ := req.MarshalProto()
		if asJSON {
			ct = contentTypeJSON
			body, _ = req.MarshalJSON()
		}
		rec := postRaw(OTLPHTTPHandler(s), "POST", ct+"; charset=utf-8", "", body)
		if rec.Code != 200 || rec.Header().Get("Content-Type") != ct {
			t.Fatalf("json=%v: %d %q", asJSON, rec.Code, rec.Header().Get("Content-Type"))
		}
		resp := ptraceotlp.NewExportResponse()
		var err error
		if asJSON {
			err = resp.UnmarshalJSON(rec.Body.Bytes())
		} else {
			err = resp.UnmarshalProto(rec.Body.Bytes())
		}
		if err != nil || resp.PartialSuccess().RejectedSpans() != 1 || resp.PartialSuccess().ErrorMessage() == "" {
			t.Errorf("json=%v: response %s, %v", asJSON, rec.Body, err)
		}
		if st := s.Stats(); st.Spans != 4 || st.Rejected != 1 {
			t.Errorf("json=%v: stats %+v", asJSON, st)
		}
	}
}

func TestOTLPHTTPEmptyRequest(t *testing.T) {
	rec := postRaw(OTLPHTTPHandler(NewStore(0, 0)), "POST", contentTypeProtobuf, "", nil)
	if rec.Code != 200 {
		t.Errorf("empty protobuf request: %d %s", rec.Code, rec.Body)
	}
	rec = postRaw(OTLPHTTPHandler(NewStore(0, 0)), "POST", contentTypeJSON, "", []byte("{}"))
	if rec.Code != 200 || ptraceotlp.NewExportResponse().UnmarshalJSON(rec.Body.Bytes()) != nil {
		t.Errorf("empty JSON request: %d %s", rec.Code, rec.Body)
	}
}
