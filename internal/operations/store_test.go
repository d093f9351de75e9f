package operations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// The contract every Store implementation must meet.

func TestMemoryStore(t *testing.T) {
	testStore(t, func(t *testing.T) Store {
		s := NewMemoryStore()
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestSQLiteStore(t *testing.T) {
	testStore(t, func(t *testing.T) Store { return openSQLite(t, filepath.Join(t.TempDir(), "ops.db")) })
}

func openSQLite(t testing.TB, path string) *SQLiteStore {
	t.Helper()
	s, err := OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)

// newOp returns a minimal valid operation; ids are unique per test.
func newOp(id string, typ Type, status Status, workerType string) *Operation {
	return &Operation{ID: id, Type: typ, Status: status, WorkerType: workerType, CreatedAt: t0}
}

// fullOp sets every field, with times in another zone.
func fullOp(id string) *Operation {
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	started := time.Date(2026, 1, 2, 9, 0, 0, 1, zone)
	completed := started.Add(1500 * time.Millisecond)
	msg := "boom: épоch 3 ✗"
	return &Operation{
		ID: id, Type: TypeTraining, Status: StatusRunning, WorkerType: "training",
		CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 999999999, zone),
		StartedAt: &started, CompletedAt: &completed,
		Progress: Progress{Percentage: 42.125, CurrentStep: "epoch 21/50", StepsCompleted: 21, StepsTotal: 50},
		WorkerID: "training-7f3a9c2e", TraceID: "0123456789abcdef0123456789abcdef",
		TraceParent: "00-0123456789abcdef0123456789abcdef-0123456789abcdef-01",
		Params:      json.RawMessage(`{"symbol": "EURUSD", "epochs": 50, "nested": [1, 2.5, null]}`),
		Result:      json.RawMessage(`{"accuracy":0.93}`),
		Error:       &msg, CancelRequested: true, Attempts: 2,
	}
}

func mustCreate(t testing.TB, s Store, op *Operation) {
	t.Helper()
	if err := s.Create(context.Background(), op); err != nil {
		t.Fatalf("create %s: %v", op.ID, err)
	}
}

func mustGet(t testing.TB, s Store, id string) *Operation {
	t.Helper()
	op, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	return op
}

// assertEqual compares got with want as a store gives it back (see clone).
func assertEqual(t testing.TB, got, want *Operation) {
	t.Helper()
	w := clone(want)
	if !equal(got, w) {
		g, _ := json.Marshal(got)
		e, _ := json.Marshal(w)
		t.Fatalf("operation differs\n got: %s %q\nwant: %s %q", g, got.TraceParent, e, w.TraceParent)
	}
	for _, tm := range []*time.Time{&got.CreatedAt, got.StartedAt, got.CompletedAt} {
		if tm != nil && tm.Location() != time.UTC {
			t.Fatalf("time %v not in UTC", tm)
		}
	}
}

func ids(ops []*Operation) []string {
	out := make([]string, len(ops))
	for i, op := range ops {
		out[i] = op.ID
	}
	return out
}

func assertIDs(t testing.TB, got []*Operation, want ...string) {
	t.Helper()
	if fmt.Sprint(ids(got)) != fmt.Sprint(want) {
		t.Fatalf("ids = %v, want %v", ids(got), want)
	}
}

func testStore(t *testing.T, open func(t *testing.T) Store) {
	ctx := context.Background()

	t.Run("RoundTrip", func(t *testing.T) {
		s := open(t)
		full := fullOp("op_full")
		now := time.Now() // with a monotonic reading
		full.StartedAt = &now
		mustCreate(t, s, full)
		got := mustGet(t, s, full.ID)
		assertEqual(t, got, full)
		if !got.CreatedAt.Equal(full.CreatedAt) || got.CreatedAt.Nanosecond() != 999999999 {
			t.Fatalf("created_at %v lost precision", got.CreatedAt)
		}

		minimal := newOp("op_min", TypeDummy, StatusPending, "")
		mustCreate(t, s, minimal)
		got = mustGet(t, s, minimal.ID)
		assertEqual(t, got, minimal)
		if got.Params != nil || got.Result != nil || got.Error != nil || got.StartedAt != nil || got.CompletedAt != nil {
			t.Fatalf("absent fields came back set: %+v", got)
		}

		// Empty JSON is absent; JSON null, {} and [] are values; "" is an error text.
		empty := ""
		op := newOp("op_json", TypeDummy, StatusPending, "")
		op.Params, op.Result, op.Error = json.RawMessage{}, json.RawMessage(`null`), &empty
		mustCreate(t, s, op)
		got = mustGet(t, s, op.ID)
		if got.Params != nil || string(got.Result) != "null" || got.Error == nil || *got.Error != "" {
			t.Fatalf("got params %q result %q error %v", got.Params, got.Result, got.Error)
		}
		for i, v := range []string{`{}`, `[]`, `""`, `0`, ` {"a" : [ ] } `} {
			op := newOp(fmt.Sprintf("op_json_%d", i), TypeDummy, StatusPending, "")
			op.Params = json.RawMessage(v)
			mustCreate(t, s, op)
			if got := mustGet(t, s, op.ID); string(got.Params) != v {
				t.Fatalf("params %q came back %q", v, got.Params)
			}
		}
	})

	t.Run("Copies", func(t *testing.T) {
		s := open(t)
		op := fullOp("op_copy")
		mustCreate(t, s, op)
		op.Params[2] = 'X'
		*op.Error = "changed"
		got := mustGet(t, s, "op_copy")
		assertEqual(t, got, fullOp("op_copy"))
		got.Params[2] = 'Y'
		*got.StartedAt = time.Time{}
		if again := mustGet(t, s, "op_copy"); again.Params[2] == 'Y' || again.StartedAt.IsZero() {
			t.Fatal("store shares memory with a returned operation")
		}
	})

	t.Run("Invalid", func(t *testing.T) {
		s := open(t)
		nan := 0.0
		nan /= nan
		bad := "\xff"
		cases := map[string]func(op *Operation){
			"empty id":       func(op *Operation) { op.ID = "" },
			"id with slash":  func(op *Operation) { op.ID = "op/1" },
			"id too long":    func(op *Operation) { op.ID = string(make([]byte, 200)) },
			"unknown type":   func(op *Operation) { op.Type = "mining" },
			"empty type":     func(op *Operation) { op.Type = "" },
			"unknown status": func(op *Operation) { op.Status = "paused" },
			"zero created":   func(op *Operation) { op.CreatedAt = time.Time{} },
			"year 10000":     func(op *Operation) { tm := t0.AddDate(8000, 0, 0); op.CompletedAt = &tm },
			"params":         func(op *Operation) { op.Params = json.RawMessage(`{"a":`) },
			"two values":     func(op *Operation) { op.Params = json.RawMessage(`1 2`) },
			"result":         func(op *Operation) { op.Result = json.RawMessage(`nope`) },
			"json not utf8":  func(op *Operation) { op.Result = json.RawMessage("\"\xff\"") },
			"nan percent":    func(op *Operation) { op.Progress.Percentage = nan },
			"percent > 100":  func(op *Operation) { op.Progress.Percentage = 100.5 },
			"negative steps": func(op *Operation) { op.Progress.StepsTotal = -1 },
			"negative tries": func(op *Operation) { op.Attempts = -1 },
			"error not utf8": func(op *Operation) { op.Error = &bad },
			"nul in step":    func(op *Operation) { op.Progress.CurrentStep = "a\x00b" },
		}
		for name, mutate := range cases {
			op := fullOp("op_invalid")
			mutate(op)
			err := s.Create(ctx, op)
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: err = %v, want ErrInvalid", name, err)
			}
			if _, err := s.Get(ctx, op.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("%s: get after rejected create: %v", name, err)
			}
		}
		if err := s.Create(ctx, nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("nil op: %v", err)
		}
		if _, total, err := s.List(ctx, Filter{}); err != nil || total != 0 {
			t.Fatalf("something was stored: total %d, err %v", total, err)
		}
	})

	t.Run("Exists", func(t *testing.T) {
		s := open(t)
		mustCreate(t, s, fullOp("op_1"))
		dup := newOp("op_1", TypeDummy, StatusPending, "")
		if err := s.Create(ctx, dup); !errors.Is(err, ErrExists) {
			t.Fatalf("err = %v, want ErrExists", err)
		}
		assertEqual(t, mustGet(t, s, "op_1"), fullOp("op_1"))
	})

	t.Run("NotFound", func(t *testing.T) {
		s := open(t)
		if _, err := s.Get(ctx, "op_nope"); !errors.Is(err, ErrNotFound) {
			t.Errorf("get: %v", err)
		}
		if _, err := s.Update(ctx, "op_nope", func(*Operation) error { return nil }); !errors.Is(err, ErrNotFound) {
			t.Errorf("update: %v", err)
		}
		if err := s.AppendMetrics(ctx, "op_nope", []json.RawMessage{json.RawMessage(`1`)}); !errors.Is(err, ErrNotFound) {
			t.Errorf("append metrics: %v", err)
		}
		if err := s.AppendMetrics(ctx, "op_nope", nil); !errors.Is(err, ErrNotFound) {
			t.Errorf("append no metrics: %v", err)
		}
		if _, _, err := s.Metrics(ctx, "op_nope", 0); !errors.Is(err, ErrNotFound) {
			t.Errorf("metrics: %v", err)
		}
	})

	t.Run("List", func(t *testing.T) { testList(t, open(t)) })
	t.Run("ListLimits", func(t *testing.T) { testListLimits(t, open(t)) })
	t.Run("Pending", func(t *testing.T) { testPending(t, open(t)) })
	t.Run("Transitions", func(t *testing.T) { testTransitions(t, open(t)) })
	t.Run("UpdateRules", func(t *testing.T) { testUpdateRules(t, open(t)) })
	t.Run("ConcurrentUpdates", func(t *testing.T) { testConcurrentUpdates(t, open(t)) })
	t.Run("ConcurrentMixed", func(t *testing.T) { testConcurrentMixed(t, open(t)) })
	t.Run("Metrics", func(t *testing.T) { testMetrics(t, open(t)) })
	t.Run("CountByStatus", func(t *testing.T) { testCountByStatus(t, open(t)) })

	t.Run("ContextAndClose", func(t *testing.T) {
		s := open(t)
		mustCreate(t, s, newOp("op_1", TypeDummy, StatusPending, ""))
		done, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.Get(done, "op_1"); err == nil {
			t.Error("get with a cancelled context succeeded")
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, "op_1"); err == nil {
			t.Error("get after close succeeded")
		}
		if err := s.Create(ctx, newOp("op_2", TypeDummy, StatusPending, "")); err == nil {
			t.Error("create after close succeeded")
		}
	})
}

func testList(t *testing.T, s Store) {
	ctx := context.Background()
	types := []Type{TypeTraining, TypeBacktesting, TypeDataLoad}
	statuses := []Status{StatusPending, StatusRunning, StatusCompleted, StatusFailed}
	var all []string // creation order
	for i := range 24 {
		op := newOp(fmt.Sprintf("op_%02d", i), types[i%3], statuses[i%4], "training")
		op.CreatedAt = t0 // same timestamp for all: order must come from creation order
		mustCreate(t, s, op)
		all = append([]string{op.ID}, all...)
	}
	ops, total, err := s.List(ctx, Filter{})
	if err != nil || total != 24 {
		t.Fatalf("total %d, err %v", total, err)
	}
	assertIDs(t, ops, all...)

	ops, total, err = s.List(ctx, Filter{Limit: 5, Offset: 20})
	if err != nil || total != 24 {
		t.Fatalf("total %d, err %v", total, err)
	}
	assertIDs(t, ops, all[20:]...)

	ops, total, err = s.List(ctx, Filter{Limit: 5, Offset: 100})
	if err != nil || total != 24 || len(ops) != 0 {
		t.Fatalf("past the end: %v, total %d, err %v", ids(ops), total, err)
	}

	// i%3==0 (training) and i%4==1 (running): i = 9, 21.
	ops, total, err = s.List(ctx, Filter{Type: TypeTraining, Status: StatusRunning})
	if err != nil || total != 2 {
		t.Fatalf("total %d, err %v", total, err)
	}
	assertIDs(t, ops, "op_21", "op_09")

	ops, total, err = s.List(ctx, Filter{Status: StatusCompleted, Limit: 2, Offset: 1})
	if err != nil || total != 6 {
		t.Fatalf("total %d, err %v", total, err)
	}
	assertIDs(t, ops, "op_18", "op_14")

	ops, total, err = s.List(ctx, Filter{Type: TypeDataLoad})
	if err != nil || total != 8 || len(ops) != 8 {
		t.Fatalf("data_load: %d of %d, err %v", len(ops), total, err)
	}

	for _, f := range []Filter{{Offset: -1}, {Limit: -1}, {Status: "paused"}, {Type: "mining"}} {
		if _, _, err := s.List(ctx, f); !errors.Is(err, ErrInvalid) {
			t.Errorf("filter %+v: err = %v, want ErrInvalid", f, err)
		}
	}
}

func testListLimits(t *testing.T, s Store) {
	ctx := context.Background()
	for i := range MaxLimit + 1 {
		mustCreate(t, s, newOp(fmt.Sprintf("op_%04d", i), TypeDummy, StatusPending, ""))
	}
	for limit, want := range map[int]int{0: DefaultLimit, 7: 7, MaxLimit: MaxLimit, MaxLimit + 500: MaxLimit} {
		ops, total, err := s.List(ctx, Filter{Limit: limit})
		if err != nil || total != MaxLimit+1 || len(ops) != want {
			t.Errorf("limit %d: got %d of %d, err %v; want %d", limit, len(ops), total, err, want)
		}
		pending, err := s.Pending(ctx, "", limit)
		if err != nil || len(pending) != want {
			t.Errorf("pending limit %d: got %d, err %v; want %d", limit, len(pending), err, want)
		}
	}
	if _, err := s.Pending(ctx, "", -1); !errors.Is(err, ErrInvalid) {
		t.Errorf("pending limit -1: %v", err)
	}
}

func testPending(t *testing.T, s Store) {
	ctx := context.Background()
	for i, wt := range []string{"training", "backtest", "training", "backtest", "training"} {
		op := newOp(fmt.Sprintf("op_%d", i), TypeDummy, StatusPending, wt)
		// Later creations carry earlier timestamps: order must come from creation order.
		op.CreatedAt = t0.Add(-time.Duration(i) * time.Minute)
		mustCreate(t, s, op)
	}
	mustCreate(t, s, newOp("op_running", TypeDummy, StatusRunning, "training"))

	pending := func(wt string, limit int, want ...string) {
		t.Helper()
		ops, err := s.Pending(ctx, wt, limit)
		if err != nil {
			t.Fatal(err)
		}
		assertIDs(t, ops, want...)
	}
	pending("training", 0, "op_0", "op_2", "op_4")
	pending("backtest", 0, "op_1", "op_3")
	pending("", 3, "op_0", "op_1", "op_2")
	pending("nobody", 0)

	setStatus(t, s, "op_0", StatusRunning)
	pending("training", 0, "op_2", "op_4")
	// Re-queued after its worker was lost: back at its original place.
	setStatus(t, s, "op_0", StatusPending)
	pending("training", 1, "op_0")
	setStatus(t, s, "op_2", StatusCancelled)
	pending("training", 0, "op_0", "op_4")
}

func setStatus(t testing.TB, s Store, id string, st Status) *Operation {
	t.Helper()
	op, err := s.Update(context.Background(), id, func(op *Operation) error {
		op.Status = st
		return nil
	})
	if err != nil {
		t.Fatalf("%s → %s: %v", id, st, err)
	}
	return op
}

var allStatuses = []Status{StatusPending, StatusRunning, StatusCompleted, StatusFailed, StatusCancelled}

func testTransitions(t *testing.T, s Store) {
	ctx := context.Background()
	for _, from := range allStatuses {
		for _, to := range allStatuses {
			id := fmt.Sprintf("op_%s_%s", from, to)
			created := newOp(id, TypeTraining, from, "training")
			mustCreate(t, s, created)
			got, err := s.Update(ctx, id, func(op *Operation) error {
				op.Status = to
				op.Progress.CurrentStep = "moved"
				return nil
			})
			changes := from != to || !from.Terminal()
			want := CheckTransition(from, to)
			switch {
			case want == nil && (from == to && from.Terminal()):
				// Same terminal status, but the record changed: refused.
				if !errors.Is(err, ErrTransition) {
					t.Errorf("%s → %s with a change: err = %v, want ErrTransition", from, to, err)
				}
				assertEqual(t, mustGet(t, s, id), created)
			case want == nil && changes:
				if err != nil {
					t.Errorf("%s → %s: %v", from, to, err)
					continue
				}
				if got.Status != to || got.Progress.CurrentStep != "moved" {
					t.Errorf("%s → %s: returned %+v", from, to, got)
				}
				assertEqual(t, mustGet(t, s, id), got)
			default:
				if !errors.Is(err, ErrTransition) || got != nil {
					t.Errorf("%s → %s: err = %v, op %v, want ErrTransition", from, to, err, got)
				}
				assertEqual(t, mustGet(t, s, id), created)
			}
		}
	}

	// A terminal operation accepts an update that changes nothing.
	op := newOp("op_done", TypeTraining, StatusCompleted, "training")
	mustCreate(t, s, op)
	got, err := s.Update(ctx, "op_done", func(*Operation) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, got, op)
}

func testUpdateRules(t *testing.T, s Store) {
	ctx := context.Background()
	orig := fullOp("op_1")
	mustCreate(t, s, orig)

	errStop := errors.New("stop")
	_, err := s.Update(ctx, "op_1", func(op *Operation) error {
		op.Attempts = 99
		op.Status = StatusCompleted
		return errStop
	})
	if err != errStop {
		t.Fatalf("fn error came back as %v, want it as is", err)
	}
	wrapped := fmt.Errorf("wrapped: %w", context.Canceled)
	if _, err := s.Update(ctx, "op_1", func(*Operation) error { return wrapped }); !errors.Is(err, context.Canceled) {
		t.Fatalf("errors.Is lost: %v", err)
	}
	assertEqual(t, mustGet(t, s, "op_1"), orig)

	for name, mutate := range map[string]func(op *Operation){
		"id":         func(op *Operation) { op.ID = "op_2" },
		"type":       func(op *Operation) { op.Type = TypeBacktesting },
		"created_at": func(op *Operation) { op.CreatedAt = op.CreatedAt.Add(time.Nanosecond) },
		"invalid":    func(op *Operation) { op.Progress.Percentage = 101 },
		"bad json":   func(op *Operation) { op.Result = json.RawMessage(`{`) },
	} {
		_, err := s.Update(ctx, "op_1", func(op *Operation) error { mutate(op); return nil })
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("changing %s: err = %v, want ErrInvalid", name, err)
		}
		assertEqual(t, mustGet(t, s, "op_1"), orig)
	}
	if _, err := s.Get(ctx, "op_2"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("renamed copy stored: %v", err)
	}

	// The created_at check compares instants, not representations.
	if _, err := s.Update(ctx, "op_1", func(op *Operation) error {
		op.CreatedAt = op.CreatedAt.In(time.FixedZone("X", -3600))
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	// Every field but id, type and created_at can be written, including back to nil.
	want := newOp("op_1", orig.Type, StatusCompleted, "backtest")
	want.CreatedAt = orig.CreatedAt
	want.Result = json.RawMessage(`{"ok":true}`)
	got, err := s.Update(ctx, "op_1", func(op *Operation) error {
		*op = *clone(want)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, got, want)
	assertEqual(t, mustGet(t, s, "op_1"), want)
}

func testConcurrentUpdates(t *testing.T, s Store) {
	ctx := context.Background()
	mustCreate(t, s, newOp("op_1", TypeTraining, StatusRunning, "training"))
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := s.Update(ctx, "op_1", func(op *Operation) error {
				op.Attempts++
				return nil
			})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := mustGet(t, s, "op_1").Attempts; got != n {
		t.Fatalf("attempts = %d, want %d", got, n)
	}
}

func testConcurrentMixed(t *testing.T, s Store) {
	ctx := context.Background()
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*4)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				id := fmt.Sprintf("op_%d_%d", w, i)
				if err := s.Create(ctx, newOp(id, TypeDummy, StatusPending, "training")); err != nil {
					errs <- err
					continue
				}
				if _, err := s.Update(ctx, id, func(op *Operation) error {
					op.Status = StatusRunning
					return nil
				}); err != nil {
					errs <- err
				}
				if err := s.AppendMetrics(ctx, id, []json.RawMessage{json.RawMessage(`{"i":1}`)}); err != nil {
					errs <- err
				}
				if _, err := s.Get(ctx, id); err != nil {
					errs <- err
				}
				if _, _, err := s.List(ctx, Filter{Limit: 10}); err != nil {
					errs <- err
				}
				if _, err := s.Pending(ctx, "training", 5); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	counts, err := s.CountByStatus(ctx)
	if err != nil || counts[TypeDummy][StatusRunning] != workers*each {
		t.Fatalf("counts %v, err %v", counts, err)
	}
}

func testMetrics(t *testing.T, s Store) {
	ctx := context.Background()
	mustCreate(t, s, newOp("op_1", TypeTraining, StatusRunning, "training"))
	mustCreate(t, s, newOp("op_2", TypeTraining, StatusRunning, "training"))
	rec := func(vs ...string) []json.RawMessage {
		out := make([]json.RawMessage, len(vs))
		for i, v := range vs {
			out[i] = json.RawMessage(v)
		}
		return out
	}
	check := func(id string, cursor int, wantNext int, want ...string) {
		t.Helper()
		got, next, err := s.Metrics(ctx, id, cursor)
		if err != nil {
			t.Fatal(err)
		}
		if next != wantNext || fmt.Sprintf("%s", got) != fmt.Sprintf("%s", rec(want...)) {
			t.Fatalf("Metrics(%s, %d) = %s, %d; want %s, %d", id, cursor, got, next, want, wantNext)
		}
	}
	check("op_1", 0, 0)
	if err := s.AppendMetrics(ctx, "op_1", rec(`{"epoch":1}`, `{"epoch":2}`, `{"epoch":3}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendMetrics(ctx, "op_2", rec(`"other"`)); err != nil {
		t.Fatal(err)
	}
	check("op_1", 0, 3, `{"epoch":1}`, `{"epoch":2}`, `{"epoch":3}`)
	if err := s.AppendMetrics(ctx, "op_1", rec(`{"epoch":4}`, `{"epoch": 5}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendMetrics(ctx, "op_1", nil); err != nil {
		t.Fatal(err)
	}
	check("op_1", 3, 5, `{"epoch":4}`, `{"epoch": 5}`)
	check("op_1", 5, 5)
	check("op_1", 9, 5)
	check("op_2", 0, 1, `"other"`)

	// A bad record rejects the whole batch.
	for _, bad := range [][]json.RawMessage{rec(`{"epoch":6}`, `{`), rec(`{"epoch":6}`, ``), {nil}} {
		if err := s.AppendMetrics(ctx, "op_1", bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("append %q: err = %v, want ErrInvalid", bad, err)
		}
	}
	check("op_1", 4, 5, `{"epoch": 5}`)
	if _, _, err := s.Metrics(ctx, "op_1", -1); !errors.Is(err, ErrInvalid) {
		t.Errorf("cursor -1: %v", err)
	}

	// Metrics outlive the end of the operation.
	setStatus(t, s, "op_1", StatusCompleted)
	if err := s.AppendMetrics(ctx, "op_1", rec(`6`)); err != nil {
		t.Fatal(err)
	}
	check("op_1", 5, 6, `6`)
}

func testCountByStatus(t *testing.T, s Store) {
	ctx := context.Background()
	counts, err := s.CountByStatus(ctx)
	if err != nil || len(counts) != 0 {
		t.Fatalf("empty store: %v, %v", counts, err)
	}
	for i, c := range []struct {
		typ Type
		st  Status
	}{
		{TypeTraining, StatusPending}, {TypeTraining, StatusPending}, {TypeTraining, StatusRunning},
		{TypeBacktesting, StatusCompleted}, {TypeDataLoad, StatusFailed}, {TypeDataLoad, StatusFailed},
		{TypeDataLoad, StatusFailed}, {TypeDummy, StatusCancelled},
	} {
		mustCreate(t, s, newOp(fmt.Sprintf("op_%d", i), c.typ, c.st, ""))
	}
	counts, err = s.CountByStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[Type]map[Status]int{
		TypeTraining:    {StatusPending: 2, StatusRunning: 1},
		TypeBacktesting: {StatusCompleted: 1},
		TypeDataLoad:    {StatusFailed: 3},
		TypeDummy:       {StatusCancelled: 1},
	}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Fatalf("counts = %v, want %v", counts, want)
	}
}
