// Package dispatch runs operations on workers: it records a new operation,
// picks the least recently used idle worker of the right type, starts the
// work there over traced HTTP, queues what no worker can take yet and
// dispatches it — in the same trace — when one frees up, and settles the
// operations of workers that finish, fail, are cancelled or are lost.
package dispatch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/ktrdr/ktrdr/internal/operations"
	"github.com/ktrdr/ktrdr/internal/registry"
	"github.com/ktrdr/ktrdr/internal/telemetry"
	"github.com/ktrdr/ktrdr/internal/workerapi"
)

// Policies for the operation of a lost worker.
const (
	LostFail    = "fail"    // fail it with a reason naming the worker
	LostRequeue = "requeue" // put it back in the queue for another worker
)

// Config wires a Dispatcher.
type Config struct {
	Store      operations.Store
	Registry   *registry.Registry
	HTTP       *http.Client  // traced client for calls to workers
	LostPolicy string        // LostFail (default) or LostRequeue
	LostAfter  time.Duration // a running op whose worker is unknown this long after start-up is lost too
	Tick       time.Duration // how often the queue and lost workers are checked (default 500ms)
	Logger     *slog.Logger
	Tracer     trace.Tracer
	// OnFinished, if set, is called once per operation reaching a terminal status.
	OnFinished func(op *operations.Operation)
}

// Dispatcher is safe for concurrent use.
type Dispatcher struct {
	cfg     Config
	started time.Time
	mu      sync.Mutex // serialises dispatch so the queue stays FIFO
	wake    chan struct{}
}

// New returns a dispatcher; call Run to serve its queue.
func New(cfg Config) *Dispatcher {
	if cfg.LostPolicy == "" {
		cfg.LostPolicy = LostFail
	}
	if cfg.Tick <= 0 {
		cfg.Tick = 500 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Tracer == nil {
		cfg.Tracer = otel.Tracer("ktrdr/dispatch")
	}
	return &Dispatcher{cfg: cfg, started: time.Now(), wake: make(chan struct{}, 1)}
}

// Errors of the dispatcher, for the HTTP layer to map to statuses.
var (
	ErrConflict = errors.New("conflict")
	ErrNotFound = operations.ErrNotFound
)

// Submit records op as pending in the current trace and tries to start it
// at once; with no free worker it stays pending in the queue. It returns
// the operation as stored.
func (d *Dispatcher) Submit(ctx context.Context, op *operations.Operation) (*operations.Operation, error) {
	trace.SpanFromContext(ctx).SetAttributes(attribute.String("operation.id", op.ID))
	cctx, span := d.cfg.Tracer.Start(ctx, "operations.create", trace.WithAttributes(
		attribute.String("operation.id", op.ID), attribute.String("operation.type", string(op.Type))))
	op.Status = operations.StatusPending
	op.CreatedAt = time.Now().UTC()
	if sc := span.SpanContext(); sc.HasTraceID() { // none when tracing is disabled
		op.TraceID = sc.TraceID().String()
	}
	// The creating span's context goes with the operation: work dispatched
	// later from the queue, or settled after its worker was lost, continues
	// this trace as its child.
	carrier := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(cctx, carrier)
	op.TraceParent = carrier["traceparent"]

	// Holding d.mu from creation to the first dispatch attempt keeps the
	// queue's pump from taking the operation out of this request's trace.
	d.mu.Lock()
	defer d.mu.Unlock()
	err := d.cfg.Store.Create(cctx, op)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
	if err != nil {
		return nil, err
	}
	older, err := d.cfg.Store.Pending(ctx, op.WorkerType, 1)
	if err == nil && len(older) > 0 && older[0].ID == op.ID {
		d.tryDispatch(ctx, op, 0)
	} else {
		d.poke()
	}
	return d.cfg.Store.Get(ctx, op.ID)
}

func (d *Dispatcher) poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run serves the queue and watches for lost workers until ctx is done.
func (d *Dispatcher) Run(ctx context.Context) {
	t := time.NewTicker(d.cfg.Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			d.sweep(ctx)
		case <-d.wake:
		case <-d.cfg.Registry.Freed():
		}
		d.pump(ctx)
	}
}

