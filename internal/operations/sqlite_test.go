package operations

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// SQLite-specific behaviour: the file outlives the process.

func TestSQLiteSchema(t *testing.T) {
	ctx := context.Background()
	// Missing parent directories, and characters that mean something in a URI.
	path := filepath.Join(t.TempDir(), "a", "b c", "ops?x=1#frag%20.db")
	s := openSQLite(t, path)
	mustCreate(t, s, newOp("op_1", TypeDummy, StatusPending, ""))
	var version int
	var journal string
	var fk int
	if err := s.w.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil || version != len(migrations) {
		t.Fatalf("user_version %d, err %v", version, err)
	}
	if err := s.r.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&journal); err != nil || journal != "wal" {
		t.Fatalf("journal_mode %q, err %v", journal, err)
	}
	if err := s.w.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign_keys %d, err %v", fk, err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not at the literal path: %v", err)
	}
	// Readers cannot write, even by mistake.
	if _, err := s.r.ExecContext(ctx, "DELETE FROM operations"); err == nil {
		t.Fatal("write through a reader connection succeeded")
	}
	s.Close()

	// Reopening is idempotent and keeps the data.
	s = openSQLite(t, path)
	mustGet(t, s, "op_1")
	// A file from a newer program is refused rather than misread.
	if _, err := s.w.ExecContext(ctx, "PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := OpenSQLite(path); err == nil {
		s.Close()
		t.Fatal("opened a database with a newer schema version")
	}
	if _, err := OpenSQLite(""); err == nil {
		t.Fatal("opened an empty path")
	}
}

// The backend restarted: a running operation, its metrics and the queue survive.
func TestSQLiteReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ops.db")
	s := openSQLite(t, path)
	running := fullOp("op_running")
	running.CompletedAt, running.Error, running.Result = nil, nil, nil
	mustCreate(t, s, running)
	records := []json.RawMessage{json.RawMessage(`{"epoch":1,"loss":0.5}`), json.RawMessage(`{"epoch":2,"loss":0.25}`)}
	if err := s.AppendMetrics(ctx, running.ID, records); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		mustCreate(t, s, newOp(fmt.Sprintf("op_q%d", i), TypeTraining, StatusPending, "training"))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openSQLite(t, path)
	assertEqual(t, mustGet(t, s, running.ID), running)
	got, next, err := s.Metrics(ctx, running.ID, 1)
	if err != nil || next != 2 || len(got) != 1 || string(got[0]) != string(records[1]) {
		t.Fatalf("metrics after reopen: %s, %d, %v", got, next, err)
	}
	mustCreate(t, s, newOp("op_q3", TypeTraining, StatusPending, "training"))
	queue, err := s.Pending(ctx, "training", 0)
	if err != nil {
		t.Fatal(err)
	}
	assertIDs(t, queue, "op_q0", "op_q1", "op_q2", "op_q3")
	ops, _, err := s.List(ctx, Filter{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	assertIDs(t, ops, "op_q3", "op_q2")
	if err := s.AppendMetrics(ctx, running.ID, records[:1]); err != nil {
		t.Fatal(err)
	}
	if _, next, _ := s.Metrics(ctx, running.ID, 0); next != 3 {
		t.Fatalf("cursor after append on reopened store: %d", next)
	}
}

func TestSQLiteConcurrentCreate(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t, filepath.Join(t.TempDir(), "ops.db"))
	const workers, each = 8, 125
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				op := fullOp(fmt.Sprintf("op_%d_%03d", w, i))
				op.Attempts = w*each + i
				errs <- s.Create(ctx, op)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for w := range workers {
		for i := range each {
			if got := mustGet(t, s, fmt.Sprintf("op_%d_%03d", w, i)); got.Attempts != w*each+i {
				t.Fatalf("%s: attempts %d", got.ID, got.Attempts)
			}
		}
	}
	ops, total, err := s.List(ctx, Filter{Limit: MaxLimit})
	if err != nil || total != workers*each || len(ops) != workers*each {
		t.Fatalf("list: %d of %d, %v", len(ops), total, err)
	}
}

