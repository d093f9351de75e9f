package collector

import (
	"slices"
	"sync"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Defaults for a zero Options or NewStore argument.
const (
	DefaultMaxTraces       = 10000
	DefaultMaxBytes  int64 = 256 << 20
)

// Store is a bounded, thread-safe in-memory trace store.
//
// It holds at most maxTraces traces and maxBytes accounted bytes; beyond
// either bound it evicts the traces that arrived first. Byte accounting is an
// estimate: string lengths plus the fixed size of each stored struct. A
// trace is charged for every distinct process it references even though
// equal processes are shared, so the estimate errs on the high side.
type Store struct {
	maxTraces int
	maxBytes  int64

	mu     sync.RWMutex
	traces map[traceID]*trace
	// order lists live trace ids by first arrival, oldest at head. Traces
	// only ever leave by eviction from the head, so order[head:] is exactly
	// the set of live traces.
	order []traceID
	head  int
	procs map[string]*process // interned processes with refs > 0
	bytes int64
	spans int

	evicted, rejected int64
}

type trace struct {
	id         traceID
	spans      []*span
	procs      []*process // distinct processes of the spans, each charged once
	bytes      int64
	start, end uint64 // earliest span start, latest span end
}

// traceView is a consistent snapshot of a trace for readers. Stored spans
// are immutable and only ever appended, so a view can be used after the
// store's lock is released.
type traceView struct {
	id         traceID
	spans      []*span
	start, end uint64
}

func (t *trace) view() traceView {
	return traceView{id: t.id, spans: t.spans[:len(t.spans):len(t.spans)], start: t.start, end: t.end}
}

// Stats reports the store's size and counters.
type Stats struct {
	Traces    int   `json:"traces"`
	Spans     int   `json:"spans"`
	Bytes     int64 `json:"bytes"`
	MaxBytes  int64 `json:"max_bytes"`
	MaxTraces int   `json:"max_traces"`
	Evicted   int64 `json:"evicted"`  // traces evicted to stay within bounds
	Rejected  int64 `json:"rejected"` // spans refused: invalid ids or trace larger than MaxBytes
}

// NewStore returns an empty store. Zero or negative bounds take the defaults.
func NewStore(maxTraces int, maxBytes int64) *Store {
	if maxTraces <= 0 {
		maxTraces = DefaultMaxTraces
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	return &Store{
		maxTraces: maxTraces,
		maxBytes:  maxBytes,
		traces:    make(map[traceID]*trace),
		procs:     make(map[string]*process),
	}
}

// Stats returns a snapshot of the store's size and counters.
func (s *Store) Stats() Stats {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return Stats{
		Traces:    len(s.traces),
		Spans:     s.spans,
		Bytes:     s.bytes,
		MaxBytes:  s.maxBytes,
		MaxTraces: s.maxTraces,
		Evicted:   s.evicted,
		Rejected:  s.rejected,
	}
}

// Ingest converts and stores the spans of td. Spans with an all-zero trace or
// span id are rejected, as are spans that would make their trace alone
// larger than the byte bound. Spans of a trace already stored join it.
func (s *Store) Ingest(td ptrace.Traces) (accepted, rejected int) {
	// Convert before taking the lock: it is the expensive part.
	type batch struct {
		proc  *process
		spans []*span
	}
	rss := td.ResourceSpans()
	batches := make([]batch, 0, rss.Len())
	for i := range rss.Len() {
		rs := rss.At(i)
		b := batch{proc: newProcess(rs.Resource())}
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				if sp.TraceID().IsEmpty() || sp.SpanID().IsEmpty() {
					rejected++
					continue
				}
				b.spans = append(b.spans, newSpan(sp, ss.Scope()))
			}
		}
		if len(b.spans) > 0 {
			batches = append(batches, b)
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range batches {
		proc := b.proc
		if p, ok := s.procs[proc.key]; ok {
			proc = p
		}
		for _, sp := range b.spans {
			sp.proc = proc
			if s.add(sp) {
				accepted++
			} else {
				rejected++
			}
		}
	}
	s.rejected += int64(rejected)
	return accepted, rejected
}

// add stores one span and evicts as needed. It reports false when the span's
// trace would exceed maxBytes on its own. s.mu must be held.
func (s *Store) add(sp *span) bool {
	t := s.traces[sp.traceID]
	var cost, have int64
	if t == nil {
		cost = traceOverhead
	} else {
		have = t.bytes
	}
	newProc := t == nil || !slices.Contains(t.procs, sp.proc)
	if newProc {
		cost += sp.proc.size
	}
	cost += sp.size
	if have+cost > s.maxBytes {
		return false
	}

	if t == nil {
		t = &trace{id: sp.traceID, start: sp.start, end: sp.end}
		s.traces[t.id] = t
		s.order = append(s.order, t.id)
	}
	if newProc {
		t.procs = append(t.procs, sp.proc)
		if sp.proc.refs == 0 {
			s.procs[sp.proc.key] = sp.proc
		}
		sp.proc.refs++
	}
	t.spans = append(t.spans, sp)
	t.start = min(t.start, sp.start)
	t.end = max(t.end, sp.end)
	t.bytes += cost
	s.bytes += cost
	s.spans++
	s.evict()
	return true
}

// evict drops the oldest traces until the store is within both bounds.
// s.mu must be held.
func (s *Store) evict() {
	for len(s.traces) > s.maxTraces || s.bytes > s.maxBytes {
		id := s.order[s.head]
		s.order[s.head] = traceID{}
		s.head++
		t := s.traces[id]
		delete(s.traces, id)
		s.bytes -= t.bytes
		s.spans -= len(t.spans)
		s.evicted++
		for _, p := range t.procs {
			if p.refs--; p.refs == 0 {
				delete(s.procs, p.key)
			}
		}
	}
	// Reclaim the consumed head of the FIFO once it dominates the slice.
	if s.head > 1024 && s.head*2 > len(s.order) {
		s.order = append([]traceID(nil), s.order[s.head:]...)
		s.head = 0
	}
}

// get returns the trace with the given id.
func (s *Store) get(id traceID) (traceView, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.traces[id]
	if !ok {
		return traceView{}, false
	}
	return t.view(), true
}
