package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/ktrdr/ktrdr/internal/operations"
	"github.com/ktrdr/ktrdr/internal/registry"
	"github.com/ktrdr/ktrdr/internal/workerapi"
)

// Complete records a worker's outcome for an operation. Reporting the same
// outcome twice is harmless (the worker retries when an answer is lost);
// a different outcome for a settled operation is ErrConflict.
func (d *Dispatcher) Complete(ctx context.Context, id string, c workerapi.Completion) (*operations.Operation, error) {
	if !c.Status.Terminal() {
		return nil, fmt.Errorf("status %q is not completed, failed or cancelled", c.Status)
	}
	if c.Result != nil && !json.Valid(c.Result) {
		return nil, errors.New("result is not valid JSON")
	}
	now := time.Now().UTC()
	var settled bool
	op, err := d.cfg.Store.Update(ctx, id, func(o *operations.Operation) error {
		if o.WorkerID != c.WorkerID {
			return fmt.Errorf("%w: operation %s runs on worker %q, not %q", ErrConflict, id, o.WorkerID, c.WorkerID)
		}
		if o.Status.Terminal() {
			if o.Status == c.Status {
				return nil // a repeated report
			}
			return fmt.Errorf("%w: operation %s is already %s", ErrConflict, id, o.Status)
		}
		if o.Status != operations.StatusRunning {
			return fmt.Errorf("%w: operation %s is %s", ErrConflict, id, o.Status)
		}
		o.Status, o.CompletedAt, o.Result = c.Status, &now, c.Result
		if c.Error != "" {
			msg := c.Error
			o.Error = &msg
		}
		if c.Status == operations.StatusCompleted {
			o.Progress.Percentage = 100
		}
		settled = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	d.cfg.Registry.Release(c.WorkerID, id)
	if settled {
		d.finished(op)
	}
	d.poke()
	return op, nil
}

// Progress records a worker's progress report and metric records.
func (d *Dispatcher) Progress(ctx context.Context, id string, p workerapi.ProgressReport) error {
	for i, m := range p.Metrics {
		if !json.Valid(m) {
			return fmt.Errorf("metrics[%d] is not valid JSON", i)
		}
	}
	_, err := d.cfg.Store.Update(ctx, id, func(o *operations.Operation) error {
		if o.WorkerID != p.WorkerID || o.Status != operations.StatusRunning {
			return fmt.Errorf("%w: operation %s is %s on worker %q", ErrConflict, id, o.Status, o.WorkerID)
		}
		if p.Progress != nil {
			o.Progress = *p.Progress
			// A worker's rounding must not make its report invalid.
			o.Progress.Percentage = min(max(o.Progress.Percentage, 0), 100)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(p.Metrics) > 0 {
		return d.cfg.Store.AppendMetrics(ctx, id, p.Metrics)
	}
	return nil
}

// Heartbeat records a worker's heartbeat and the progress it carries.
func (d *Dispatcher) Heartbeat(ctx context.Context, workerID string, hb workerapi.Heartbeat) (registry.Worker, error) {
	w, err := d.cfg.Registry.Heartbeat(workerID, hb)
	if err != nil {
		return w, err
	}
	if hb.State == workerapi.StateBusy && hb.CurrentOperationID != "" && hb.Progress != nil {
		_ = d.Progress(ctx, hb.CurrentOperationID, workerapi.ProgressReport{WorkerID: workerID, Progress: hb.Progress})
	}
	return w, nil
}

// Cancel cancels an operation: a pending one at once; a running one by
// asking its worker, which confirms with a cancelled completion.
func (d *Dispatcher) Cancel(ctx context.Context, id string) (*operations.Operation, error) {
	now := time.Now().UTC()
	var workerID string
	op, err := d.cfg.Store.Update(ctx, id, func(o *operations.Operation) error {
		switch o.Status {
		case operations.StatusPending:
			o.Status, o.CompletedAt = operations.StatusCancelled, &now
		case operations.StatusRunning:
			o.CancelRequested = true
			workerID = o.WorkerID
		default:
			return fmt.Errorf("%w: operation %s is already %s", ErrConflict, id, o.Status)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if op.Status == operations.StatusCancelled {
		d.finished(op)
		return op, nil
	}
	w, ok := d.cfg.Registry.Get(workerID)
	if !ok {
		return op, nil // the lost-worker sweep settles it
	}
	if err := d.cancelOnWorker(ctx, w.URL, id); errors.Is(err, ErrNotFound) {
		// The worker does not run it (any more): nothing will confirm, so settle here.
		return d.settleWithoutWorker(ctx, op, "cancelled: worker "+workerID+" no longer runs it")
	} else if err != nil {
		d.cfg.Logger.Warn("cancel did not reach the worker; it stops when declared lost", "operation_id", id, "worker_id", workerID, "error", err.Error())
	}
	return op, nil
}

// sweep declares silent workers lost and settles their operations, and the
// running operations of workers that never came back after a restart.
func (d *Dispatcher) sweep(ctx context.Context) {
	for _, w := range d.cfg.Registry.SweepLost() {
		d.cfg.Logger.Warn("worker lost: no heartbeat", "worker_id", w.ID, "operation_id", w.CurrentOperationID)
	}
	running, _, err := d.cfg.Store.List(ctx, operations.Filter{Status: operations.StatusRunning, Limit: 1000})
	if err != nil {
		d.cfg.Logger.Error("listing running operations", "error", err.Error())
		return
	}
	for _, op := range running {
		if op.WorkerType != "training" && op.WorkerType != "backtest" {
			continue // run by the backend itself (data loads): no worker to lose
		}
		w, known := d.cfg.Registry.Get(op.WorkerID)
		var reason string
		switch {
		case known && w.State == workerapi.StateLost:
			reason = fmt.Sprintf("worker %s lost: no heartbeat for %s", w.ID, time.Since(w.LastHeartbeat).Round(time.Second))
		case !known && time.Since(d.started) > d.cfg.LostAfter:
			reason = fmt.Sprintf("worker %s lost: it did not register again after the backend restarted", op.WorkerID)
		case known && w.State == workerapi.StateIdle && time.Since(w.IdleSince) > d.cfg.LostAfter && time.Since(d.started) > d.cfg.LostAfter:
			// Idle that long, the worker's outcome report is not coming.
			reason = fmt.Sprintf("worker %s is idle and never reported the outcome", w.ID)
		default:
			continue
		}
		d.lost(ctx, op, reason)
	}
}

// lost settles the operation of a lost worker by policy, and records the
// error in the operation's own trace: the worker's run span never ends.
func (d *Dispatcher) lost(ctx context.Context, op *operations.Operation, reason string) {
	pctx := propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier{"traceparent": op.TraceParent})
	_, span := d.cfg.Tracer.Start(pctx, "operations.worker_lost", trace.WithAttributes(
		attribute.String("operation.id", op.ID), attribute.String("worker.id", op.WorkerID), attribute.String("lost.policy", d.cfg.LostPolicy)))
	defer span.End()
	err := errors.New(reason)
	span.RecordError(err)
	span.SetStatus(codes.Error, reason)
	if d.cfg.LostPolicy == LostRequeue && !op.CancelRequested {
		_, uerr := d.cfg.Store.Update(ctx, op.ID, func(o *operations.Operation) error {
			if o.Status != operations.StatusRunning {
				return ErrConflict
			}
			o.Status, o.WorkerID, o.StartedAt = operations.StatusPending, "", nil
			o.Progress = operations.Progress{}
			return nil
		})
		if uerr == nil {
			d.cfg.Logger.Warn("operation re-queued", "operation_id", op.ID, "reason", reason)
			d.poke()
		}
		return
	}
	if _, err := d.settleWithoutWorker(ctx, op, reason); err != nil {
		d.cfg.Logger.Error("settling a lost worker's operation", "operation_id", op.ID, "error", err.Error())
	}
}

// settleWithoutWorker ends a running operation no worker will report on:
// cancelled if a cancel was asked for, failed otherwise.
func (d *Dispatcher) settleWithoutWorker(ctx context.Context, op *operations.Operation, reason string) (*operations.Operation, error) {
	now := time.Now().UTC()
	out, err := d.cfg.Store.Update(ctx, op.ID, func(o *operations.Operation) error {
		if o.Status != operations.StatusRunning {
			return fmt.Errorf("%w: operation %s is %s", ErrConflict, o.ID, o.Status)
		}
		o.Status = operations.StatusFailed
		if o.CancelRequested {
			o.Status = operations.StatusCancelled
		}
		o.CompletedAt, o.Error = &now, &reason
		return nil
	})
	if err != nil {
		return nil, err
	}
	d.finished(out)
	return out, nil
}

func (d *Dispatcher) finished(op *operations.Operation) {
	if d.cfg.OnFinished != nil {
		d.cfg.OnFinished(op)
	}
}
