package collector

import (
	"go.opentelemetry.io/collector/pdata/ptrace"

	"cmp"
	"slices"
	"time"

	"github.com/ktrdr/ktrdr/internal/jaegerapi"
)

// traceQuery is a parsed /api/traces search. Zero values mean "any".
type traceQuery struct {
	service   string // "" matches every service (the page lists all traces)
	operation string
	tags      map[string]string
	startMin  uint64 // unix nanoseconds
	startMax  uint64 // unix nanoseconds; math.MaxUint64 for no upper bound
	durMin    time.Duration
	durMax    time.Duration // 0 = no upper bound
	limit     int           // 0 = no limit
}

// find returns the traces in which at least one span satisfies every
// condition of q, newest trace first.
func (s *Store) find(q traceQuery) []traceView {
	s.mu.RLock()
	var out []traceView
	for _, t := range s.traces {
		if slices.ContainsFunc(t.spans, q.matches) {
			out = append(out, t.view())
		}
	}
	s.mu.RUnlock()

	slices.SortFunc(out, func(a, b traceView) int {
		if c := cmp.Compare(b.start, a.start); c != 0 {
			return c
		}
		return slices.Compare(a.id[:], b.id[:]) // deterministic order for equal starts
	})
	if q.limit > 0 && len(out) > q.limit {
		out = out[:q.limit]
	}
	return out
}

func (q *traceQuery) matches(sp *span) bool {
	if q.service != "" && sp.proc.service != q.service {
		return false
	}
	if q.operation != "" && sp.name != q.operation {
		return false
	}
	if sp.start < q.startMin || sp.start > q.startMax {
		return false
	}
	d := sp.duration()
	if q.durMin > 0 && d < uint64(q.durMin) {
		return false
	}
	if q.durMax != 0 && (q.durMax < 0 || d > uint64(q.durMax)) {
		return false
	}
	for k, v := range q.tags {
		if k == errorKey {
			// Jaeger turns the error tag into a status condition. Its v2
			// memory store reads the string "true" as the bool false and so
			// finds OK spans for error=true too; we keep the evident meaning.
			if want := v == "true"; want != sp.isError() || !want && sp.statusCode != ptrace.StatusCodeOk {
				return false
			}
			continue
		}
		if !sp.hasTag(k, v) {
			return false
		}
	}
	return true
}

// hasTag reports whether the span carries key with the string form value as
// an attribute of the span, of its resource (process tags) or of one of its
// events (log fields). Like Jaeger's search, tags that only the conversion
// derives (span.kind, otel.status_code, otel.scope.name, ...) do not match.
func (sp *span) hasTag(key, value string) bool {
	if hasAttr(sp.attrs, key, value) || hasAttr(sp.proc.tags, key, value) {
		return true
	}
	for _, e := range sp.events {
		if hasAttr(e.attrs, key, value) {
			return true
		}
	}
	return false
}

func hasAttr(as []attr, key, value string) bool {
	for _, a := range as {
		if a.key == key && a.String() == value {
			return true
		}
	}
	return false
}

// services returns the sorted names of the services with stored spans.
func (s *Store) services() []string {
	s.mu.RLock()
	set := make(map[string]struct{}, len(s.procs))
	for _, p := range s.procs {
		set[p.service] = struct{}{}
	}
	s.mu.RUnlock()
	out := make([]string, 0, len(set))
	for name := range set {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// operations returns the distinct (span name, span kind) pairs of service,
// sorted by name then kind. An empty kind matches every kind.
func (s *Store) operations(service, kind string) []jaegerapi.Operation {
	set := make(map[jaegerapi.Operation]struct{})
	s.mu.RLock()
	for _, t := range s.traces {
		if !slices.ContainsFunc(t.procs, func(p *process) bool { return p.service == service }) {
			continue
		}
		for _, sp := range t.spans {
			if sp.proc.service != service {
				continue
			}
			op := jaegerapi.Operation{Name: sp.name, SpanKind: spanKindString(sp.kind)}
			if kind == "" || op.SpanKind == kind {
				set[op] = struct{}{}
			}
		}
	}
	s.mu.RUnlock()
	out := make([]jaegerapi.Operation, 0, len(set))
	for op := range set {
		out = append(out, op)
	}
	slices.SortFunc(out, func(a, b jaegerapi.Operation) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.SpanKind, b.SpanKind))
	})
	return out
}
