// Package workerapi is the wire contract between the backend and its
// workers: the JSON bodies and paths of registration, heartbeats, progress,
// completion, and of starting and cancelling work on a worker. Both sides
// import it, so they cannot drift apart.
package workerapi

import (
	"encoding/json"
	"fmt"

	"github.com/ktrdr/ktrdr/internal/operations"
)

// Worker states.
const (
	StateIdle = "idle"
	StateBusy = "busy"
	StateLost = "lost" // backend-side only: missed its heartbeats
)

// Backend paths (on the API).
const (
	PathRegister  = "/api/v1/workers/register"
	PathHeartbeat = "/api/v1/workers/{id}/heartbeat"
	PathProgress  = "/api/v1/operations/{id}/progress"
	PathComplete  = "/api/v1/operations/{id}/complete"
)

// TokenHeader carries KTRDR_WORKER_TOKEN when one is configured.
const TokenHeader = "X-Ktrdr-Worker-Token"

// RegisterRequest is POST /api/v1/workers/register.
type RegisterRequest struct {
	WorkerID     string         `json:"worker_id"`
	WorkerType   string         `json:"worker_type"`  // training | backtest
	EndpointURL  string         `json:"endpoint_url"` // where the backend reaches the worker
	Capabilities map[string]any `json:"capabilities,omitempty"`
	// A worker that re-registers (after the backend restarted) says what it runs.
	State              string `json:"state,omitempty"`
	CurrentOperationID string `json:"current_operation_id,omitempty"`
}

// RegisterResponse answers a registration.
type RegisterResponse struct {
	WorkerID                 string  `json:"worker_id"`
	HeartbeatIntervalSeconds float64 `json:"heartbeat_interval_seconds"`
}

// Heartbeat is POST /api/v1/workers/{id}/heartbeat. An answer of 404 means
// the backend does not know the worker (it restarted): register again.
type Heartbeat struct {
	State              string               `json:"state"`
	CurrentOperationID string               `json:"current_operation_id,omitempty"`
	Progress           *operations.Progress `json:"progress,omitempty"`
}

// ProgressReport is POST /api/v1/operations/{id}/progress.
type ProgressReport struct {
	WorkerID string               `json:"worker_id"`
	Progress *operations.Progress `json:"progress,omitempty"`
	Metrics  []json.RawMessage    `json:"metrics,omitempty"` // appended to the operation's records
}

// Completion is POST /api/v1/operations/{id}/complete: the outcome of the
// work. Status is completed, failed or cancelled. Sending it again after a
// lost answer is safe: the backend accepts the same outcome twice.
type Completion struct {
	WorkerID string            `json:"worker_id"`
	Status   operations.Status `json:"status"`
	Result   json.RawMessage   `json:"result,omitempty"`
	Error    string            `json:"error,omitempty"`
}

// Worker paths. The start path depends on the operation type, so spans read
// like the work: POST /training/start, POST /backtests/start, POST /dummy/start.
const (
	PathCancel  = "/operations/{id}/cancel"
	PathCurrent = "/operations/current"
)

// StartPath is the worker path that starts an operation of type t.
func StartPath(t operations.Type) string {
	switch t {
	case operations.TypeTraining:
		return "/training/start"
	case operations.TypeBacktesting:
		return "/backtests/start"
	case operations.TypeDataLoad:
		return "/data/load"
	default:
		return "/" + string(t) + "/start"
	}
}

// StartRequest is the body of a worker's start path. The trace context
// travels in the traceparent header, as on every request.
type StartRequest struct {
	OperationID   string          `json:"operation_id"`
	OperationType operations.Type `json:"operation_type"`
	Params        json.RawMessage `json:"params"`
}

// StartResponse is the 202 answer of a start; a busy worker answers 503.
type StartResponse struct {
	OperationID string `json:"operation_id"`
	WorkerID    string `json:"worker_id"`
}

// Current is GET /operations/current on a worker.
type Current struct {
	WorkerID           string               `json:"worker_id"`
	State              string               `json:"state"`
	CurrentOperationID string               `json:"current_operation_id,omitempty"`
	Progress           *operations.Progress `json:"progress,omitempty"`
}

// DefaultDummyParams are the values of the fields a dummy start leaves out.
func DefaultDummyParams() DummyParams {
	return DummyParams{DurationSeconds: 5, Steps: 10, WorkerType: "training"}
}

// Validate checks the work parameters of a dummy operation and returns the
// offending field and what is wrong with it ("must be ..."), or "" and "".
// Both the API and the worker use it: one rule. WorkerType only matters to
// the API's choice of pool and is checked there.
func (p DummyParams) Validate() (field, problem string) {
	switch {
	case p.DurationSeconds < 0 || p.DurationSeconds > 3600:
		return "duration_seconds", fmt.Sprintf("must be between 0 and 3600, got %v", p.DurationSeconds)
	case p.Steps < 1 || p.Steps > 10000:
		return "steps", fmt.Sprintf("must be between 1 and 10000, got %d", p.Steps)
	case p.FailAtStep < 0 || p.FailAtStep > p.Steps:
		return "fail_at_step", fmt.Sprintf("must be between 0 (never) and steps (%d), got %d", p.Steps, p.FailAtStep)
	}
	return "", ""
}

// DummyParams are the parameters of a dummy operation.
type DummyParams struct {
	DurationSeconds float64 `json:"duration_seconds"`
	Steps           int     `json:"steps"`
	FailAtStep      int     `json:"fail_at_step"` // 0: never
	WorkerType      string  `json:"worker_type"`
}
