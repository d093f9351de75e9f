// Package registry is the backend's view of its workers: who registered,
// of which type, where to reach them, whether they are idle, busy or lost,
// and which idle worker to pick next (least recently used first).
//
// It lives in memory on purpose: after a backend restart every worker's next
// heartbeat is answered 404 and it registers again, telling what it runs.
package registry

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ktrdr/ktrdr/internal/operations"
	"github.com/ktrdr/ktrdr/internal/workerapi"
)

// ErrUnknown is returned for a worker the registry does not know (or has
// declared lost): the worker should register again.
var ErrUnknown = errors.New("unknown worker")

// FieldError is a registration field that is not acceptable.
type FieldError struct{ Field, Msg string }

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Worker is one registered worker.
type Worker struct {
	ID                 string               `json:"worker_id"`
	Type               string               `json:"worker_type"`
	URL                string               `json:"endpoint_url"`
	Capabilities       map[string]any       `json:"capabilities,omitempty"`
	State              string               `json:"state"`
	CurrentOperationID string               `json:"current_operation_id,omitempty"`
	Progress           *operations.Progress `json:"progress,omitempty"`
	RegisteredAt       time.Time            `json:"registered_at"`
	LastHeartbeat      time.Time            `json:"last_heartbeat"`
	LastAssigned       time.Time            `json:"last_assigned,omitzero"`
	IdleSince          time.Time            `json:"idle_since,omitzero"`
}

// Registry holds the workers. Safe for concurrent use.
type Registry struct {
	mu        sync.Mutex
	workers   map[string]*Worker
	lostAfter time.Duration
	now       func() time.Time
	freed     chan struct{} // signalled when a worker may have become free
}

// New returns a registry that declares a worker lost after lostAfter
// without a heartbeat.
func New(lostAfter time.Duration) *Registry {
	return &Registry{workers: map[string]*Worker{}, lostAfter: lostAfter, now: time.Now, freed: make(chan struct{}, 1)}
}

// Freed is signalled (without blocking, coalesced) whenever a worker
// registers or becomes idle: the dispatcher's cue to look at its queue.
func (r *Registry) Freed() <-chan struct{} { return r.freed }

func (r *Registry) signal() {
	select {
	case r.freed <- struct{}{}:
	default:
	}
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

// Register adds or replaces a worker. A worker registering again after a
// backend restart keeps the operation it says it runs.
func (r *Registry) Register(req workerapi.RegisterRequest) (Worker, error) {
	if !idPattern.MatchString(req.WorkerID) {
		return Worker{}, &FieldError{"worker_id", "use 1-63 letters, digits, '.', '_' or '-'"}
	}
	if req.WorkerType != "training" && req.WorkerType != "backtest" {
		return Worker{}, &FieldError{"worker_type", fmt.Sprintf("%q is not training or backtest", req.WorkerType)}
	}
	u, err := url.Parse(req.EndpointURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Worker{}, &FieldError{"endpoint_url", fmt.Sprintf("%q is not an http(s) URL", req.EndpointURL)}
	}
	state := workerapi.StateIdle
	switch req.State {
	case "", workerapi.StateIdle:
	case workerapi.StateBusy:
		state = workerapi.StateBusy
	default:
		return Worker{}, &FieldError{"state", fmt.Sprintf("%q is not idle or busy", req.State)}
	}
	now := r.now()
	w := &Worker{
		ID: req.WorkerID, Type: req.WorkerType, URL: strings.TrimSuffix(req.EndpointURL, "/"),
		Capabilities: req.Capabilities, State: state, RegisteredAt: now, LastHeartbeat: now,
	}
	if state == workerapi.StateBusy {
		w.CurrentOperationID = req.CurrentOperationID
	} else {
		w.IdleSince = now
	}
	r.mu.Lock()
	if old, ok := r.workers[w.ID]; ok {
		w.LastAssigned = old.LastAssigned
	}
	r.workers[w.ID] = w
	out := *w
	r.mu.Unlock()
	if state == workerapi.StateIdle {
		r.signal()
	}
	return out, nil
}

// Heartbeat records a worker's heartbeat. ErrUnknown means register again.
func (r *Registry) Heartbeat(id string, hb workerapi.Heartbeat) (Worker, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	w, ok := r.workers[id]
	if !ok || w.State == workerapi.StateLost {
		return Worker{}, ErrUnknown
	}
	w.LastHeartbeat = r.now()
	switch hb.State {
	case workerapi.StateIdle:
		if w.State != workerapi.StateIdle {
			w.State, w.CurrentOperationID, w.Progress, w.IdleSince = workerapi.StateIdle, "", nil, w.LastHeartbeat
			r.signal()
		}
	case workerapi.StateBusy:
		w.State = workerapi.StateBusy
		if hb.CurrentOperationID != "" {
			w.CurrentOperationID = hb.CurrentOperationID
		}
		w.Progress = hb.Progress
	default:
		return Worker{}, &FieldError{"state", fmt.Sprintf("%q is not idle or busy", hb.State)}
	}
	return *w, nil
}

// Get returns a worker by id.
func (r *Registry) Get(id string) (Worker, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	w, ok := r.workers[id]
	if !ok {
		return Worker{}, false
	}
	return *w, true
}

// List returns every worker, by id.
func (r *Registry) List() []Worker {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Worker, 0, len(r.workers))
	for _, w := range r.workers {
		out = append(out, *w)
	}
	slices.SortFunc(out, func(a, b Worker) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Candidates returns the idle workers of a type, least recently assigned
// first, so work spreads over the pool.
func (r *Registry) Candidates(workerType string) []Worker {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Worker
	for _, w := range r.workers {
		if w.Type == workerType && w.State == workerapi.StateIdle {
			out = append(out, *w)
		}
	}
	slices.SortFunc(out, func(a, b Worker) int {
		if c := a.LastAssigned.Compare(b.LastAssigned); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// Claim marks an idle worker busy with an operation. It fails when the
// worker is no longer idle (another dispatch took it).
func (r *Registry) Claim(id, operationID string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	w, ok := r.workers[id]
	if !ok || w.State != workerapi.StateIdle {
		return false
	}
	w.State, w.CurrentOperationID, w.Progress, w.LastAssigned = workerapi.StateBusy, operationID, nil, r.now()
	return true
}

// Release marks a worker idle if it still runs operationID (or anything,
// when operationID is empty): after a completion, or a start it refused.
func (r *Registry) Release(id, operationID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	w, ok := r.workers[id]
	if !ok || w.State == workerapi.StateLost {
		return
	}
	if operationID == "" || w.CurrentOperationID == operationID || w.CurrentOperationID == "" {
		w.State, w.CurrentOperationID, w.Progress, w.IdleSince = workerapi.StateIdle, "", nil, r.now()
		r.signal()
	}
}

// SweepLost declares lost every worker whose last heartbeat is older than
// lostAfter and returns them as they were (with the operation they ran).
func (r *Registry) SweepLost() []Worker {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	var lost []Worker
	for _, w := range r.workers {
		if w.State != workerapi.StateLost && now.Sub(w.LastHeartbeat) > r.lostAfter {
			lost = append(lost, *w)
			w.State = workerapi.StateLost
		}
	}
	return lost
}

// Counts returns how many workers each type has in each state.
func (r *Registry) Counts() map[string]map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]map[string]int{}
	for _, w := range r.workers {
		if out[w.Type] == nil {
			out[w.Type] = map[string]int{}
		}
		out[w.Type][w.State]++
	}
	return out
}
