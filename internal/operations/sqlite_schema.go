package operations

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations[i] brings the schema from version i to i+1; the version lives
// in PRAGMA user_version. Append new steps, never edit applied ones.
var migrations = []string{
	// 1: operations and their metric records.
	`CREATE TABLE operations (
		seq                      INTEGER PRIMARY KEY AUTOINCREMENT, -- creation order
		id                       TEXT NOT NULL UNIQUE,
		type                     TEXT NOT NULL,
		status                   TEXT NOT NULL,
		worker_type              TEXT NOT NULL,
		created_at               TEXT NOT NULL, -- fixed-width RFC 3339 UTC, nanoseconds
		started_at               TEXT,
		completed_at             TEXT,
		progress_percentage      REAL NOT NULL,
		progress_current_step    TEXT NOT NULL,
		progress_steps_completed INTEGER NOT NULL,
		progress_steps_total     INTEGER NOT NULL,
		worker_id                TEXT NOT NULL,
		trace_id                 TEXT NOT NULL,
		trace_parent             TEXT NOT NULL,
		params                   TEXT, -- JSON, NULL when absent
		result                   TEXT, -- JSON, NULL when absent
		error                    TEXT,
		cancel_requested         INTEGER NOT NULL,
		attempts                 INTEGER NOT NULL
	) STRICT;
	CREATE INDEX operations_status ON operations (status, seq);
	CREATE INDEX operations_type ON operations (type, seq);
	CREATE INDEX operations_queue ON operations (worker_type, status, seq);
	CREATE TABLE metrics (
		operation_id TEXT NOT NULL REFERENCES operations (id) ON DELETE CASCADE,
		idx          INTEGER NOT NULL, -- 0, 1, 2… per operation
		record       TEXT NOT NULL,    -- JSON
		PRIMARY KEY (operation_id, idx)
	) STRICT, WITHOUT ROWID;`,
}

// migrate applies the missing migrations in one write transaction, so two
// processes opening a new file at once do not both create the schema.
func (s *SQLiteStore) migrate(ctx context.Context) error {
	return s.writeTx(ctx, func(tx *sql.Tx) error {
		var version int
		if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		if version > len(migrations) {
			return fmt.Errorf("schema version %d is newer than this program knows (%d)", version, len(migrations))
		}
		for i := version; i < len(migrations); i++ {
			if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
				return fmt.Errorf("migrate schema to version %d: %w", i+1, err)
			}
		}
		// PRAGMA takes no bound parameters; the value is an int we control.
		_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(migrations)))
		return err
	})
}
