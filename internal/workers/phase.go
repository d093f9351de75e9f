package workers

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Phase runs one phase of an executor's work (training.fit,
// backtest.simulate, ...) in a child span of ctx's span named name. A
// cancelled ctx is checked first, so cancellation lands between phases as
// well as inside them; an error other than the cancellation marks the span
// failed. tr nil means the global provider's tracer.
func Phase(ctx context.Context, tr trace.Tracer, name string, f func(context.Context, trace.Span) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if tr == nil {
		tr = otel.Tracer("github.com/ktrdr/ktrdr/internal/workers")
	}
	ctx, span := tr.Start(ctx, name)
	defer span.End()
	err := f(ctx, span)
	if err != nil && ctx.Err() == nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	return err
}
