package api

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/ktrdr/ktrdr/internal/operations"
	"github.com/ktrdr/ktrdr/internal/registry"
)

// Metrics are the backend's business metrics. Gauges are read from the
// store and the registry when scraped, so they are never out of date.
type Metrics struct {
	duration metric.Float64Histogram
}

// NewMetrics registers the backend's instruments on meter:
// ktrdr_operations{operation_type,status}, ktrdr_operation_duration_seconds,
// ktrdr_queue_depth{worker_type}, ktrdr_workers{worker_type,state}.
func NewMetrics(meter metric.Meter, store operations.Store, reg *registry.Registry) (*Metrics, error) {
	m := &Metrics{}
	var err error
	if m.duration, err = meter.Float64Histogram("ktrdr.operation.duration", metric.WithUnit("s"),
		metric.WithDescription("Time from an operation's creation to its end."),
		metric.WithExplicitBucketBoundaries(0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600)); err != nil {
		return nil, err
	}
	ops, err := meter.Int64ObservableGauge("ktrdr.operations", metric.WithDescription("Operations by type and status."))
	if err != nil {
		return nil, err
	}
	queue, err := meter.Int64ObservableGauge("ktrdr.queue.depth", metric.WithDescription("Pending operations waiting for a worker."))
	if err != nil {
		return nil, err
	}
	workers, err := meter.Int64ObservableGauge("ktrdr.workers", metric.WithDescription("Registered workers by type and state."))
	if err != nil {
		return nil, err
	}
	_, err = meter.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		counts, err := store.CountByStatus(ctx)
		if err != nil {
			return err
		}
		queued := map[string]int64{"training": 0, "backtest": 0}
		for typ, byStatus := range counts {
			for status, n := range byStatus {
				o.ObserveInt64(ops, int64(n), metric.WithAttributes(attribute.String("operation_type", string(typ)), attribute.String("status", string(status))))
			}
		}
		for wt := range queued {
			pending, err := store.Pending(ctx, wt, 100000)
			if err != nil {
				return err
			}
			o.ObserveInt64(queue, int64(len(pending)), metric.WithAttributes(attribute.String("worker_type", wt)))
		}
		for typ, byState := range reg.Counts() {
			for state, n := range byState {
				o.ObserveInt64(workers, int64(n), metric.WithAttributes(attribute.String("worker_type", typ), attribute.String("state", state)))
			}
		}
		return nil
	}, ops, queue, workers)
	return m, err
}

// Finished records the duration of an operation that reached its end.
func (m *Metrics) Finished(op *operations.Operation) {
	if op.CompletedAt == nil {
		return
	}
	m.duration.Record(context.Background(), op.CompletedAt.Sub(op.CreatedAt).Seconds(),
		metric.WithAttributes(attribute.String("operation_type", string(op.Type)), attribute.String("status", string(op.Status))))
}
