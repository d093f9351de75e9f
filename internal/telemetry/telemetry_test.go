package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestResolveEndpoint(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want Endpoint
	}{
		{"default is local gRPC", nil, Endpoint{ProtocolGRPC, "localhost:4317", "", true, "default"}},
		{"seed variable, gRPC by port", map[string]string{EnvOTLPEndpoint: "http://jaeger:4317", EnvStdEndpoint: "http://x:4318"}, Endpoint{ProtocolGRPC, "jaeger:4317", "", true, EnvOTLPEndpoint}},
		{"standard variable, HTTP by port", map[string]string{EnvStdEndpoint: "http://otel:4318"}, Endpoint{ProtocolHTTP, "otel:4318", "/v1/traces", true, EnvStdEndpoint}},
		{"base path gets signal path", map[string]string{EnvStdEndpoint: "https://otel.example/otlp/"}, Endpoint{ProtocolHTTP, "otel.example:443", "/otlp/v1/traces", false, EnvStdEndpoint}},
		{"per-signal endpoint used as is", map[string]string{EnvStdTracesEndpoint: "http://otel:9999/custom"}, Endpoint{ProtocolHTTP, "otel:9999", "/custom", true, EnvStdTracesEndpoint}},
		{"no scheme means http", map[string]string{EnvOTLPEndpoint: "127.0.0.1:4317"}, Endpoint{ProtocolGRPC, "127.0.0.1:4317", "", true, EnvOTLPEndpoint}},
		{"explicit protocol wins over port", map[string]string{EnvOTLPEndpoint: "http://c:4317", EnvStdProtocol: "http/protobuf"}, Endpoint{ProtocolHTTP, "c:4317", "/v1/traces", true, EnvOTLPEndpoint}},
		{"grpc on another port", map[string]string{EnvOTLPEndpoint: "http://c:55680", EnvStdTracesProtocol: "grpc"}, Endpoint{ProtocolGRPC, "c:55680", "", true, EnvOTLPEndpoint}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ResolveEndpoint(env(c.env))
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
	for _, bad := range []map[string]string{
		{EnvOTLPEndpoint: "ftp://x:1"},
		{EnvOTLPEndpoint: "http://"},
		{EnvOTLPEndpoint: "http://x:4317", EnvStdProtocol: "http/json"},
	} {
		if _, err := ResolveEndpoint(env(bad)); err == nil {
			t.Errorf("%v: want an error", bad)
		}
	}
}

func TestLoggerAddsTraceAndSpanIDs(t *testing.T) {
	var buf bytes.Buffer
	log := NewLogger(&buf, true, nil)
	tp := sdktrace.NewTracerProvider()
	ctx, span := tp.Tracer("t").Start(context.Background(), "work")
	log.InfoContext(ctx, "inside", "k", 1)
	span.End()
	log.InfoContext(context.Background(), "outside")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines, got %q", buf.String())
	}
	var in, out map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &in); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &out); err != nil {
		t.Fatal(err)
	}
	sc := span.SpanContext()
	if in["trace_id"] != sc.TraceID().String() || in["span_id"] != sc.SpanID().String() {
		t.Errorf("line inside span = %v, want trace_id %s span_id %s", in, sc.TraceID(), sc.SpanID())
	}
	if _, ok := out["trace_id"]; ok {
		t.Errorf("line outside a span has a trace_id: %v", out)
	}
	// WithAttrs keeps the trace ids.
	buf.Reset()
	log.With("a", "b").InfoContext(ctx, "again")
	if !strings.Contains(buf.String(), sc.TraceID().String()) {
		t.Errorf("derived logger lost trace_id: %s", buf.String())
	}
}

func setenv(t *testing.T, m map[string]string) {
	for k, v := range m {
		t.Setenv(k, v)
	}
}

func TestSetupResourceAndEnv(t *testing.T) {
	setenv(t, map[string]string{
		"APP_VERSION": "1.2.3", EnvEnvironment: "development", EnvOTLPEndpoint: "http://127.0.0.1:1",
		"OTEL_RESOURCE_ATTRIBUTES": "team=research", EnvShutdownTimeout: "1s",
	})
	var stderr bytes.Buffer
	tel, err := Setup(context.Background(), Config{
		ServiceName: "ktrdr-test",
		InstanceID:  "inst-1",
		Attributes:  []attribute.KeyValue{attribute.String("worker.type", "training")},
		Stderr:      &stderr,
	})
	if err != nil {
		t.Fatal(err)
	}
	if tel.Version != "1.2.3" || tel.Environment != "development" || tel.ShutdownTimeout != time.Second {
		t.Fatalf("telemetry = %+v", tel)
	}
	_, span := otel.Tracer("t").Start(context.Background(), "console-visible")
	span.End()
	if !strings.Contains(stderr.String(), `span ktrdr-test "console-visible"`) {
		t.Errorf("development mode printed no console span line: %q", stderr.String())
	}
	attrs := map[string]string{}
	for _, kv := range tel.Resource.Attributes() {
		attrs[string(kv.Key)] = kv.Value.String()
	}
	for k, v := range map[string]string{
		"service.name": "ktrdr-test", "service.namespace": "ktrdr", "service.version": "1.2.3",
		"service.instance.id": "inst-1", "deployment.environment.name": "development",
		"worker.type": "training", "team": "research",
	} {
		if attrs[k] != v {
			t.Errorf("resource %s = %q, want %q", k, attrs[k], v)
		}
	}
	for _, k := range []string{"host.name", "process.pid"} {
		if attrs[k] == "" {
			t.Errorf("resource lacks %s: %v", k, attrs)
		}
	}
	// The backend is a closed port: shutdown fails to flush but returns within its deadline.
	start := time.Now()
	_ = tel.Shutdown(context.Background())
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("shutdown took %s with a 1s deadline", d)
	}
}

