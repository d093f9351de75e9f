package collector

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	oteltrace "go.opentelemetry.io/otel/trace"

	"github.com/ktrdr/ktrdr/internal/jaegerapi"
)

// TestOTelSDKExporters sends spans with the OpenTelemetry Go SDK's own OTLP
// exporters, as every ktrdr process does, and finds them through the API.
func TestOTelSDKExporters(t *testing.T) {
	c := startCollector(t, Options{})
	ctx := context.Background()
	for _, tc := range []struct {
		service string
		exp     func() (sdktrace.SpanExporter, error)
	}{
		{"sdk-grpc", func() (sdktrace.SpanExporter, error) {
			return otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(c.grpcAddr), otlptracegrpc.WithInsecure(),
				otlptracegrpc.WithCompressor("gzip"))
		}},
		{"sdk-http", func() (sdktrace.SpanExporter, error) {
			return otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(c.httpURL+"/v1/traces"),
				otlptracehttp.WithCompression(otlptracehttp.GzipCompression))
		}},
	} {
		t.Run(tc.service, func(t *testing.T) {
			exp, err := tc.exp()
			if err != nil {
				t.Fatal(err)
			}
			tp := sdktrace.NewTracerProvider(
				sdktrace.WithSyncer(exp),
				sdktrace.WithResource(newResource(t, tc.service)),
			)
			tracer := tp.Tracer("ktrdr/test", oteltrace.WithInstrumentationVersion("9.9.9"))
			rctx, root := tracer.Start(ctx, "training.run", oteltrace.WithSpanKind(oteltrace.SpanKindServer),
				oteltrace.WithAttributes(attribute.String("operation.id", "op_sdk_1"), attribute.Int("epochs", 3)))
			_, child := tracer.Start(rctx, "training.fit")
			child.AddEvent("epoch", oteltrace.WithAttributes(attribute.Float64("loss", 0.125)))
			child.RecordError(errors.New("diverged"))
			child.SetStatus(codes.Error, "diverged")
			child.End()
			root.End()
			if err := tp.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			traceID := root.SpanContext().TraceID().String()

			r, code := getJSON[tracesResponse](t, c.queryURL, "/api/traces?"+q("service", tc.service, "tags", `{"operation.id":"op_sdk_1"}`))
			if code != 200 || len(r.Data) != 1 || r.Data[0].TraceID != traceID {
				t.Fatalf("search: %d %+v", code, r)
			}
			tr := r.Data[0]
			if len(tr.Spans) != 2 || tr.Spans[0].OperationName != "training.run" || tr.Spans[1].OperationName != "training.fit" {
				t.Fatalf("spans: %+v", tr.Spans)
			}
			rootJ, childJ := tr.Spans[0], tr.Spans[1]
			if childJ.ParentSpanID() != rootJ.SpanID || rootJ.ParentSpanID() != "" || rootJ.Flags != 0 {
				t.Errorf("parentage or flags: root %+v child %+v", rootJ, childJ)
			}
			p := tr.Processes[rootJ.ProcessID]
			if p.ServiceName != tc.service {
				t.Errorf("process %+v", p)
			}
			if v, _ := jaegerapi.Tag(p.Tags, "telemetry.sdk.language"); v != "go" {
				t.Errorf("process tags lack telemetry.sdk.language=go: %+v", p.Tags)
			}
			for key, want := range map[string]any{
				"otel.scope.name": "ktrdr/test", "otel.scope.version": "9.9.9", "span.kind": "server",
				"operation.id": "op_sdk_1", "epochs": float64(3),
			} {
				if v, ok := jaegerapi.Tag(rootJ.Tags, key); !ok || v != want {
					t.Errorf("root tag %s = %v, want %v", key, v, want)
				}
			}
			for key, want := range map[string]any{"error": true, "otel.status_code": "ERROR", "otel.status_description": "diverged", "span.kind": "internal"} {
				if v, ok := jaegerapi.Tag(childJ.Tags, key); !ok || v != want {
					t.Errorf("child tag %s = %v, want %v", key, v, want)
				}
			}
			if len(childJ.Logs) != 2 {
				t.Fatalf("child logs: %+v", childJ.Logs)
			}
			if v, _ := jaegerapi.Tag(childJ.Logs[0].Fields, "loss"); v != 0.125 {
				t.Errorf("epoch log: %+v", childJ.Logs[0])
			}
			if v, _ := jaegerapi.Tag(childJ.Logs[1].Fields, "event"); v != "exception" {
				t.Errorf("exception log: %+v", childJ.Logs[1])
			}
			if d := time.Duration(rootJ.Duration) * time.Microsecond; d < 0 || d > time.Minute {
				t.Errorf("root duration %v", d)
			}
		})
	}
}

func newResource(t *testing.T, service string) *resource.Resource {
	t.Helper()
	r, err := resource.Merge(resource.Default(), resource.NewSchemaless(attribute.String("service.name", service)))
	if err != nil {
		t.Fatal(err)
	}
	return r
}
