// Package operations is the record of every piece of work the backend runs:
// the operation model (ids, types, statuses, progress, result, trace id),
// its allowed status transitions, and the Store that persists operations —
// SQLite by default, an interface so PostgreSQL can serve larger deployments.
// It knows nothing about HTTP or workers.
package operations

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Type is the kind of work.
type Type string

// Operation types.
const (
	TypeDataLoad    Type = "data_load"
	TypeTraining    Type = "training"
	TypeBacktesting Type = "backtesting"
	TypeDummy       Type = "dummy"
)

// Status is where an operation is in its life.
type Status string

// Statuses. Completed, failed and cancelled are terminal.
const (
	StatusPending   Status = "pending"
	StatusRunning   Status = "running"
	StatusCompleted Status = "completed"
	StatusFailed    Status = "failed"
	StatusCancelled Status = "cancelled"
)

// Terminal tells whether s is a final status.
func (s Status) Terminal() bool {
	return s == StatusCompleted || s == StatusFailed || s == StatusCancelled
}

// Progress is how far a running operation is.
type Progress struct {
	Percentage     float64 `json:"percentage"`
	CurrentStep    string  `json:"current_step"`
	StepsCompleted int     `json:"steps_completed"`
	StepsTotal     int     `json:"steps_total"`
}

// Operation is one unit of work, as clients see it (GET /api/v1/operations/{id}).
type Operation struct {
	ID          string          `json:"operation_id"`
	Type        Type            `json:"operation_type"`
	Status      Status          `json:"status"`
	WorkerType  string          `json:"worker_type"` // which pool runs it: training or backtest
	CreatedAt   time.Time       `json:"created_at"`
	StartedAt   *time.Time      `json:"started_at"`
	CompletedAt *time.Time      `json:"completed_at"`
	Progress    Progress        `json:"progress"`
	WorkerID    string          `json:"worker_id"`
	TraceID     string          `json:"trace_id"`
	TraceParent string          `json:"-"` // W3C traceparent of the creating span: queued work continues the trace
	Params      json.RawMessage `json:"params"`
	Result      json.RawMessage `json:"result"`
	Error       *string         `json:"error"`
	// CancelRequested is set by DELETE; the status becomes cancelled only
	// when the worker confirms (or is lost).
	CancelRequested bool `json:"cancel_requested"`
	// Attempts counts dispatches; a re-queued operation is dispatched again.
	Attempts int `json:"attempts"`
}

// NewID returns op_{type}_{yyyymmdd_hhmmss}_{8 hex} for now (UTC).
func NewID(t Type, now time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("op_%s_%s_%s", t, now.UTC().Format("20060102_150405"), hex.EncodeToString(b[:]))
}

// Errors of the Store.
var (
	ErrNotFound = errors.New("operation not found")
	ErrExists   = errors.New("operation already exists")
	// ErrTransition is returned (wrapped) for a status change the life cycle forbids.
	ErrTransition = errors.New("invalid status transition")
)

// Filter selects operations for List. Zero values select everything;
// Limit 0 means the store's default (100).
type Filter struct {
	Status Status
	Type   Type
	Limit  int
	Offset int
}

// Store persists operations. Every method is safe for concurrent use, and
// every write is atomic: a failed call leaves nothing half-written.
type Store interface {
	// Create stores a new operation (ErrExists if the id is taken).
	Create(ctx context.Context, op *Operation) error
	// Get returns the operation or ErrNotFound.
	Get(ctx context.Context, id string) (*Operation, error)
	// List returns matching operations newest first, and how many match in all.
	List(ctx context.Context, f Filter) ([]*Operation, int, error)
	// Update applies fn to the stored operation inside one transaction and
	// stores the result; fn's error aborts the update and is returned as is.
	// The status change fn makes is checked with CheckTransition.
	Update(ctx context.Context, id string, fn func(op *Operation) error) (*Operation, error)
	// Pending returns pending operations of a worker type, oldest first
	// (the dispatch queue, FIFO). Empty workerType means every type.
	Pending(ctx context.Context, workerType string, limit int) ([]*Operation, error)
	// CountByStatus returns how many operations each type has in each status.
	CountByStatus(ctx context.Context) (map[Type]map[Status]int, error)
	// AppendMetrics adds metric records (e.g. one per epoch) to an operation.
	AppendMetrics(ctx context.Context, id string, records []json.RawMessage) error
	// Metrics returns records from cursor on and the cursor to ask for next.
	Metrics(ctx context.Context, id string, cursor int) ([]json.RawMessage, int, error)
	Close() error
}

// CheckTransition tells whether an operation may go from one status to another.
// Allowed: pending→running|failed|cancelled, running→completed|failed|cancelled,
// running→pending (re-queued after its worker was lost), and no change.
func CheckTransition(from, to Status) error {
	if from == to {
		return nil
	}
	ok := false
	switch from {
	case StatusPending:
		ok = to == StatusRunning || to == StatusFailed || to == StatusCancelled
	case StatusRunning:
		ok = to == StatusCompleted || to == StatusFailed || to == StatusCancelled || to == StatusPending
	}
	if !ok {
		return fmt.Errorf("%w: %s → %s", ErrTransition, from, to)
	}
	return nil
}