func TestSDKDisabled(t *testing.T) {
	t.Setenv(EnvSDKDisabled, "true")
	tel, err := Setup(context.Background(), Config{ServiceName: "x", Stderr: &bytes.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	if !tel.Disabled {
		t.Fatal("OTEL_SDK_DISABLED=true did not disable the SDK")
	}
	_, span := otel.Tracer("t").Start(context.Background(), "s")
	if span.SpanContext().IsValid() {
		t.Error("disabled SDK still records spans")
	}
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Error(err)
	}
}

func TestSetupRejectsBadEnv(t *testing.T) {
	for _, e := range []map[string]string{
		{EnvShutdownTimeout: "soon"},
		{EnvLogLevel: "loud"},
		{EnvOTLPEndpoint: "gopher://x"},
	} {
		t.Run(fmt.Sprint(e), func(t *testing.T) {
			setenv(t, e)
			if _, err := Setup(context.Background(), Config{ServiceName: "x", Stderr: &bytes.Buffer{}}); err == nil {
				t.Errorf("%v: want an error", e)
			}
		})
	}
}

// TestHTTPSpans checks route-named server spans with http.route, untraced
// health routes, and traceparent propagation through the client helper.
func TestHTTPSpans(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	otel.SetTracerProvider(tp)
	defer otel.SetTracerProvider(noop.NewTracerProvider())
	otel.SetTextMapPropagator(propagation.TraceContext{})

	mux := http.NewServeMux()
	HandleFunc(mux, "POST /api/v1/things/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) })
	HandleUntraced(mux, "GET /health", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	client := NewHTTPClient(5 * time.Second)
	ctx, parent := tp.Tracer("test").Start(context.Background(), "parent")
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/api/v1/things/42", nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = http.Get(srv.URL + "/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// A status poll (PollHeader) on a traced route makes no server span.
	poll, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/things/43", nil)
	poll.Header.Set(PollHeader, "1")
	resp, err = http.DefaultClient.Do(poll)
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("poll: %v %v", resp, err)
	}
	resp.Body.Close()
	parent.End()

	var server, clientSpan sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		switch s.SpanKind() {
		case trace.SpanKindServer:
			if server != nil {
				t.Fatalf("more than one server span (health or poll traced?): %s and %s", server.Name(), s.Name())
			}
			server = s
		case trace.SpanKindClient:
			clientSpan = s
		}
	}
	if server == nil || clientSpan == nil {
		t.Fatalf("want a server and a client span, got %d spans", len(rec.Ended()))
	}
	if server.Name() != "POST /api/v1/things/{id}" {
		t.Errorf("server span name = %q", server.Name())
	}
	if clientSpan.Name() != "POST /api/v1/things/42" {
		t.Errorf("client span name = %q", clientSpan.Name())
	}
	got := map[string]string{}
	for _, kv := range server.Attributes() {
		got[string(kv.Key)] = kv.Value.String()
	}
	for k, v := range map[string]string{"http.route": "/api/v1/things/{id}", "http.request.method": "POST", "http.response.status_code": "202"} {
		if got[k] != v {
			t.Errorf("server span %s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	if server.Parent().SpanID() != clientSpan.SpanContext().SpanID() || server.SpanContext().TraceID() != parent.SpanContext().TraceID() {
		t.Error("server span is not the child of the client span in the same trace: traceparent not propagated")
	}
}

func TestRoute(t *testing.T) {
	for in, want := range map[string]string{"GET /x/{id}": "/x/{id}", "/plain": "/plain", "GET example.com/a": "/a", "GET /{$}": "/", "GET /a/{$}": "/a/"} {
		if got := Route(in); got != want {
			t.Errorf("Route(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestErrorHandlerWarnsOncePerInterval(t *testing.T) {
	var buf bytes.Buffer
	h := newErrorHandler(NewLogger(&buf, true, slog.LevelDebug), time.Hour)
	for range 5 {
		h.Handle(errors.New("connection refused"))
	}
	if got := strings.Count(buf.String(), `"level":"WARN"`); got != 1 {
		t.Errorf("want 1 warning, got %d:\n%s", got, buf.String())
	}
	if got := strings.Count(buf.String(), `"level":"DEBUG"`); got != 4 {
		t.Errorf("want 4 debug lines, got %d", got)
	}
}

func TestClientSpanNamedByRoute(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	defer otel.SetTracerProvider(prev)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	ctx := WithRoute(context.Background(), "/api/v1/operations/{id}/complete")
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/api/v1/operations/op_1/complete", nil)
	resp, err := NewHTTPClient(time.Second).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if spans := rec.Ended(); len(spans) != 1 || spans[0].Name() != "POST /api/v1/operations/{id}/complete" {
		t.Fatalf("client span: %v", spans)
	}
}
