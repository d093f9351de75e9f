package operations

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// timeLayout is fixed width (all nine fraction digits), so the text sorts
// in time order and round-trips to the nanosecond.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

const columns = `id, type, status, worker_type, created_at, started_at, completed_at,
	progress_percentage, progress_current_step, progress_steps_completed, progress_steps_total,
	worker_id, trace_id, trace_parent, params, result, error, cancel_requested, attempts`

var (
	insertSQL = `INSERT INTO operations (` + columns + `) VALUES (?` + strings.Repeat(", ?", 18) + `)
		ON CONFLICT (id) DO NOTHING`
	updateSQL = `UPDATE operations SET ` + strings.ReplaceAll(columns, ",", " = ?,") + ` = ? WHERE id = ?`
)

// args returns op's values in the order of columns.
func args(op *Operation) []any {
	return []any{
		op.ID, string(op.Type), string(op.Status), op.WorkerType, op.CreatedAt.UTC().Format(timeLayout),
		nullTime(op.StartedAt), nullTime(op.CompletedAt),
		op.Progress.Percentage, op.Progress.CurrentStep, op.Progress.StepsCompleted, op.Progress.StepsTotal,
		op.WorkerID, op.TraceID, op.TraceParent, nullJSON(op.Params), nullJSON(op.Result),
		op.Error, op.CancelRequested, op.Attempts,
	}
}

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC().Format(timeLayout)
}

// nullJSON binds JSON as text (not a blob) and absent JSON as NULL.
func nullJSON(m json.RawMessage) any {
	if len(m) == 0 {
		return nil
	}
	return string(m)
}

type scanner interface{ Scan(dest ...any) error }

func scanOp(row scanner) (*Operation, error) {
	var (
		op                      Operation
		typ, status, created    string
		started, completed      sql.NullString
		params, result, errText sql.NullString
	)
	err := row.Scan(&op.ID, &typ, &status, &op.WorkerType, &created, &started, &completed,
		&op.Progress.Percentage, &op.Progress.CurrentStep, &op.Progress.StepsCompleted, &op.Progress.StepsTotal,
		&op.WorkerID, &op.TraceID, &op.TraceParent, &params, &result, &errText, &op.CancelRequested, &op.Attempts)
	if err != nil {
		return nil, err
	}
	op.Type, op.Status = Type(typ), Status(status)
	if op.CreatedAt, err = time.Parse(timeLayout, created); err != nil {
		return nil, fmt.Errorf("operation %s: created_at: %w", op.ID, err)
	}
	if op.StartedAt, err = parseNullTime(started); err != nil {
		return nil, fmt.Errorf("operation %s: started_at: %w", op.ID, err)
	}
	if op.CompletedAt, err = parseNullTime(completed); err != nil {
		return nil, fmt.Errorf("operation %s: completed_at: %w", op.ID, err)
	}
	if params.Valid {
		op.Params = json.RawMessage(params.String)
	}
	if result.Valid {
		op.Result = json.RawMessage(result.String)
	}
	if errText.Valid {
		op.Error = &errText.String
	}
	return &op, nil
}

