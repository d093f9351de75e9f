package tracepage

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ktrdr/ktrdr/internal/jaegerapi"
)

// Tag keys of Jaeger's OTLP translation that the page interprets.
const (
	errorKey      = "error"
	statusCodeKey = "otel.status_code"
	statusDescKey = "otel.status_description"
	spanKindKey   = "span.kind"
	eventKey      = "event" // log field holding the event name
)

type indexData struct {
	Services []string
	Selected string
	Traces   []traceSummary
}

type traceSummary struct {
	ID, Root, Service, Start, Duration string
	Spans                              int
	Error                              bool
}

type traceData struct {
	traceSummary
	Rows      []spanRow
	Processes []processRow
	Warnings  []string
	JSONLink  bool
}

type spanRow struct {
	Indent           template.CSS
	Bar              template.CSS
	Service, Name    string
	Kind             string
	Offset, Duration string // milliseconds from trace start, milliseconds
	Error            bool
	Status           string
	Tags             []keyText
	Events           []eventRow
	Warnings         []string
}

type keyText struct{ Key, Value string }

type eventRow struct {
	Offset, Name string
	Attrs        []keyText
}

type processRow struct {
	Service string
	Tags    []keyText
}

type message struct{ Title, Text, Detail string }

// tree is a trace with each span's parent resolved, as indexes into Spans.
type tree struct {
	jaegerapi.Trace
	parent     []int  // -1 for a root: no parent, or a parent not in the trace
	start, end uint64 // unix microseconds: earliest start, latest end
}

func newTree(t jaegerapi.Trace) tree {
	tr := tree{Trace: t, parent: make([]int, len(t.Spans))}
	byID := make(map[string]int, len(t.Spans))
	for i, sp := range t.Spans {
		if _, dup := byID[sp.SpanID]; !dup {
			byID[sp.SpanID] = i
		}
	}
	tr.start = traceStart(t)
	for i, sp := range t.Spans {
		tr.parent[i] = -1
		if p, ok := byID[parentSpanID(sp)]; ok && p != i {
			tr.parent[i] = p
		}
		tr.end = max(tr.end, sp.StartTime+sp.Duration)
	}
	return tr
}

func traceStart(t jaegerapi.Trace) uint64 {
	if len(t.Spans) == 0 {
		return 0
	}
	start := t.Spans[0].StartTime
	for _, sp := range t.Spans[1:] {
		start = min(start, sp.StartTime)
	}
	return start
}

// parentSpanID follows Jaeger's rule: the first CHILD_OF reference within the
// span's trace, else the first FOLLOWS_FROM one. References to other traces
// (OTLP links) are not parents.
func parentSpanID(sp jaegerapi.Span) string {
	followsFrom := ""
	for _, r := range sp.References {
		if r.TraceID != "" && normalizeID(r.TraceID) != normalizeID(sp.TraceID) {
			continue
		}
		switch {
		case r.RefType == jaegerapi.ChildOf:
			return r.SpanID
		case r.RefType == jaegerapi.FollowsFrom && followsFrom == "":
			followsFrom = r.SpanID
		}
	}
	return followsFrom
}

// normalizeID makes ids comparable: Jaeger may drop leading zeros.
func normalizeID(id string) string { return strings.TrimLeft(strings.ToLower(id), "0") }

// summarize describes a trace by its root span: the earliest span without a
// parent in the trace (or the first span, if every span has one: a cycle).
func summarize(tr tree) traceSummary {
	s := traceSummary{ID: tr.TraceID, Spans: len(tr.Spans)}
	root := -1
	for i, sp := range tr.Spans {
		if tr.parent[i] < 0 && (root < 0 || sp.StartTime < tr.Spans[root].StartTime) {
			root = i
		}
		s.Error = s.Error || isError(sp)
	}
	if len(tr.Spans) > 0 {
		root = max(root, 0)
		s.Root, s.Service = tr.Spans[root].OperationName, tr.service(tr.Spans[root])
	}
	s.Start = time.UnixMicro(int64(tr.start)).Format("2006-01-02 15:04:05.000")
	s.Duration = formatMillis(tr.end - tr.start)
	return s
}

func (tr tree) service(sp jaegerapi.Span) string {
	if p, ok := tr.Processes[sp.ProcessID]; ok {
		return p.ServiceName
	}
	return sp.ProcessID
}

