package httpx

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func TestServiceMux(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	defer otel.SetTracerProvider(prev)

	info := Info{Service: "svc", Version: "1", InstanceID: "i", WorkerID: "w", WorkerType: "training"}
	srv := httptest.NewServer(NewServiceMux(info))
	defer srv.Close()

	get := func(path string, out any) int {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return resp.StatusCode
	}
	var h Health
	if code := get("/health", &h); code != 200 || h.Info != info || h.Status != "ok" {
		t.Errorf("/health: %d %+v", code, h)
	}
	if n := len(rec.Ended()); n != 0 {
		t.Errorf("/health made %d spans; health checks must not be traced", n)
	}
	var p Pong
	if code := get("/ping", &p); code != 200 || p.Info != info || p.Time.IsZero() {
		t.Errorf("/ping: %d %+v", code, p)
	}
	if spans := rec.Ended(); len(spans) != 1 || spans[0].Name() != "GET /ping" {
		t.Errorf("/ping spans: %v", spans)
	}
	var e ErrorBody
	if code := get("/missing", &e); code != 404 || e.Error.Code != "not_found" {
		t.Errorf("/missing: %d %+v", code, e)
	}
}
