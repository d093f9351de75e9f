package workers

import (
	"context"
	"encoding/json"

	"github.com/ktrdr/ktrdr/internal/operations"
)

// Job is one operation handed to an Executor.
type Job struct {
	OperationID string
	Type        operations.Type
	Params      json.RawMessage
}

// Reporter is how an Executor tells the world how far it is. It is safe for
// concurrent use and never blocks on the network: reports are buffered and
// sent by the runtime (coalesced progress reports, heartbeats, bounded span
// events on the run span).
type Reporter interface {
	// Progress records the latest progress; only the newest value is sent.
	Progress(p operations.Progress)
	// Metrics JSON-encodes records (e.g. one per epoch) and queues them for
	// the backend with the next progress report; none is dropped unless the
	// buffer overflows.
	Metrics(records ...any)
}

// Executor runs one kind of work. Run must return soon after ctx is
// cancelled (checking it at least every ~100 ms); its result is the
// operation's JSON result summary.
type Executor interface {
	Run(ctx context.Context, job Job, rep Reporter) (json.RawMessage, error)
}

// ParamsValidator is implemented by executors that can reject bad params
// before the work is accepted, so a start answers 400 instead of 202 and a
// failed operation.
type ParamsValidator interface {
	ValidateParams(params json.RawMessage) error
}

// ParamError is a bad parameter. Field names it as it appears in the
// params JSON ("steps"); empty when the params as a whole are unreadable.
type ParamError struct {
	Field   string
	Message string
}

func (e *ParamError) Error() string {
	if e.Field == "" {
		return "params: " + e.Message
	}
	return e.Field + ": " + e.Message
}
