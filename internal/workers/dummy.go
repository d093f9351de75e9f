package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/ktrdr/ktrdr/internal/operations"
	"github.com/ktrdr/ktrdr/internal/workerapi"
)

// DummyExecutor runs the dummy operation: Steps equal sleeps over
// DurationSeconds, progress after each, optionally failing at FailAtStep.
// It exercises the whole distributed path (dispatch, progress, completion,
// cancellation, tracing) without any business logic.
type DummyExecutor struct{}

// DummyResult is the result of a dummy operation.
type DummyResult struct {
	StepsCompleted  int     `json:"steps_completed"`
	DurationSeconds float64 `json:"duration_seconds"` // measured, not requested
}

// ValidateParams implements ParamsValidator.
func (DummyExecutor) ValidateParams(params json.RawMessage) error {
	_, err := ParseDummyParams(params)
	return err
}

// Run implements Executor.
func (DummyExecutor) Run(ctx context.Context, job Job, rep Reporter) (json.RawMessage, error) {
	p, err := ParseDummyParams(job.Params)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	step := time.Duration(p.DurationSeconds / float64(p.Steps) * float64(time.Second))
	rep.Progress(dummyProgress(0, p.Steps))
	for i := 1; i <= p.Steps; i++ {
		// Sleeping until an absolute deadline keeps many short steps from drifting.
		if err := sleepUntil(ctx, start.Add(time.Duration(i)*step)); err != nil {
			return nil, err
		}
		if i == p.FailAtStep {
			return nil, fmt.Errorf("dummy operation failed at step %d", i)
		}
		rep.Progress(dummyProgress(i, p.Steps))
	}
	elapsed := math.Round(time.Since(start).Seconds()*1000) / 1000
	return json.Marshal(DummyResult{StepsCompleted: p.Steps, DurationSeconds: elapsed})
}

// ParseDummyParams decodes and validates dummy params; absent fields take
// the defaults, an explicit zero duration stays zero.
func ParseDummyParams(raw json.RawMessage) (workerapi.DummyParams, error) {
	p := workerapi.DefaultDummyParams()
	if len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &p); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) && te.Field != "" {
				return p, &ParamError{Field: te.Field, Message: fmt.Sprintf("must be a JSON %s", te.Type)}
			}
			return p, &ParamError{Message: "not a JSON object: " + err.Error()}
		}
	}
	if field, problem := p.Validate(); field != "" {
		return p, &ParamError{Field: field, Message: problem}
	}
	return p, nil
}

func dummyProgress(i, n int) operations.Progress {
	return operations.Progress{
		Percentage:     float64(i) * 100 / float64(n),
		CurrentStep:    fmt.Sprintf("step %d/%d", i, n),
		StepsCompleted: i,
		StepsTotal:     n,
	}
}

// sleepUntil waits for t or ctx, whichever comes first; it returns ctx's
// error at once when cancelled, so a cancel never waits out a long step.
func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
