package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"

	"github.com/ktrdr/ktrdr/internal/operations"
	"github.com/ktrdr/ktrdr/internal/telemetry"
	"github.com/ktrdr/ktrdr/internal/workerapi"
)

// RuntimeConfig configures a worker's runtime. Zero values take the
// defaults noted.
type RuntimeConfig struct {
	WorkerID     string
	WorkerType   string // TypeTraining or TypeBacktest
	BackendURL   string // the API, e.g. http://127.0.0.1:8000
	AdvertiseURL string // this worker's base URL as the backend reaches it
	Token        string // sent in workerapi.TokenHeader when non-empty

	HeartbeatInterval time.Duration // default 2s; a registration answer may override it
	ProgressInterval  time.Duration // least time between progress reports; default 1s
	ShutdownGrace     time.Duration // wait for cancelled work, then for its report; default 5s

	// Executors by operation type; nil means dummy only.
	Executors map[operations.Type]Executor

	Tracer trace.Tracer // default otel.Tracer of this package
	Logger *slog.Logger // default slog.Default()
	// HTTPClient is traced: progress and completion reports are part of the
	// work's trace. Default telemetry.NewHTTPClient(10s).
	HTTPClient *http.Client
	// PlainClient is untraced: registration and heartbeats must not make
	// spans. Default a 5s-timeout client on http.DefaultTransport.
	PlainClient *http.Client
}

// Runtime is the worker side of distributed operations: it registers with
// the backend and heartbeats, accepts one operation at a time on its HTTP
// routes, runs it with the matching Executor, and reports progress and the
// outcome until the backend has them.
type Runtime struct {
	cfg  RuntimeConfig
	log  *slog.Logger
	life context.Context // parent of all work; cancelled when Run ends
	stop context.CancelFunc
	kick chan struct{} // wakes the Run loop: a report is waiting
	work sync.WaitGroup

	mu      sync.Mutex
	cur     *run // nil when idle
	pending []*pendingReport
	closed  bool // Run is shutting down: no new work
	started bool
}

// NewRuntime returns a runtime; call Run to register and serve heartbeats
// and Handler (or NewServer) to accept work.
func NewRuntime(cfg RuntimeConfig) *Runtime {
	if cfg.HeartbeatInterval <= 0 {
		cfg.HeartbeatInterval = 2 * time.Second
	}
	if cfg.ProgressInterval <= 0 {
		cfg.ProgressInterval = time.Second
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = 5 * time.Second
	}
	if cfg.Executors == nil {
		cfg.Executors = map[operations.Type]Executor{operations.TypeDummy: DummyExecutor{}}
	}
	if cfg.Tracer == nil {
		cfg.Tracer = otel.Tracer("github.com/ktrdr/ktrdr/internal/workers")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = telemetry.NewHTTPClient(10 * time.Second)
	}
	if cfg.PlainClient == nil {
		cfg.PlainClient = &http.Client{Timeout: 5 * time.Second}
	}
	life, stop := context.WithCancel(context.Background())
	return &Runtime{
		cfg:  cfg,
		log:  cfg.Logger.With("worker_id", cfg.WorkerID),
		life: life,
		stop: stop,
		kick: make(chan struct{}, 1),
	}
}

// StartTypes are the operation types whose start routes this worker
// serves: its own kind of work, dummy, and any other type it has an
// executor for.
func (rt *Runtime) StartTypes() []operations.Type {
	set := map[operations.Type]bool{operations.TypeDummy: true}
	switch rt.cfg.WorkerType {
	case TypeTraining:
		set[operations.TypeTraining] = true
	case TypeBacktest:
		set[operations.TypeBacktesting] = true
	}
	for t := range rt.cfg.Executors {
		set[t] = true
	}
	types := make([]operations.Type, 0, len(set))
	for t := range set {
		types = append(types, t)
	}
	sort.Slice(types, func(i, j int) bool { return types[i] < types[j] })
	return types
}

// runnableTypes are the types that have an executor, for capabilities.
func (rt *Runtime) runnableTypes() []string {
	var out []string
	for _, t := range rt.StartTypes() {
		if rt.cfg.Executors[t] != nil {
			out = append(out, string(t))
		}
	}
	return out
}

