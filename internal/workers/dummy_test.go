package workers

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ktrdr/ktrdr/internal/operations"
)

type fakeReporter struct {
	mu       sync.Mutex
	progress []operations.Progress
}

func (f *fakeReporter) Progress(p operations.Progress) {
	f.mu.Lock()
	f.progress = append(f.progress, p)
	f.mu.Unlock()
}

func (f *fakeReporter) Metrics(...any) {}

func TestParseDummyParams(t *testing.T) {
	p, err := ParseDummyParams(nil)
	if err != nil || p.DurationSeconds != 5 || p.Steps != 10 || p.FailAtStep != 0 {
		t.Errorf("defaults: %+v %v", p, err)
	}
	p, err = ParseDummyParams(json.RawMessage(`{"duration_seconds":1.5,"steps":3,"fail_at_step":3,"worker_type":"backtest"}`))
	if err != nil || p.DurationSeconds != 1.5 || p.Steps != 3 || p.FailAtStep != 3 {
		t.Errorf("explicit: %+v %v", p, err)
	}
	for raw, field := range map[string]string{
		`{"duration_seconds":-1}`:          "duration_seconds",
		`{"duration_seconds":3601}`:        "duration_seconds",
		`{"steps":10001}`:                  "steps",
		`{"steps":-2}`:                     "steps",
		`{"fail_at_step":11}`:              "fail_at_step",
		`{"fail_at_step":-1}`:              "fail_at_step",
		`{"steps":true}`:                   "steps",
		`"five"`:                           "",
		`{"steps":2,"fail_at_step":3}`:     "fail_at_step",
		`{"duration_seconds":"ten","x":1}`: "duration_seconds",
	} {
		_, err := ParseDummyParams(json.RawMessage(raw))
		var pe *ParamError
		if !errors.As(err, &pe) || pe.Field != field {
			t.Errorf("%s: error %v, want a ParamError on %q", raw, err, field)
		}
	}
}

func TestDummyExecutorRunsAndFails(t *testing.T) {
	var rep fakeReporter
	out, err := DummyExecutor{}.Run(context.Background(), Job{Params: json.RawMessage(`{"duration_seconds":0.05,"steps":5}`)}, &rep)
	if err != nil {
		t.Fatal(err)
	}
	var res DummyResult
	if err := json.Unmarshal(out, &res); err != nil || res.StepsCompleted != 5 || res.DurationSeconds < 0.04 {
		t.Errorf("result %s %v", out, err)
	}
	if len(rep.progress) != 6 || rep.progress[5].CurrentStep != "step 5/5" || rep.progress[5].Percentage != 100 || rep.progress[0].StepsTotal != 5 {
		t.Errorf("progress = %+v", rep.progress)
	}

	rep = fakeReporter{}
	_, err = DummyExecutor{}.Run(context.Background(), Job{Params: json.RawMessage(`{"duration_seconds":0.05,"steps":5,"fail_at_step":2}`)}, &rep)
	if err == nil || err.Error() != "dummy operation failed at step 2" {
		t.Errorf("fail_at_step: %v", err)
	}
	if last := rep.progress[len(rep.progress)-1]; last.StepsCompleted != 1 {
		t.Errorf("progress before failing = %+v, want 1 step done", last)
	}
}

func TestDummyExecutorCancelsWithinAStep(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := DummyExecutor{}.Run(ctx, Job{Params: json.RawMessage(`{"duration_seconds":10,"steps":2}`)}, &fakeReporter{})
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	began := time.Now()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if d := time.Since(began); d > 100*time.Millisecond {
			t.Errorf("stopped %v after cancel, want < 100ms", d)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("dummy did not stop after cancel")
	}
}