func parseNullTime(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := time.Parse(timeLayout, s.String)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

func scanOps(rows *sql.Rows) ([]*Operation, error) {
	defer rows.Close()
	var ops []*Operation
	for rows.Next() {
		op, err := scanOp(rows)
		if err != nil {
			return nil, err
		}
		ops = append(ops, op)
	}
	return ops, rows.Err()
}

// Create implements Store.
func (s *SQLiteStore) Create(ctx context.Context, op *Operation) error {
	if err := validate(op); err != nil {
		return err
	}
	return s.retry(ctx, func() error {
		res, err := s.w.ExecContext(ctx, insertSQL, args(op)...)
		if err != nil {
			return fmt.Errorf("operations: create %s: %w", op.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("%w: %s", ErrExists, op.ID)
		}
		return nil
	})
}

func getOp(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, id string) (*Operation, error) {
	op, err := scanOp(q.QueryRowContext(ctx, `SELECT `+columns+` FROM operations WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return op, err
}

// Get implements Store.
func (s *SQLiteStore) Get(ctx context.Context, id string) (*Operation, error) {
	var op *Operation
	err := s.retry(ctx, func() (err error) {
		op, err = getOp(ctx, s.r, id)
		return err
	})
	return op, err
}

// List implements Store.
func (s *SQLiteStore) List(ctx context.Context, f Filter) ([]*Operation, int, error) {
	limit, err := checkFilter(f)
	if err != nil {
		return nil, 0, err
	}
	where, wargs := "1", []any{}
	if f.Status != "" {
		where += " AND status = ?"
		wargs = append(wargs, string(f.Status))
	}
	if f.Type != "" {
		where += " AND type = ?"
		wargs = append(wargs, string(f.Type))
	}
	var (
		ops   []*Operation
		total int
	)
	// One read transaction, so the page and the total agree.
	err = s.readTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM operations WHERE `+where, wargs...).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+columns+` FROM operations WHERE `+where+
			` ORDER BY seq DESC LIMIT ? OFFSET ?`, append(wargs, limit, f.Offset)...)
		if err != nil {
			return err
		}
		ops, err = scanOps(rows)
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("operations: list: %w", err)
	}
	return ops, total, nil
}

// Update implements Store. fn runs inside the write transaction, so it must
// be quick and must not call the store; it may run again if the transaction
// is retried after a lock conflict with another process.
func (s *SQLiteStore) Update(ctx context.Context, id string, fn func(op *Operation) error) (*Operation, error) {
	var updated *Operation
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		old, err := getOp(ctx, tx, id)
		if err != nil {
			return err
		}
		updated = clone(old)
		if err := fn(updated); err != nil {
			return fnError{err}
		}
		if err := checkUpdate(old, updated); err != nil {
			return err
		}
		updated = clone(updated)
		if equal(old, updated) {
			return nil
		}
		_, err = tx.ExecContext(ctx, updateSQL, append(args(updated), id)...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return updated, nil
}

// Pending implements Store.
func (s *SQLiteStore) Pending(ctx context.Context, workerType string, limit int) ([]*Operation, error) {
	limit, err := pageSize(limit)
	if err != nil {
		return nil, err
	}
	q, qargs := `SELECT `+columns+` FROM operations WHERE status = ?`, []any{string(StatusPending)}
	if workerType != "" {
		q += ` AND worker_type = ?`
		qargs = append(qargs, workerType)
	}
	q += ` ORDER BY seq LIMIT ?`
	var ops []*Operation
	err = s.retry(ctx, func() error {
		rows, err := s.r.QueryContext(ctx, q, append(qargs, limit)...)
		if err != nil {
			return err
		}
		ops, err = scanOps(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("operations: pending: %w", err)
	}
	return ops, nil
}

// CountByStatus implements Store.
func (s *SQLiteStore) CountByStatus(ctx context.Context) (map[Type]map[Status]int, error) {
	var counts map[Type]map[Status]int
	err := s.retry(ctx, func() error {
		counts = make(map[Type]map[Status]int)
		rows, err := s.r.QueryContext(ctx, `SELECT type, status, COUNT(*) FROM operations GROUP BY type, status`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				t  Type
				st Status
				n  int
			)
			if err := rows.Scan(&t, &st, &n); err != nil {
				return err
			}
			if counts[t] == nil {
				counts[t] = make(map[Status]int)
			}
			counts[t][st] = n
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("operations: count: %w", err)
	}
	return counts, nil
}

// exists reports ErrNotFound for an unknown operation.
func exists(ctx context.Context, tx *sql.Tx, id string) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM operations WHERE id = ?`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return err
}

// AppendMetrics implements Store.
func (s *SQLiteStore) AppendMetrics(ctx context.Context, id string, records []json.RawMessage) error {
	if err := validRecords(records); err != nil {
		return err
	}
	return s.writeTx(ctx, func(tx *sql.Tx) error {
		if err := exists(ctx, tx, id); err != nil {
			return err
		}
		var next int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(idx) + 1, 0) FROM metrics WHERE operation_id = ?`, id).Scan(&next); err != nil {
			return err
		}
		for i, r := range records {
			if _, err := tx.ExecContext(ctx, `INSERT INTO metrics (operation_id, idx, record) VALUES (?, ?, ?)`,
				id, next+i, string(r)); err != nil {
				return err
			}
		}
		return nil
	})
}

// Metrics implements Store.
func (s *SQLiteStore) Metrics(ctx context.Context, id string, cursor int) ([]json.RawMessage, int, error) {
	if err := checkCursor(cursor); err != nil {
		return nil, 0, err
	}
	var (
		records []json.RawMessage
		next    int
	)
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		records = nil
		if err := exists(ctx, tx, id); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM metrics WHERE operation_id = ?`, id).Scan(&next); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT record FROM metrics WHERE operation_id = ? AND idx >= ? ORDER BY idx`, id, cursor)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r string
			if err := rows.Scan(&r); err != nil {
				return err
			}
			records = append(records, json.RawMessage(r))
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, err
	}
	return records, next, nil
}
