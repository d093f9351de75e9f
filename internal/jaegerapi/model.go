// Package jaegerapi holds the JSON shapes of Jaeger's HTTP query API (the one
// Jaeger's UI uses under /api) and a small client for it.
//
// The embedded collector answers in these shapes and every tool that reads
// traces (ktrdr trace check, tests) decodes them, so one definition keeps the
// two sides honest and lets the same code talk to a real Jaeger.
package jaegerapi

// Response is the envelope of every /api answer.
type Response[T any] struct {
	Data   T       `json:"data"`
	Total  int     `json:"total"`
	Limit  int     `json:"limit"`
	Offset int     `json:"offset"`
	Errors []Error `json:"errors"`
}

// Error is one entry of Response.Errors.
type Error struct {
	Code    int    `json:"code,omitempty"`
	Msg     string `json:"msg"`
	TraceID string `json:"traceID,omitempty"`
}

// Trace is one trace with its spans and the processes they ran in.
type Trace struct {
	TraceID   string             `json:"traceID"`
	Spans     []Span             `json:"spans"`
	Processes map[string]Process `json:"processes"`
	Warnings  []string           `json:"warnings"`
}

// Span is one span. Times are microseconds since the Unix epoch; durations
// are microseconds.
type Span struct {
	TraceID       string      `json:"traceID"`
	SpanID        string      `json:"spanID"`
	Flags         uint32      `json:"flags,omitempty"`
	OperationName string      `json:"operationName"`
	References    []Reference `json:"references"`
	StartTime     uint64      `json:"startTime"`
	Duration      uint64      `json:"duration"`
	Tags          []KeyValue  `json:"tags"`
	Logs          []Log       `json:"logs"`
	ProcessID     string      `json:"processID"`
	Warnings      []string    `json:"warnings"`
}

// Reference ties a span to its parent (CHILD_OF) or a link (FOLLOWS_FROM).
type Reference struct {
	RefType string `json:"refType"`
	TraceID string `json:"traceID"`
	SpanID  string `json:"spanID"`
}

// Reference types.
const (
	ChildOf     = "CHILD_OF"
	FollowsFrom = "FOLLOWS_FROM"
)

// Process is the resource a span ran in: service name plus resource
// attributes as tags.
type Process struct {
	ServiceName string     `json:"serviceName"`
	Tags        []KeyValue `json:"tags"`
}

// Log is a span event.
type Log struct {
	Timestamp uint64     `json:"timestamp"`
	Fields    []KeyValue `json:"fields"`
}

// KeyValue is a typed tag. Type is one of string, bool, int64, float64,
// binary; Value is the JSON value of that type.
type KeyValue struct {
	Key   string `json:"key"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

// Operation is one entry of /api/operations.
type Operation struct {
	Name     string `json:"name"`
	SpanKind string `json:"spanKind"`
}

// Tag returns the value of the tag key and whether it was present.
func Tag(tags []KeyValue, key string) (any, bool) {
	for _, kv := range tags {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return nil, false
}

// ParentSpanID returns the span id of s's CHILD_OF reference, or "".
func (s Span) ParentSpanID() string {
	for _, r := range s.References {
		if r.RefType == ChildOf {
			return r.SpanID
		}
	}
	return ""
}

// Orphans counts the spans whose parent is not in the trace: not exported
// (yet), or lost with its process. Services export in batches of their own,
// so a trace read early can hold a child before its parent.
func (t Trace) Orphans() int {
	ids := make(map[string]bool, len(t.Spans))
	for _, s := range t.Spans {
		ids[s.SpanID] = true
	}
	n := 0
	for _, s := range t.Spans {
		if p := s.ParentSpanID(); p != "" && !ids[p] {
			n++
		}
	}
	return n
}
