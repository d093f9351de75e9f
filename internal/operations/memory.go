package operations

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
)

// MemoryStore is a Store kept in memory, with the same semantics as the
// SQLite store: for tests of other packages, and as the reference the
// contract tests hold both to. Operations go in and out as deep copies.
type MemoryStore struct {
	mu     sync.RWMutex
	seq    int64
	ops    map[string]*memEntry
	closed bool
}

type memEntry struct {
	seq     int64 // insertion order, like the SQLite seq column
	op      *Operation
	metrics []json.RawMessage
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{ops: make(map[string]*memEntry)}
}

// check reports a done context or a closed store; callers hold mu.
func (m *MemoryStore) check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if m.closed {
		return errClosed
	}
	return nil
}

// Create implements Store.
func (m *MemoryStore) Create(ctx context.Context, op *Operation) error {
	if err := validate(op); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(ctx); err != nil {
		return err
	}
	if _, ok := m.ops[op.ID]; ok {
		return fmt.Errorf("%w: %s", ErrExists, op.ID)
	}
	m.seq++
	m.ops[op.ID] = &memEntry{seq: m.seq, op: clone(op)}
	return nil
}

// Get implements Store.
func (m *MemoryStore) Get(ctx context.Context, id string) (*Operation, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if err := m.check(ctx); err != nil {
		return nil, err
	}
	e, ok := m.ops[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return clone(e.op), nil
}

// sorted returns the entries matching keep, ordered by seq (newest first if desc).
func (m *MemoryStore) sorted(keep func(*Operation) bool, desc bool) []*memEntry {
	var es []*memEntry
	for _, e := range m.ops {
		if keep(e.op) {
			es = append(es, e)
		}
	}
	slices.SortFunc(es, func(a, b *memEntry) int {
		if desc {
			a, b = b, a
		}
		return int(a.seq - b.seq)
	})
	return es
}

// List implements Store.
func (m *MemoryStore) List(ctx context.Context, f Filter) ([]*Operation, int, error) {
	limit, err := checkFilter(f)
	if err != nil {
		return nil, 0, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if err := m.check(ctx); err != nil {
		return nil, 0, err
	}
	es := m.sorted(func(op *Operation) bool {
		return (f.Status == "" || op.Status == f.Status) && (f.Type == "" || op.Type == f.Type)
	}, true)
	total := len(es)
	es = es[min(f.Offset, total):min(f.Offset+limit, total)]
	ops := make([]*Operation, len(es))
	for i, e := range es {
		ops[i] = clone(e.op)
	}
	return ops, total, nil
}

// Update implements Store. fn runs under the store's lock: it must not call
// the store.
func (m *MemoryStore) Update(ctx context.Context, id string, fn func(op *Operation) error) (*Operation, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(ctx); err != nil {
		return nil, err
	}
	e, ok := m.ops[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	updated := clone(e.op)
	if err := fn(updated); err != nil {
		return nil, err
	}
	if err := checkUpdate(e.op, updated); err != nil {
		return nil, err
	}
	e.op = clone(updated)
	return clone(e.op), nil
}

// Pending implements Store.
func (m *MemoryStore) Pending(ctx context.Context, workerType string, limit int) ([]*Operation, error) {
	limit, err := pageSize(limit)
	if err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if err := m.check(ctx); err != nil {
		return nil, err
	}
	es := m.sorted(func(op *Operation) bool {
		return op.Status == StatusPending && (workerType == "" || op.WorkerType == workerType)
	}, false)
	es = es[:min(limit, len(es))]
	ops := make([]*Operation, len(es))
	for i, e := range es {
		ops[i] = clone(e.op)
	}
	return ops, nil
}

// CountByStatus implements Store.
func (m *MemoryStore) CountByStatus(ctx context.Context) (map[Type]map[Status]int, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if err := m.check(ctx); err != nil {
		return nil, err
	}
	counts := make(map[Type]map[Status]int)
	for _, e := range m.ops {
		if counts[e.op.Type] == nil {
			counts[e.op.Type] = make(map[Status]int)
		}
		counts[e.op.Type][e.op.Status]++
	}
	return counts, nil
}

// AppendMetrics implements Store.
func (m *MemoryStore) AppendMetrics(ctx context.Context, id string, records []json.RawMessage) error {
	if err := validRecords(records); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(ctx); err != nil {
		return err
	}
	e, ok := m.ops[id]
	if !ok {
		return fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	for _, r := range records {
		e.metrics = append(e.metrics, bytes.Clone(r))
	}
	return nil
}

// Metrics implements Store.
func (m *MemoryStore) Metrics(ctx context.Context, id string, cursor int) ([]json.RawMessage, int, error) {
	if err := checkCursor(cursor); err != nil {
		return nil, 0, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if err := m.check(ctx); err != nil {
		return nil, 0, err
	}
	e, ok := m.ops[id]
	if !ok {
		return nil, 0, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	var out []json.RawMessage
	for _, r := range e.metrics[min(cursor, len(e.metrics)):] {
		out = append(out, bytes.Clone(r))
	}
	return out, len(e.metrics), nil
}

// Close implements Store; later calls fail.
func (m *MemoryStore) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}
