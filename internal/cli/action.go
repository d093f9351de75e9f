package cli

import (
	"context"
	"net"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/ktrdr/ktrdr/internal/telemetry"
)

// CLIServiceName is the service.name of the user's command line.
const CLIServiceName = "ktrdr-cli"

// flushTimeout bounds how long a command waits for its spans to be
// exported when it ends: a missing collector must not make the CLI hang.
const flushTimeout = 3 * time.Second

// action is one user command traced as a root span "ktrdr <command>"
// (cli.command, and operation.id once known). Its context carries the span
// into every API call, so the operation's trace starts at the user. Polls
// are made outside it (untraced), so watching adds no spans.
type action struct {
	// Ctx carries the span and is cancelled by Ctrl-C.
	Ctx  context.Context
	span trace.Span
	tel  *telemetry.Telemetry
	// flush bounds the export at the end: flushTimeout when the collector
	// answered at the start, a token wait when nothing listens there (the
	// spans are lost either way; the user's command must not hang for them).
	flush time.Duration
}

// startAction sets up the CLI's telemetry and starts the command's span.
func startAction(cmd *cobra.Command) (*action, error) {
	tel, err := telemetry.Setup(cmd.Context(), telemetry.Config{ServiceName: CLIServiceName, Stderr: cmd.ErrOrStderr()})
	if err != nil {
		return nil, err
	}
	command := strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
	ctx, span := tel.Tracer("github.com/ktrdr/ktrdr/internal/cli").Start(cmd.Context(), "ktrdr "+command,
		trace.WithNewRoot(), trace.WithAttributes(attribute.String("cli.command", command)))
	a := &action{Ctx: ctx, span: span, tel: tel, flush: min(flushTimeout, tel.ShutdownTimeout)}
	if !tel.Disabled {
		if c, err := net.DialTimeout("tcp", tel.Endpoint.HostPort, 300*time.Millisecond); err == nil {
			c.Close()
		} else {
			a.flush = 100 * time.Millisecond
		}
	}
	return a, nil
}

// SetOperation records the operation the command started or acted on.
func (a *action) SetOperation(id string) {
	if id != "" {
		a.span.SetAttributes(attribute.String("operation.id", id))
	}
}

// SetAttributes adds attributes to the command's span.
func (a *action) SetAttributes(kv ...attribute.KeyValue) { a.span.SetAttributes(kv...) }

// Detached is the span's context without Ctrl-C's cancellation: for the
// calls a command makes after an interrupt (cancelling the operation).
func (a *action) Detached() context.Context {
	return trace.ContextWithSpan(context.Background(), a.span)
}

// TraceID is the command's trace id.
func (a *action) TraceID() string { return a.span.SpanContext().TraceID().String() }

// End ends the span with err's outcome and flushes it, within flushTimeout,
// even after Ctrl-C.
func (a *action) End(err error) {
	if err != nil {
		a.span.RecordError(err)
		a.span.SetStatus(codes.Error, err.Error())
	}
	a.span.End()
	ctx, cancel := context.WithTimeout(context.Background(), a.flush)
	defer cancel()
	_ = a.tel.Shutdown(ctx)
}