// waterfall lists the spans depth-first from the roots, children by start
// time. Spans caught in a parent cycle, which no root reaches, come last.
func waterfall(tr tree) []spanRow {
	n := len(tr.Spans)
	children := make([][]int, n)
	var roots []int
	for i, p := range tr.parent {
		if p < 0 {
			roots = append(roots, i)
		} else {
			children[p] = append(children[p], i)
		}
	}
	byStart := func(a, b int) int { return cmp.Compare(tr.Spans[a].StartTime, tr.Spans[b].StartTime) }
	slices.SortStableFunc(roots, byStart)
	for _, c := range children {
		slices.SortStableFunc(c, byStart)
	}

	total := float64(max(tr.end-tr.start, 1))
	rows := make([]spanRow, 0, n)
	seen := make([]bool, n)
	// An explicit stack: a deep parent chain must not exhaust the goroutine stack.
	type item struct{ span, depth int }
	var stack []item
	push := func(spans []int, depth int) {
		for i := len(spans) - 1; i >= 0; i-- {
			stack = append(stack, item{spans[i], depth})
		}
	}
	push(roots, 0)
	for next := 0; len(rows) < n; {
		if len(stack) == 0 { // only cycles remain
			for seen[next] {
				next++
			}
			stack = append(stack, item{next, 0})
		}
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[it.span] {
			continue
		}
		seen[it.span] = true
		rows = append(rows, tr.spanRow(tr.Spans[it.span], it.depth, total))
		push(children[it.span], it.depth+1)
	}
	return rows
}

func (tr tree) spanRow(sp jaegerapi.Span, depth int, total float64) spanRow {
	offset := sp.StartTime - tr.start
	// Bad data (a span longer than its trace cannot be, but clock skew and
	// hand-made spans exist) must keep the bar inside its lane.
	left := min(100*float64(offset)/total, 100)
	width := max(min(max(100*float64(sp.Duration)/total, 0.2), 100-left), 0)
	row := spanRow{
		Indent:   template.CSS(fmt.Sprintf("padding-left:%dpx", 4+12*min(depth, 40))),
		Bar:      template.CSS(fmt.Sprintf("left:%.3f%%;width:%.3f%%", left, width)),
		Service:  tr.service(sp),
		Name:     sp.OperationName,
		Kind:     stringTag(sp.Tags, spanKindKey),
		Offset:   formatMillis(offset),
		Duration: formatMillis(sp.Duration),
		Error:    isError(sp),
		Status:   stringTag(sp.Tags, statusDescKey),
		Tags:     keyTexts(sp.Tags),
		Warnings: sp.Warnings,
	}
	for _, l := range sp.Logs {
		ev := eventRow{Offset: formatMillis(l.Timestamp - min(tr.start, l.Timestamp))}
		for _, f := range l.Fields {
			if f.Key == eventKey && ev.Name == "" {
				ev.Name = displayValue(f.Value)
				continue
			}
			ev.Attrs = append(ev.Attrs, keyText{f.Key, displayValue(f.Value)})
		}
		row.Events = append(row.Events, ev)
	}
	return row
}

// processes lists the trace's processes by service, for their resource tags.
func processes(t jaegerapi.Trace) []processRow {
	ids := make([]string, 0, len(t.Processes))
	for id := range t.Processes {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int {
		return cmp.Or(cmp.Compare(t.Processes[a].ServiceName, t.Processes[b].ServiceName), cmp.Compare(a, b))
	})
	rows := make([]processRow, len(ids))
	for i, id := range ids {
		rows[i] = processRow{Service: t.Processes[id].ServiceName, Tags: keyTexts(t.Processes[id].Tags)}
	}
	return rows
}

// isError is Jaeger's notion: an error=true tag, which the OTLP translation
// sets for status Error; otel.status_code=ERROR is accepted too.
func isError(sp jaegerapi.Span) bool {
	v, _ := jaegerapi.Tag(sp.Tags, errorKey)
	return v == true || v == "true" || stringTag(sp.Tags, statusCodeKey) == "ERROR"
}

func stringTag(tags []jaegerapi.KeyValue, key string) string {
	if v, ok := jaegerapi.Tag(tags, key); ok {
		return displayValue(v)
	}
	return ""
}

func keyTexts(kvs []jaegerapi.KeyValue) []keyText {
	out := make([]keyText, len(kvs))
	for i, kv := range kvs {
		out[i] = keyText{kv.Key, displayValue(kv.Value)}
	}
	return out
}

// displayValue prints a tag value as the JSON API carries it, whether it was
// decoded from JSON (numbers as float64, binary as base64 text) or comes
// straight from Go values (int64, []byte).
func displayValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case []byte:
		return base64.StdEncoding.EncodeToString(v)
	}
	if b, err := json.Marshal(v); err == nil {
		return string(b)
	}
	return fmt.Sprint(v) // NaN and infinities, which JSON cannot carry
}

func formatMillis(us uint64) string {
	return strconv.FormatFloat(float64(us)/1e3, 'f', 3, 64)
}
