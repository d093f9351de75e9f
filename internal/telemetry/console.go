package telemetry

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// ConsoleExporter prints one compact line per finished span, for a developer
// watching a terminal:
//
//	12:00:01.234 span ktrdr-api "GET /api/v1/system/ping" 3.1ms trace=4bf92f35… status=ok
type ConsoleExporter struct {
	mu sync.Mutex
	w  io.Writer
}

// NewConsoleExporter writes span lines to w.
func NewConsoleExporter(w io.Writer) *ConsoleExporter { return &ConsoleExporter{w: w} }

// ExportSpans implements sdktrace.SpanExporter.
func (e *ConsoleExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	var b strings.Builder
	for _, s := range spans {
		service := ""
		for _, kv := range s.Resource().Attributes() {
			if kv.Key == "service.name" {
				service = kv.Value.AsString()
			}
		}
		status := "ok"
		if s.Status().Code == codes.Error {
			status = "ERROR"
			if s.Status().Description != "" {
				status += " " + fmt.Sprintf("%q", s.Status().Description)
			}
		}
		parent := "root"
		if s.Parent().IsValid() {
			parent = s.Parent().SpanID().String()
		}
		fmt.Fprintf(&b, "%s span %s %q %s %s trace=%s span=%s parent=%s status=%s\n",
			s.EndTime().Format("15:04:05.000"), service, s.Name(), s.SpanKind(),
			s.EndTime().Sub(s.StartTime()).Round(10*time.Microsecond),
			s.SpanContext().TraceID(), s.SpanContext().SpanID(), parent, status)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	_, err := io.WriteString(e.w, b.String())
	return err
}

// Shutdown implements sdktrace.SpanExporter.
func (e *ConsoleExporter) Shutdown(context.Context) error { return nil }
