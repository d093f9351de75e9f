package operations

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
)

// SQLiteStore is the default Store: one SQLite database file in WAL mode.
//
// It holds two connection pools. Writes go through a pool of exactly one
// connection: SQLite admits one writer at a time anyway, and queueing writers
// in database/sql (which honours contexts) instead of in SQLite's busy handler
// means writers of this process never see SQLITE_BUSY from each other. Reads
// go through a pool of several read-only connections: WAL gives each read a
// consistent snapshot without blocking on, or being blocked by, the writer.
// busy_timeout plus a retry loop cover the remaining cases (another process
// on the same file, e.g. a backend restarting while the old one drains, and
// WAL checkpoints).
type SQLiteStore struct {
	w      *sql.DB // single writer connection, BEGIN IMMEDIATE
	r      *sql.DB // read-only connections
	closed atomic.Bool
}

var _ Store = (*SQLiteStore)(nil)

const (
	busyTimeout  = 5 * time.Second
	retryMax     = 8
	retryBackoff = 10 * time.Millisecond
)

// OpenSQLite opens (creating the file, its directory and the schema if
// missing) the operations database at path.
func OpenSQLite(path string) (*SQLiteStore, error) {
	if path == "" {
		return nil, errors.New("operations: empty database path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("operations: database path: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return nil, fmt.Errorf("operations: create database directory: %w", err)
	}

	// synchronous=NORMAL is the usual WAL setting: a crash of the process
	// loses nothing, a power cut may lose the last commits but never
	// corrupts the file.
	pragmas := url.Values{"_pragma": {
		fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()),
		"foreign_keys(1)",
		"synchronous(NORMAL)",
	}}
	w, err := sql.Open("sqlite", dsn(abs, pragmas, url.Values{
		"_journal_mode": {"WAL"},
		// IMMEDIATE takes the write lock at BEGIN, where SQLite's busy
		// handler waits for it; a DEFERRED transaction that upgrades
		// from read to write fails at once with SQLITE_BUSY instead.
		"_txlock": {"immediate"},
	}))
	if err != nil {
		return nil, fmt.Errorf("operations: open %s: %w", abs, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)

	s := &SQLiteStore{w: w}
	// Migrate before the readers open: they rely on WAL being set in the file.
	if err := s.migrate(context.Background()); err != nil {
		w.Close()
		return nil, fmt.Errorf("operations: open %s: %w", abs, err)
	}
	r, err := sql.Open("sqlite", dsn(abs, pragmas, url.Values{"_query_only": {"1"}}))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("operations: open %s: %w", abs, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	s.r = r
	return s, nil
}

// dsn builds a file: URI, so that any character in path is escaped
// rather than taken for the start of the query.
func dsn(path string, sets ...url.Values) string {
	q := url.Values{}
	for _, set := range sets {
		for k, vs := range set {
			q[k] = append(q[k], vs...)
		}
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: q.Encode()}).String()
}

// Close closes the database; later calls fail.
func (s *SQLiteStore) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	// The writer last: closing the last connection checkpoints the WAL.
	return errors.Join(s.r.Close(), s.w.Close())
}

// isBusy reports a lock conflict worth retrying (SQLITE_BUSY, SQLITE_LOCKED
// and their extended codes such as SQLITE_BUSY_SNAPSHOT).
func isBusy(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	code := e.Code() & 0xff
	return code == 5 || code == 6
}

// fnError carries an error of the caller's Update function through retry
// untouched: it is never retried and is returned as is.
type fnError struct{ err error }

func (e fnError) Error() string { return e.err.Error() }

// retry runs f until it succeeds, fails with other than a lock conflict, the
// attempts run out or ctx is done. f must be a whole transaction.
func (s *SQLiteStore) retry(ctx context.Context, f func() error) error {
	if s.closed.Load() {
		return errClosed
	}
	wait := retryBackoff
	for attempt := 1; ; attempt++ {
		err := f()
		if err == nil || !isBusy(err) || attempt == retryMax {
			var fe fnError
			if errors.As(err, &fe) {
				return fe.err
			}
			return err
		}
		t := time.NewTimer(wait/2 + rand.N(wait))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		wait = min(2*wait, time.Second)
	}
}

// writeTx runs f in a write transaction (BEGIN IMMEDIATE), retried on lock
// conflicts, so f may run more than once.
func (s *SQLiteStore) writeTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	return s.retry(ctx, func() error { return inTx(ctx, s.w, nil, f) })
}

// readTx runs f in a read transaction: one consistent snapshot.
func (s *SQLiteStore) readTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	return s.retry(ctx, func() error { return inTx(ctx, s.r, &sql.TxOptions{ReadOnly: true}, f) })
}

func inTx(ctx context.Context, db *sql.DB, opts *sql.TxOptions, f func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	// Deferred so that a panic in f (the caller's Update function) does not
	// leave the single writer connection inside a transaction.
	done := false
	defer func() {
		if !done {
			_ = tx.Rollback()
		}
	}()
	if err := f(tx); err != nil {
		return err
	}
	done = true
	return tx.Commit()
}