// Two stores on one file, as when a new backend starts while the old one
// still drains: writers in both see no lock errors.
func TestSQLiteTwoStores(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ops.db")
	a, b := openSQLite(t, path), openSQLite(t, path)
	mustCreate(t, a, newOp("op_shared", TypeTraining, StatusRunning, "training"))
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for i, s := range []Store{a, b, a, b} {
		wg.Go(func() {
			for j := range 50 {
				id := fmt.Sprintf("op_%d_%d", i, j)
				if err := s.Create(ctx, newOp(id, TypeDummy, StatusPending, "")); err != nil {
					errs <- err
				}
				if _, err := s.Update(ctx, "op_shared", func(op *Operation) error { op.Attempts++; return nil }); err != nil {
					errs <- err
				}
				if err := s.AppendMetrics(ctx, "op_shared", []json.RawMessage{json.RawMessage(strconv.Itoa(j))}); err != nil {
					errs <- err
				}
				if _, _, err := s.List(ctx, Filter{Limit: 5}); err != nil {
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
	if got := mustGet(t, b, "op_shared").Attempts; got != 200 {
		t.Fatalf("attempts = %d, want 200", got)
	}
	if _, next, err := a.Metrics(ctx, "op_shared", 0); err != nil || next != 200 {
		t.Fatalf("metrics cursor %d, %v", next, err)
	}
}

// writeLoop is the workload the restart tests interrupt. Each operation is
// created, updated three times and given two metric records; every step
// that returned without error is reported through ack.
func writeLoop(ctx context.Context, s Store, worker int, ack func(id string, attempts int)) error {
	for i := 0; ; i++ {
		id := fmt.Sprintf("op_%d_%d", worker, i)
		op := fullOp(id)
		op.Attempts = 0
		if err := s.Create(ctx, op); err != nil {
			return err
		}
		ack(id, 0)
		for k := 1; k <= 3; k++ {
			if _, err := s.Update(ctx, id, func(op *Operation) error { op.Attempts = k; return nil }); err != nil {
				return err
			}
			ack(id, k)
		}
		err := s.AppendMetrics(ctx, id, []json.RawMessage{json.RawMessage(`{"a":1}`), json.RawMessage(`{"b":2}`)})
		if err != nil {
			return err
		}
	}
}

// checkAfterRestart verifies the file a writeLoop was interrupted on: the
// file is sound, every row reads back valid, every acknowledged write is
// there, and metric batches are whole.
func checkAfterRestart(t *testing.T, path string, acked map[string]int) {
	t.Helper()
	ctx := context.Background()
	s := openSQLite(t, path)
	var check string
	if err := s.r.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %q, %v", check, err)
	}
	ops, total, err := s.List(ctx, Filter{Limit: MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	if total > MaxLimit {
		t.Fatalf("test wrote too much to check in one page: %d", total)
	}
	for _, op := range ops {
		if err := validate(op); err != nil {
			t.Fatalf("corrupt row: %v", err)
		}
		want := fullOp(op.ID)
		want.Attempts = op.Attempts
		assertEqual(t, op, want)
		if _, n, err := s.Metrics(ctx, op.ID, 0); err != nil || n != 0 && n != 2 {
			t.Fatalf("%s: %d metric records, %v", op.ID, n, err)
		}
	}
	for id, attempts := range acked {
		op, err := s.Get(ctx, id)
		if err != nil {
			t.Fatalf("acknowledged %s lost: %v", id, err)
		}
		if op.Attempts < attempts {
			t.Fatalf("%s: attempts %d, acknowledged %d", id, op.Attempts, attempts)
		}
	}
	if len(acked) == 0 {
		t.Fatal("nothing was written before the restart")
	}
	t.Logf("%d operations, %d acknowledged", total, len(acked))
}

// The store is closed while writers are mid-transaction.
func TestSQLiteCloseMidWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ops.db")
	s, err := OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu      sync.Mutex
		acked   = map[string]int{}
		closing atomic.Bool
		wg      sync.WaitGroup
	)
	for w := range 8 {
		wg.Go(func() {
			err := writeLoop(context.Background(), s, w, func(id string, n int) {
				mu.Lock()
				acked[id] = n
				mu.Unlock()
			})
			if !closing.Load() {
				t.Errorf("writer %d failed before close: %v", w, err)
			}
		})
	}
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 40 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	closing.Store(true)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	checkAfterRestart(t, path, acked)
}

// The backend process is killed (SIGKILL) while it writes.
func TestSQLiteKilledMidWrite(t *testing.T) {
	if path := os.Getenv("OPERATIONS_TEST_KILL_WRITER"); path != "" {
		killedWriter(path)
		return
	}
	if testing.Short() {
		t.Skip("starts a subprocess")
	}
	path := filepath.Join(t.TempDir(), "ops.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestSQLiteKilledMidWrite$")
	cmd.Env = append(os.Environ(), "OPERATIONS_TEST_KILL_WRITER="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[string]int{}
	lines := bufio.NewScanner(out)
	for lines.Scan() && len(acked) < 100 {
		if id, n, ok := strings.Cut(lines.Text(), " "); ok && strings.HasPrefix(id, "op_") {
			acked[id], _ = strconv.Atoi(n)
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	checkAfterRestart(t, path, acked)
}

// killedWriter runs in the subprocess until it is killed, acknowledging
// each durable step on stdout.
func killedWriter(path string) {
	s, err := OpenSQLite(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var mu sync.Mutex
	ack := func(id string, n int) {
		mu.Lock()
		fmt.Printf("%s %d\n", id, n)
		mu.Unlock()
	}
	for w := range 4 {
		go func() {
			if err := writeLoop(context.Background(), s, w, ack); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}()
	}
	select {}
}

// A write lock held by another connection (another process, in real life):
// the store waits for it instead of failing, and lock errors are recognised
// for the retry loop.
func TestSQLiteLockedByOther(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ops.db")
	s := openSQLite(t, path)
	other, err := sql.Open("sqlite", dsn(path, url.Values{"_txlock": {"immediate"}, "_pragma": {"busy_timeout(0)"}}))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.SetMaxOpenConns(2)

	tx, err := other.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, lockErr := other.BeginTx(ctx, nil)
	if !isBusy(lockErr) {
		t.Fatalf("second writer: %v, want a lock error", lockErr)
	}
	if isBusy(errors.New("database is locked")) || isBusy(nil) {
		t.Fatal("isBusy matched a non-SQLite error")
	}

	// retry retries lock errors only, and hands back fn errors untouched.
	calls := 0
	if err := s.retry(ctx, func() error {
		if calls++; calls < 3 {
			return lockErr
		}
		return nil
	}); err != nil || calls != 3 {
		t.Fatalf("retry: %v after %d calls", err, calls)
	}
	errFn := errors.New("fn")
	calls = 0
	if err := s.retry(ctx, func() error { calls++; return fnError{errFn} }); err != errFn || calls != 1 {
		t.Fatalf("retry of fn error: %v after %d calls", err, calls)
	}

	go func() {
		time.Sleep(200 * time.Millisecond)
		tx.Rollback()
	}()
	start := time.Now()
	mustCreate(t, s, newOp("op_1", TypeDummy, StatusPending, ""))
	if _, err := s.Update(ctx, "op_1", func(op *Operation) error { op.Attempts = 1; return nil }); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < 150*time.Millisecond {
		t.Fatalf("create did not wait for the lock (%v)", waited)
	}
}
