package operations

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// FuzzCreateGet: Create either refuses an operation (ErrInvalid) and stores
// nothing, or stores it so that Get gives back an equal one; and both stores
// decide alike.
func FuzzCreateGet(f *testing.F) {
	f.Add("op_training_20260101_120000_1a2b3c4d", "training", "running", "training", []byte(`{"a":[1,2]}`), []byte(`null`),
		true, "boom", "epoch 1/2", "00-abc-def-01", 42.5, 1, 2, 3, int64(1767225600), int64(5), int64(1767225601))
	f.Add("", "dummy", "pending", "", []byte(nil), []byte(nil), false, "", "", "", 0.0, 0, 0, 0, int64(1), int64(0), int64(0))
	f.Add("op_1", "dummy", "pending", "", []byte(`{"a":`), []byte(`{}`), false, "", "", "", 0.0, 0, 0, 0, int64(1), int64(0), int64(0))
	f.Add("op_2", "backtesting", "failed", "backtest", []byte(`"\xff"`), []byte(``), true, "a\x00b", "\xff", "", 100.0, 5, 5, 1, int64(-62135596800), int64(0), int64(253402300800))
	f.Add("op/3", "mining", "paused", "", []byte(`[]`), []byte(`1 2`), true, "", "", "", -1.0, -1, 0, -1, int64(0), int64(-1), int64(-1))

	ctx := context.Background()
	mem := NewMemoryStore()
	db, err := OpenSQLite(filepath.Join(f.TempDir(), "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	forget := map[Store]func(id string){
		mem: func(id string) {
			mem.mu.Lock()
			delete(mem.ops, id)
			mem.mu.Unlock()
		},
		db: func(id string) {
			if _, err := db.w.Exec(`DELETE FROM operations WHERE id = ?`, id); err != nil {
				f.Fatal(err)
			}
		},
	}

	f.Fuzz(func(t *testing.T, id, typ, status, workerType string, params, result []byte, hasError bool, errText, step, traceParent string,
		pct float64, done, total, attempts int, createdSec, nsec, startedSec int64) {
		op := &Operation{
			ID: id, Type: Type(typ), Status: Status(status), WorkerType: workerType,
			CreatedAt: time.Unix(createdSec, nsec),
			Progress:  Progress{Percentage: pct, CurrentStep: step, StepsCompleted: done, StepsTotal: total},
			WorkerID:  workerType + "-1", TraceID: traceParent, TraceParent: traceParent,
			Params: params, Result: result, Attempts: attempts,
		}
		if startedSec != 0 {
			started := time.Unix(startedSec, -nsec)
			op.StartedAt = &started
		}
		if hasError {
			op.Error = &errText
		}
		want := clone(op)

		var accepted []bool
		for _, s := range []Store{mem, db} {
			err := s.Create(ctx, op)
			got, getErr := s.Get(ctx, id)
			switch {
			case err != nil:
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("%T: create failed with other than ErrInvalid: %v", s, err)
				}
				if !errors.Is(getErr, ErrNotFound) {
					t.Fatalf("%T: refused create left something: %v, %v", s, got, getErr)
				}
			case getErr != nil:
				t.Fatalf("%T: get after create: %v", s, getErr)
			default:
				if !equal(got, want) {
					g, _ := json.Marshal(got)
					w, _ := json.Marshal(want)
					t.Fatalf("%T: round trip\n got %s\nwant %s", s, g, w)
				}
				forget[s](id)
			}
			accepted = append(accepted, err == nil)
		}
		if accepted[0] != accepted[1] {
			t.Fatalf("memory store accepted=%v, SQLite accepted=%v", accepted[0], accepted[1])
		}
		if !equal(op, want) {
			t.Fatal("Create modified its argument")
		}
	})
}
