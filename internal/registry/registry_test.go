package registry

import (
	"errors"
	"testing"
	"time"

	"github.com/ktrdr/ktrdr/internal/workerapi"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTest(lostAfter time.Duration) (*Registry, *clock) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	r := New(lostAfter)
	r.now = c.now
	return r, c
}

func reg(t *testing.T, r *Registry, id, typ string) {
	t.Helper()
	if _, err := r.Register(workerapi.RegisterRequest{WorkerID: id, WorkerType: typ, EndpointURL: "http://127.0.0.1:1/"}); err != nil {
		t.Fatal(err)
	}
}

func TestRegisterValidates(t *testing.T) {
	r, _ := newTest(time.Second)
	for field, req := range map[string]workerapi.RegisterRequest{
		"worker_id":    {WorkerID: "a b", WorkerType: "training", EndpointURL: "http://x:1"},
		"worker_type":  {WorkerID: "a", WorkerType: "gpu", EndpointURL: "http://x:1"},
		"endpoint_url": {WorkerID: "a", WorkerType: "training", EndpointURL: "ftp://x"},
		"state":        {WorkerID: "a", WorkerType: "training", EndpointURL: "http://x:1", State: "sleepy"},
	} {
		_, err := r.Register(req)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("%s: got %v", field, err)
		}
	}
	if len(r.List()) != 0 {
		t.Error("a rejected registration was stored")
	}
}

func TestLeastRecentlyUsedSelection(t *testing.T) {
	r, c := newTest(time.Minute)
	for _, id := range []string{"w3", "w1", "w2"} {
		reg(t, r, id, "training")
	}
	reg(t, r, "b1", "backtest")
	order := func() []string {
		var ids []string
		for _, w := range r.Candidates("training") {
			ids = append(ids, w.ID)
		}
		return ids
	}
	if got := order(); len(got) != 3 || got[0] != "w1" || got[2] != "w3" {
		t.Fatalf("never-used workers by id: %v", got)
	}
	c.t = c.t.Add(time.Second)
	if !r.Claim("w1", "op1") || r.Claim("w1", "op2") {
		t.Fatal("claim must succeed once on an idle worker")
	}
	if got := order(); len(got) != 2 || got[0] != "w2" {
		t.Fatalf("busy worker still a candidate: %v", got)
	}
	c.t = c.t.Add(time.Second)
	r.Release("w1", "op1")
	if got := order(); got[len(got)-1] != "w1" {
		t.Fatalf("just-used worker must be last: %v", got)
	}
	select {
	case <-r.Freed():
	default:
		t.Error("release did not signal Freed")
	}
}

func TestHeartbeatsAndLost(t *testing.T) {
	r, c := newTest(5 * time.Second)
	reg(t, r, "w1", "training")
	if _, err := r.Heartbeat("nope", workerapi.Heartbeat{State: "idle"}); !errors.Is(err, ErrUnknown) {
		t.Fatalf("unknown worker: %v", err)
	}
	r.Claim("w1", "op1")
	c.t = c.t.Add(4 * time.Second)
	if _, err := r.Heartbeat("w1", workerapi.Heartbeat{State: "busy", CurrentOperationID: "op1"}); err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(4 * time.Second)
	if lost := r.SweepLost(); len(lost) != 0 {
		t.Fatalf("lost too early: %v", lost)
	}
	c.t = c.t.Add(2 * time.Second)
	lost := r.SweepLost()
	if len(lost) != 1 || lost[0].CurrentOperationID != "op1" {
		t.Fatalf("want w1 lost while running op1, got %+v", lost)
	}
	if len(r.SweepLost()) != 0 {
		t.Error("a worker is declared lost only once")
	}
	if _, err := r.Heartbeat("w1", workerapi.Heartbeat{State: "idle"}); !errors.Is(err, ErrUnknown) {
		t.Error("a lost worker must register again")
	}
	if len(r.Candidates("training")) != 0 {
		t.Error("a lost worker is not a candidate")
	}
	// Registering again (the backend restarted, or the worker came back) with its running op.
	if _, err := r.Register(workerapi.RegisterRequest{WorkerID: "w1", WorkerType: "training", EndpointURL: "http://x:1", State: "busy", CurrentOperationID: "op9"}); err != nil {
		t.Fatal(err)
	}
	if w, _ := r.Get("w1"); w.State != "busy" || w.CurrentOperationID != "op9" {
		t.Errorf("re-registration lost the running op: %+v", w)
	}
	if n := r.Counts()["training"]["busy"]; n != 1 {
		t.Errorf("counts: %v", r.Counts())
	}
}
