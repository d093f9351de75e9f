package workers

import (
	"context"
	"errors"
	"testing"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	oteltrace "go.opentelemetry.io/otel/trace"
)

func TestPhase(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tr := trace.NewTracerProvider(trace.WithSpanProcessor(rec)).Tracer("test")
	ctx, parent := tr.Start(context.Background(), "training.run")

	if err := Phase(ctx, tr, "ok", func(context.Context, oteltrace.Span) error { return nil }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := Phase(ctx, tr, "bad", func(context.Context, oteltrace.Span) error { return boom }); err != boom {
		t.Fatalf("error = %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	ran := false
	if err := Phase(cctx, tr, "never", func(context.Context, oteltrace.Span) error { ran = true; return nil }); !errors.Is(err, context.Canceled) || ran {
		t.Fatalf("cancelled phase: err %v, ran %v", err, ran)
	}
	parent.End()
	spans := map[string]trace.ReadOnlySpan{}
	for _, s := range rec.Ended() {
		spans[s.Name()] = s
	}
	if len(spans) != 3 || spans["never"] != nil {
		t.Fatalf("spans: %v", spans)
	}
	if s := spans["ok"]; s.Parent().SpanID() != parent.SpanContext().SpanID() || s.Status().Code != codes.Unset {
		t.Errorf("ok phase: parent %v status %v", s.Parent().SpanID(), s.Status())
	}
	if s := spans["bad"]; s.Status().Code != codes.Error || s.Status().Description != "boom" || len(s.Events()) != 1 {
		t.Errorf("failed phase: status %v events %d", s.Status(), len(s.Events()))
	}
}