// pump dispatches queued operations, oldest first, while workers are free.
func (d *Dispatcher) pump(ctx context.Context) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, workerType := range []string{"training", "backtest"} {
		pending, err := d.cfg.Store.Pending(ctx, workerType, 100)
		if err != nil {
			d.cfg.Logger.Error("reading the queue", "error", err.Error())
			return
		}
		for _, op := range pending {
			if len(d.cfg.Registry.Candidates(workerType)) == 0 {
				break
			}
			pctx := propagation.TraceContext{}.Extract(context.Background(), propagation.MapCarrier{"traceparent": op.TraceParent})
			wait := time.Since(op.CreatedAt)
			pctx, span := d.cfg.Tracer.Start(pctx, "operations.dispatch_queued", trace.WithAttributes(
				attribute.String("operation.id", op.ID), attribute.Int64("queue.wait_ms", wait.Milliseconds())))
			ok := d.tryDispatch(pctx, op, wait)
			span.End()
			if !ok {
				break
			}
		}
	}
}

// tryDispatch offers op to the idle workers of its type, least recently
// used first, until one accepts. d.mu must be held.
func (d *Dispatcher) tryDispatch(ctx context.Context, op *operations.Operation, wait time.Duration) bool {
	candidates := d.cfg.Registry.Candidates(op.WorkerType)
	ctx, span := d.cfg.Tracer.Start(ctx, "workers.select", trace.WithAttributes(
		attribute.String("operation.id", op.ID), attribute.String("worker.type", op.WorkerType),
		attribute.Int("worker.candidates", len(candidates)), attribute.Int64("queue.wait_ms", wait.Milliseconds())))
	defer span.End()
	for _, w := range candidates {
		if !d.cfg.Registry.Claim(w.ID, op.ID) {
			continue
		}
		// Recorded as running on w before w hears of it: a quick worker
		// reports progress and its outcome before the start call returns.
		now := time.Now().UTC()
		_, err := d.cfg.Store.Update(ctx, op.ID, func(o *operations.Operation) error {
			if o.Status != operations.StatusPending {
				return fmt.Errorf("%w: operation is %s", ErrConflict, o.Status)
			}
			o.Status, o.WorkerID, o.StartedAt, o.CompletedAt, o.Error = operations.StatusRunning, w.ID, &now, nil, nil
			o.Attempts++
			return nil
		})
		if err != nil {
			// Cancelled (or settled) meanwhile: nothing to start.
			d.cfg.Registry.Release(w.ID, op.ID)
			span.AddEvent("not dispatched", trace.WithAttributes(attribute.String("reason", err.Error())))
			return true
		}
		if err := d.start(ctx, w, op); err != nil {
			// Busy or unreachable: it stays claimed until its heartbeat
			// says idle (or it is declared lost), so it is not retried in a loop.
			span.AddEvent("worker refused", trace.WithAttributes(attribute.String("worker.id", w.ID), attribute.String("reason", err.Error())))
			_, _ = d.cfg.Store.Update(ctx, op.ID, func(o *operations.Operation) error {
				if o.Status != operations.StatusRunning || o.WorkerID != w.ID {
					return ErrConflict
				}
				o.Status, o.WorkerID, o.StartedAt = operations.StatusPending, "", nil
				o.Attempts--
				return nil
			})
			continue
		}
		span.SetAttributes(attribute.String("worker.selected_id", w.ID))
		return true
	}
	span.SetAttributes(attribute.String("worker.selected_id", ""))
	span.AddEvent("queued: no free worker")
	return false
}

// startTimeout bounds a start call: dispatch is serialised, so a worker that
// swallows connections must not hold the queue for the client's full timeout.
const startTimeout = 5 * time.Second

func (d *Dispatcher) start(ctx context.Context, w registry.Worker, op *operations.Operation) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	body, _ := json.Marshal(workerapi.StartRequest{OperationID: op.ID, OperationType: op.Type, Params: op.Params})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL+workerapi.StartPath(op.Type), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := d.cfg.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("worker %s answered %s: %s", w.ID, resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}

func (d *Dispatcher) cancelOnWorker(ctx context.Context, workerURL, id string) error {
	ctx = telemetry.WithRoute(ctx, workerapi.PathCancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, workerURL+strings.Replace(workerapi.PathCancel, "{id}", url.PathEscape(id), 1), nil)
	if err != nil {
		return err
	}
	resp, err := d.cfg.HTTP.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return ErrNotFound
	}
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("worker answered %s", resp.Status)
	}
	return nil
}
