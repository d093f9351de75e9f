// Package tracetree renders a trace as a tree for terminals: one line per
// span with its service (where it changes), name, duration, key attributes,
// a summary of its events and, in red, its error — the shape of the original
// validation guide's "Example Trace Structure".
package tracetree

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/ktrdr/ktrdr/internal/jaegerapi"
)

// Options change how a trace is drawn.
type Options struct {
	Color bool // ANSI colours: services cyan, errors red, durations dim
}

// keyAttributes are shown after a span's duration when present, in this
// order: the few that tell what a span did without opening it.
var keyAttributes = []string{
	"cli.command", "mcp.tool", "operation.id", "operation.type", "operation.status", "worker.id", "worker.selected_id", "worker.type",
	"strategy.name", "data.symbol", "data.timeframe", "data.provider", "data.bars", "backtest.symbol",
	"features.count", "samples.train", "training.epochs_run", "model.name", "test.accuracy", "test.majority_baseline",
	"backtest.bars", "backtest.trades", "metrics.total_return", "metrics.sharpe", "queue.wait_ms",
}

const (
	red   = "\x1b[31m"
	cyan  = "\x1b[36m"
	dim   = "\x1b[2m"
	reset = "\x1b[0m"
)

type node struct {
	span     *jaegerapi.Span
	service  string
	children []*node
}

// Render writes tr as a tree: a header line, then every span under its
// parent, children in start order. Spans whose parent is not in the trace
// (not exported, or still in flight) are drawn as extra roots, marked.
func Render(w io.Writer, tr jaegerapi.Trace, o Options) error {
	if len(tr.Spans) == 0 {
		_, err := fmt.Fprintf(w, "trace %s: no spans\n", tr.TraceID)
		return err
	}
	byID := map[string]*node{}
	services := map[string]bool{}
	var first, last uint64
	for i := range tr.Spans {
		s := &tr.Spans[i]
		svc := tr.Processes[s.ProcessID].ServiceName
		services[svc] = true
		byID[s.SpanID] = &node{span: s, service: svc}
		if first == 0 || s.StartTime < first {
			first = s.StartTime
		}
		last = max(last, s.StartTime+s.Duration)
	}
	var roots []*node
	for i := range tr.Spans {
		n := byID[tr.Spans[i].SpanID]
		if p, ok := byID[n.span.ParentSpanID()]; ok && p != n {
			p.children = append(p.children, n)
		} else {
			roots = append(roots, n)
		}
	}
	sortNodes(roots)
	for _, n := range byID {
		sortNodes(n.children)
	}
	p := &printer{w: w, o: o}
	p.printf("trace %s · %d services · %d spans · %s\n", tr.TraceID, len(services), len(tr.Spans), duration(last-first))
	for _, r := range roots {
		p.line("", "", r, "")
		p.children(r, "")
	}
	return p.err
}

func sortNodes(ns []*node) {
	sort.SliceStable(ns, func(i, j int) bool {
		if ns[i].span.StartTime != ns[j].span.StartTime {
			return ns[i].span.StartTime < ns[j].span.StartTime
		}
		return ns[i].span.SpanID < ns[j].span.SpanID
	})
}

type printer struct {
	w   io.Writer
	o   Options
	err error
}

func (p *printer) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func (p *printer) color(c, s string) string {
	if !p.o.Color || s == "" {
		return s
	}
	return c + s + reset
}

func (p *printer) children(n *node, indent string) {
	for i, c := range n.children {
		branch, next := "├─ ", "│  "
		if i == len(n.children)-1 {
			branch, next = "└─ ", "   "
		}
		p.line(indent, branch, c, n.service)
		p.children(c, indent+next)
	}
}

// line draws one span: the service when it differs from the parent's,
// name, duration, key attributes, events and error.
func (p *printer) line(indent, branch string, n *node, parentService string) {
	s := n.span
	var b strings.Builder
	b.WriteString(indent + branch)
	if n.service != parentService {
		b.WriteString(p.color(cyan, n.service) + "  ")
	}
	b.WriteString(s.OperationName)
	b.WriteString("  " + p.color(dim, duration(s.Duration)))
	if parentService == "" && s.ParentSpanID() != "" {
		b.WriteString("  (orphan: parent " + s.ParentSpanID() + " is not in the trace)")
	}
	if attrs := attributes(s); attrs != "" {
		b.WriteString("  " + attrs)
	}
	if ev := events(s); ev != "" {
		b.WriteString("  " + p.color(dim, ev))
	}
	if msg, failed := spanError(s); failed {
		b.WriteString("  " + p.color(red, "ERROR "+msg))
	}
	p.printf("%s\n", strings.TrimRight(b.String(), " "))
}

func attributes(s *jaegerapi.Span) string {
	var parts []string
	if v, ok := jaegerapi.Tag(s.Tags, "http.response.status_code"); ok {
		parts = append(parts, "→ "+value(v))
	}
	for _, k := range keyAttributes {
		if v, ok := jaegerapi.Tag(s.Tags, k); ok {
			parts = append(parts, k+"="+value(v))
		}
	}
	return strings.Join(parts, " ")
}

func value(v any) string {
	switch x := v.(type) {
	case float64:
		if x == float64(int64(x)) && x < 1e15 && x > -1e15 {
			return fmt.Sprintf("%d", int64(x))
		}
		return fmt.Sprintf("%.4g", x)
	case string:
		if len(x) > 60 {
			return x[:57] + "..."
		}
		return x
	}
	return fmt.Sprint(v)
}

// events summarises a span's events by name, in order of first
// appearance: "events: epoch×40, cancelled".
func events(s *jaegerapi.Span) string {
	if len(s.Logs) == 0 {
		return ""
	}
	counts := map[string]int{}
	var order []string
	for _, l := range s.Logs {
		name := "event"
		if v, ok := jaegerapi.Tag(l.Fields, "event"); ok {
			name = fmt.Sprint(v)
		}
		if counts[name] == 0 {
			order = append(order, name)
		}
		counts[name]++
	}
	parts := make([]string, len(order))
	for i, n := range order {
		parts[i] = n
		if counts[n] > 1 {
			parts[i] = fmt.Sprintf("%s×%d", n, counts[n])
		}
	}
	return "events: " + strings.Join(parts, ", ")
}

// spanError reports whether a span failed and why (its status
// description, else its exception message).
func spanError(s *jaegerapi.Span) (string, bool) {
	failed := false
	if v, ok := jaegerapi.Tag(s.Tags, "error"); ok && (v == true || v == "true") {
		failed = true
	}
	if v, ok := jaegerapi.Tag(s.Tags, "otel.status_code"); ok && v == "ERROR" {
		failed = true
	}
	if !failed {
		return "", false
	}
	if v, ok := jaegerapi.Tag(s.Tags, "otel.status_description"); ok && fmt.Sprint(v) != "" {
		return fmt.Sprint(v), true
	}
	for _, l := range s.Logs {
		if v, ok := jaegerapi.Tag(l.Fields, "exception.message"); ok {
			return fmt.Sprint(v), true
		}
	}
	return "", true
}

// duration formats microseconds compactly: 0.3ms, 42ms, 1.82s, 2m03s.
func duration(us uint64) string {
	d := time.Duration(us) * time.Microsecond
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.2fs", d.Seconds())
	default:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
}