// Run registers with the backend (retrying with backoff while it is down),
// then heartbeats every interval, registering again when a heartbeat is
// answered 404, and delivers pending completion reports. When ctx is done
// it refuses new work, cancels the running one, waits up to ShutdownGrace
// for it to end and makes a last attempt at its report, then returns nil.
// Run may be called once.
func (rt *Runtime) Run(ctx context.Context) error {
	rt.mu.Lock()
	if rt.started {
		rt.mu.Unlock()
		return errors.New("workers: Runtime.Run called twice")
	}
	rt.started = true
	rt.mu.Unlock()
	defer rt.shutdown()
	if rt.cfg.AdvertiseURL == "" {
		rt.log.Warn("no advertise URL: the backend will not be able to reach this worker")
	}

	interval := rt.cfg.HeartbeatInterval
	registered, failures := false, 0
	var regBackoff backoff
	var nextBeat time.Time // zero: at once
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		// Reports first: after a backend restart the outcome of finished
		// work should land before the registration that says we are idle.
		rt.sendDueReports(ctx, time.Now())
		if now := time.Now(); !now.Before(nextBeat) && ctx.Err() == nil {
			if !registered {
				d, err := rt.register(ctx)
				if ctx.Err() != nil {
					return nil
				}
				if err != nil {
					wait := regBackoff.next()
					rt.logFailure(failures, "registration failed; retrying", err, "retry_in", wait.Round(time.Millisecond))
					failures++
					nextBeat = time.Now().Add(wait)
				} else {
					if failures > 0 {
						rt.retryReportsNow()
					}
					registered, failures = true, 0
					regBackoff.reset()
					if d > 0 {
						interval = d
					}
					nextBeat = time.Now().Add(interval)
				}
			} else {
				err := rt.heartbeat(ctx)
				if ctx.Err() != nil {
					return nil
				}
				switch {
				case errors.Is(err, errUnknownWorker):
					rt.log.Info("backend does not know this worker (restarted?); registering again")
					registered = false
					rt.retryReportsNow() // before the registration that may say idle
					continue
				case err != nil:
					rt.logFailure(failures, "heartbeat failed", err)
					failures++
				default:
					if failures > 0 {
						rt.retryReportsNow()
					}
					failures = 0
				}
				nextBeat = time.Now().Add(interval)
			}
		}
		wake := nextBeat
		if due := rt.nextReportDue(); !due.IsZero() && due.Before(wake) {
			wake = due
		}
		timer.Reset(max(time.Until(wake), 0))
		select {
		case <-ctx.Done():
			return nil
		case <-rt.kick:
		case <-timer.C:
		}
	}
}

// logFailure warns on the first failure of a streak and keeps the rest at
// debug level: a backend that is down for a minute is one warning.
func (rt *Runtime) logFailure(streak int, msg string, err error, args ...any) {
	args = append(args, "error", err)
	if streak == 0 {
		rt.log.Warn(msg, args...)
	} else {
		rt.log.Debug(msg, args...)
	}
}

var errUnknownWorker = errors.New("backend does not know this worker")

// state returns what heartbeats and registrations say about the work.
func (rt *Runtime) state() (state, opID string, p *operations.Progress) {
	rt.mu.Lock()
	cur := rt.cur
	rt.mu.Unlock()
	if cur == nil {
		return workerapi.StateIdle, "", nil
	}
	return workerapi.StateBusy, cur.job.OperationID, cur.rep.latest()
}

// register sends one registration (untraced) and returns the heartbeat
// interval the backend asks for, if any.
func (rt *Runtime) register(ctx context.Context) (time.Duration, error) {
	state, opID, _ := rt.state()
	req := workerapi.RegisterRequest{
		WorkerID:           rt.cfg.WorkerID,
		WorkerType:         rt.cfg.WorkerType,
		EndpointURL:        rt.cfg.AdvertiseURL,
		Capabilities:       map[string]any{"operation_types": rt.runnableTypes()},
		State:              state,
		CurrentOperationID: opID,
	}
	status, body, err := rt.post(ctx, rt.cfg.PlainClient, rt.backendPath(workerapi.PathRegister, ""), req)
	if err != nil {
		return 0, err
	}
	if status < 200 || status > 299 {
		return 0, fmt.Errorf("registration answered %d: %s", status, truncate(body))
	}
	var ans workerapi.RegisterResponse
	_ = json.Unmarshal(body, &ans) // the interval is optional
	rt.log.Info("registered with the backend", "backend", rt.cfg.BackendURL, "endpoint_url", rt.cfg.AdvertiseURL, "state", state)
	d := time.Duration(ans.HeartbeatIntervalSeconds * float64(time.Second))
	if d < 10*time.Millisecond || d > time.Minute {
		d = 0 // absent or unreasonable: keep ours
	}
	return d, nil
}

// heartbeat sends one heartbeat (untraced).
func (rt *Runtime) heartbeat(ctx context.Context) error {
	state, opID, p := rt.state()
	hb := workerapi.Heartbeat{State: state, CurrentOperationID: opID, Progress: p}
	status, body, err := rt.post(ctx, rt.cfg.PlainClient, rt.backendPath(workerapi.PathHeartbeat, rt.cfg.WorkerID), hb)
	switch {
	case err != nil:
		return err
	case status == http.StatusNotFound:
		return errUnknownWorker
	case status < 200 || status > 299:
		return fmt.Errorf("heartbeat answered %d: %s", status, truncate(body))
	}
	return nil
}

// wake nudges the Run loop without blocking.
func (rt *Runtime) wake() {
	select {
	case rt.kick <- struct{}{}:
	default:
	}
}

// shutdown stops new work, cancels the running one, waits for it, and
// tries its report one last time.
func (rt *Runtime) shutdown() {
	rt.mu.Lock()
	rt.closed = true
	rt.mu.Unlock()
	rt.stop() // cancels the work's context and any progress report in flight

	done := make(chan struct{})
	go func() { rt.work.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(rt.cfg.ShutdownGrace):
		rt.log.Error("running work did not stop within the shutdown grace; its outcome is not reported", "grace", rt.cfg.ShutdownGrace)
	}

	ctx, cancel := context.WithTimeout(context.Background(), rt.cfg.ShutdownGrace/2)
	defer cancel()
	rt.sendDueReports(ctx, time.Now().Add(time.Hour)) // everything is due now
	rt.mu.Lock()
	lost := rt.pending
	rt.pending = nil
	rt.mu.Unlock()
	for _, p := range lost {
		rt.log.Error("completion could not be reported before shutdown", "operation_id", p.opID, "status", p.completion.Status)
	}
}
