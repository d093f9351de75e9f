package operations

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrInvalid is returned (wrapped) for an operation, filter or metric record
// a store refuses to write: callers answer it as a client error.
var ErrInvalid = errors.New("invalid operation data")

// List and Pending page sizes.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// maxIDLen bounds ids: they travel in URL paths and log lines.
const maxIDLen = 128

var errClosed = errors.New("operations: store is closed")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

func knownType(t Type) bool {
	switch t {
	case TypeDataLoad, TypeTraining, TypeBacktesting, TypeDummy:
		return true
	}
	return false
}

func knownStatus(s Status) bool {
	switch s {
	case StatusPending, StatusRunning, StatusCompleted, StatusFailed, StatusCancelled:
		return true
	}
	return false
}

// validate is the one rule book both stores apply before writing. Strings
// must be valid UTF-8 without NUL bytes, and JSON must be valid: what one
// backend accepts every backend (PostgreSQL included) must be able to store
// and give back unchanged.
func validate(op *Operation) error {
	if op == nil {
		return invalid("nil operation")
	}
	if err := validID(op.ID); err != nil {
		return err
	}
	if !knownType(op.Type) {
		return invalid("unknown operation type %q", op.Type)
	}
	if !knownStatus(op.Status) {
		return invalid("unknown status %q", op.Status)
	}
	if op.CreatedAt.IsZero() {
		return invalid("created_at is not set")
	}
	for _, t := range []struct {
		name string
		t    *time.Time
	}{{"created_at", &op.CreatedAt}, {"started_at", op.StartedAt}, {"completed_at", op.CompletedAt}} {
		// The stored text form has four year digits.
		if t.t != nil && (t.t.UTC().Year() < 1 || t.t.UTC().Year() > 9999) {
			return invalid("%s year out of range 1..9999", t.name)
		}
	}
	p := op.Progress
	if math.IsNaN(p.Percentage) || p.Percentage < 0 || p.Percentage > 100 {
		return invalid("progress percentage %v not in 0..100", p.Percentage)
	}
	if p.StepsCompleted < 0 || p.StepsTotal < 0 || op.Attempts < 0 {
		return invalid("negative steps or attempts")
	}
	texts := []string{"worker_type", op.WorkerType, "worker_id", op.WorkerID, "trace_id", op.TraceID,
		"traceparent", op.TraceParent, "progress.current_step", p.CurrentStep}
	if op.Error != nil {
		texts = append(texts, "error", *op.Error)
	}
	for i := 0; i < len(texts); i += 2 {
		if err := validText(texts[i], texts[i+1]); err != nil {
			return err
		}
	}
	if err := validJSON("params", op.Params); err != nil {
		return err
	}
	return validJSON("result", op.Result)
}

func validID(id string) error {
	if id == "" {
		return invalid("empty operation id")
	}
	if len(id) > maxIDLen {
		return invalid("operation id longer than %d bytes", maxIDLen)
	}
	// Ids end up in URL paths: keep them to an unreserved, printable set.
	if i := strings.IndexFunc(id, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.')
	}); i >= 0 {
		return invalid("operation id %q: only letters, digits, '_', '-' and '.' allowed", id)
	}
	return nil
}

func validText(name, s string) error {
	if !utf8.ValidString(s) {
		return invalid("%s is not valid UTF-8", name)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return invalid("%s contains a NUL byte", name)
	}
	return nil
}

// validJSON accepts nil (absent) or one valid UTF-8 JSON value.
func validJSON(name string, m json.RawMessage) error {
	if len(m) == 0 {
		return nil
	}
	if !json.Valid(m) || !utf8.Valid(m) {
		return invalid("%s is not valid JSON", name)
	}
	return nil
}

// validRecords checks metric records: each must be a JSON value.
func validRecords(records []json.RawMessage) error {
	for i, r := range records {
		if len(r) == 0 {
			return invalid("metric record %d is empty", i)
		}
		if err := validJSON(fmt.Sprintf("metric record %d", i), r); err != nil {
			return err
		}
	}
	return nil
}

// clone returns a deep copy in the form a store gives back: times in UTC
// without monotonic reading, and empty JSON as nil (an empty, non-nil
// json.RawMessage cannot even be marshalled).
func clone(op *Operation) *Operation {
	c := *op
	c.CreatedAt = op.CreatedAt.UTC()
	c.StartedAt = cloneTime(op.StartedAt)
	c.CompletedAt = cloneTime(op.CompletedAt)
	c.Params = cloneJSON(op.Params)
	c.Result = cloneJSON(op.Result)
	if op.Error != nil {
		e := *op.Error
		c.Error = &e
	}
	return &c
}

func cloneTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func cloneJSON(m json.RawMessage) json.RawMessage {
	if len(m) == 0 {
		return nil
	}
	return bytes.Clone(m)
}

// equal compares two operations as stored (see clone).
func equal(a, b *Operation) bool {
	return a.ID == b.ID && a.Type == b.Type && a.Status == b.Status &&
		a.WorkerType == b.WorkerType && a.CreatedAt.Equal(b.CreatedAt) &&
		equalTime(a.StartedAt, b.StartedAt) && equalTime(a.CompletedAt, b.CompletedAt) &&
		a.Progress == b.Progress && a.WorkerID == b.WorkerID && a.TraceID == b.TraceID &&
		a.TraceParent == b.TraceParent && bytes.Equal(a.Params, b.Params) &&
		bytes.Equal(a.Result, b.Result) && equalString(a.Error, b.Error) &&
		a.CancelRequested == b.CancelRequested && a.Attempts == b.Attempts
}

func equalTime(a, b *time.Time) bool {
	return a == nil && b == nil || a != nil && b != nil && a.Equal(*b)
}

func equalString(a, b *string) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// checkUpdate decides whether old may become updated. A terminal operation
// is final: its record does not change any more, so a late report from a
// worker cannot rewrite a result or an error the client has already seen.
func checkUpdate(old, updated *Operation) error {
	if updated.ID != old.ID || updated.Type != old.Type || !updated.CreatedAt.Equal(old.CreatedAt) {
		return invalid("operation %s: id, type and created_at cannot change", old.ID)
	}
	if err := CheckTransition(old.Status, updated.Status); err != nil {
		return fmt.Errorf("operation %s: %w", old.ID, err)
	}
	if old.Status.Terminal() && !equal(old, updated) {
		return fmt.Errorf("operation %s: %w: %s is terminal", old.ID, ErrTransition, old.Status)
	}
	return validate(updated)
}

// pageSize applies the default and the cap to a requested limit.
func pageSize(limit int) (int, error) {
	switch {
	case limit < 0:
		return 0, invalid("negative limit %d", limit)
	case limit == 0:
		return DefaultLimit, nil
	case limit > MaxLimit:
		return MaxLimit, nil
	}
	return limit, nil
}

// checkFilter validates f and returns its effective limit.
func checkFilter(f Filter) (int, error) {
	if f.Status != "" && !knownStatus(f.Status) {
		return 0, invalid("unknown status %q", f.Status)
	}
	if f.Type != "" && !knownType(f.Type) {
		return 0, invalid("unknown operation type %q", f.Type)
	}
	if f.Offset < 0 {
		return 0, invalid("negative offset %d", f.Offset)
	}
	return pageSize(f.Limit)
}

func checkCursor(cursor int) error {
	if cursor < 0 {
		return invalid("negative metrics cursor %d", cursor)
	}
	return nil
}
