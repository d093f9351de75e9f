package collector

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// The pages are a quick look at traces without a Jaeger UI: a list of
// recent traces and a waterfall of one trace. They are server-rendered with
// html/template (which escapes span data) and need no JavaScript.

const recentTraces = 50

type pages struct {
	store *Store
}

func newPages(s *Store) *pages { return &pages{store: s} }

type indexData struct {
	Services []string
	Selected string
	Traces   []traceRow
	Stats    Stats
}

type traceRow struct {
	ID, Root, Service, Start, Duration string
	Spans                              int
	Error                              bool
}

type traceData struct {
	traceRow
	Rows []spanRow
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
}

type keyText struct{ Key, Value string }

type message struct{ Title, Text string }

type eventRow struct {
	Offset, Name string
	Attrs        []keyText
}

func (p *pages) index(w http.ResponseWriter, r *http.Request) {
	selected := r.URL.Query().Get("service")
	views := p.store.find(traceQuery{service: selected, startMax: math.MaxUint64, limit: recentTraces})
	data := indexData{Services: p.store.services(), Selected: selected, Stats: p.store.Stats()}
	for _, v := range views {
		data.Traces = append(data.Traces, summarize(v))
	}
	render(w, http.StatusOK, "index", data)
}

func (p *pages) trace(w http.ResponseWriter, r *http.Request) {
	id, err := parseTraceID(r.PathValue("traceID"))
	if err != nil {
		render(w, http.StatusBadRequest, "message", message{"Bad trace ID", err.Error()})
		return
	}
	v, ok := p.store.get(id)
	if !ok {
		render(w, http.StatusNotFound, "message", message{"Trace not found", "Trace " + hexTraceID(id) + " is not stored: it may never have arrived, or it was evicted."})
		return
	}
	render(w, http.StatusOK, "trace", traceData{traceRow: summarize(v), Rows: waterfall(v)})
}

func render(w http.ResponseWriter, code int, name string, data any) {
	var buf bytes.Buffer
	if err := pageTemplates.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, "cannot render page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = buf.WriteTo(w)
}

// summarize describes a trace by its root span: the earliest span whose
// parent is not in the trace.
func summarize(v traceView) traceRow {
	ids := spanIDs(v)
	var root *span
	row := traceRow{ID: hexTraceID(v.id), Spans: len(v.spans)}
	for _, sp := range v.spans {
		if _, hasParent := ids[sp.parentID]; !hasParent && (root == nil || sp.start < root.start) {
			root = sp
		}
		row.Error = row.Error || sp.isError()
	}
	if root == nil { // every span has a parent in the trace: a cycle
		root = v.spans[0]
	}
	row.Root, row.Service = root.name, root.proc.service
	row.Start = time.Unix(0, int64(v.start)).Format("2006-01-02 15:04:05.000")
	row.Duration = formatMillis(v.end - min(v.start, v.end))
	return row
}

func spanIDs(v traceView) map[spanID]struct{} {
	ids := make(map[spanID]struct{}, len(v.spans))
	for _, sp := range v.spans {
		ids[sp.spanID] = struct{}{}
	}
	return ids
}

// waterfall lists the spans depth-first from the roots, children by start
// time. Spans caught in a parent cycle, which no root reaches, come last.
func waterfall(v traceView) []spanRow {
	ids := spanIDs(v)
	children := make(map[spanID][]*span)
	var roots []*span
	for _, sp := range v.spans {
		if _, ok := ids[sp.parentID]; ok && sp.parentID != sp.spanID {
			children[sp.parentID] = append(children[sp.parentID], sp)
		} else {
			roots = append(roots, sp)
		}
	}
	byStart := func(a, b *span) int { return cmp.Compare(a.start, b.start) }
	slices.SortStableFunc(roots, byStart)
	for _, c := range children {
		slices.SortStableFunc(c, byStart)
	}

	total := float64(max(v.end-min(v.start, v.end), 1))
	rows := make([]spanRow, 0, len(v.spans))
	seen := make(map[*span]bool, len(v.spans))
	// An explicit stack: a deep parent chain must not exhaust the goroutine stack.
	type item struct {
		sp    *span
		depth int
	}
	var stack []item
	push := func(spans []*span, depth int) {
		for i := len(spans) - 1; i >= 0; i-- {
			stack = append(stack, item{spans[i], depth})
		}
	}
	push(roots, 0)
	for len(rows) < len(v.spans) {
		if len(stack) == 0 { // only cycles remain
			for _, sp := range v.spans {
				if !seen[sp] {
					stack = append(stack, item{sp, 0})
					break
				}
			}
		}
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[it.sp] {
			continue
		}
		seen[it.sp] = true
		rows = append(rows, newSpanRow(it.sp, it.depth, v.start, total))
		push(children[it.sp.spanID], it.depth+1)
	}
	return rows
}

func newSpanRow(sp *span, depth int, traceStart uint64, total float64) spanRow {
	offset := sp.start - traceStart
	// A span may end before it starts or after the trace's end (clock skew
	// between services, bad data): keep the bar inside its lane.
	left := min(100*float64(offset)/total, 100)
	width := max(min(max(100*float64(sp.duration())/total, 0.2), 100-left), 0)
	row := spanRow{
		Indent:   template.CSS(fmt.Sprintf("padding-left:%dpx", 4+12*min(depth, 40))),
		Bar:      template.CSS(fmt.Sprintf("left:%.3f%%;width:%.3f%%", left, width)),
		Service:  sp.proc.service,
		Name:     sp.name,
		Kind:     spanKindString(sp.kind),
		Offset:   formatMillis(offset),
		Duration: formatMillis(sp.duration()),
		Error:    sp.isError(),
		Status:   sp.statusMsg,
	}
	for _, kv := range spanTags(sp) {
		row.Tags = append(row.Tags, keyText{kv.Key, displayValue(kv.Value)})
	}
	for _, e := range sp.events {
		ev := eventRow{Offset: formatMillis(e.time - min(traceStart, e.time)), Name: e.name}
		for _, a := range e.attrs {
			ev.Attrs = append(ev.Attrs, keyText{a.key, a.String()})
		}
		row.Events = append(row.Events, ev)
	}
	return row
}

func displayValue(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return base64.StdEncoding.EncodeToString(v)
	case float64:
		return formatFloat(v)
	default:
		return fmt.Sprint(v)
	}
}

func formatMillis(ns uint64) string {
	return strconv.FormatFloat(float64(ns)/1e6, 'f', 3, 64)
}

var pageTemplates = template.Must(template.New("").Parse(`
{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{{.}} · ktrdr traces</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#263238;color:#fff;padding:.6em 1em}
header a{color:#fff;text-decoration:none;font-weight:600}
main{padding:1em}
a{color:#1565c0}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:.3em .5em;border-bottom:1px solid #e0e0e0;vertical-align:top}
th{background:#eceff1;font-weight:600}
.services a{margin-right:.8em}
.services a.sel{font-weight:700;color:#222}
.err{color:#c62828;font-weight:600}
tr.error td{background:#ffebee}
.mono{font-family:ui-monospace,monospace;font-size:12px}
.num{text-align:right;white-space:nowrap}
.lane{position:relative;min-width:300px;height:14px;background:#f5f5f5}
.bar{position:absolute;top:2px;height:10px;background:#42a5f5;border-radius:2px}
tr.error .bar{background:#e53935}
details{margin-top:.2em}
summary{cursor:pointer;color:#546e7a;font-size:12px}
dl{margin:.2em 0;display:grid;grid-template-columns:max-content auto;gap:0 .8em;font-size:12px}
dt{color:#546e7a}
dd{margin:0;font-family:ui-monospace,monospace;word-break:break-all}
.muted{color:#78909c}
</style></head><body>
<header><a href="/">ktrdr traces</a></header>
<main>{{end}}

{{define "foot"}}</main></body></html>{{end}}

{{define "index"}}{{template "head" "Recent traces"}}
<p class="services">Services:
{{- if .Services}}
<a href="/"{{if not .Selected}} class="sel"{{end}}>all</a>
{{- range .Services}} <a href="/?service={{.}}"{{if eq . $.Selected}} class="sel"{{end}}>{{.}}</a>{{end}}
{{- else}} <span class="muted">none yet — send spans over OTLP to :4317 (gRPC) or :4318 (HTTP)</span>{{end}}</p>
<h2>Recent traces{{if .Selected}} of {{.Selected}}{{end}}</h2>
{{if .Traces}}<table>
<tr><th>Trace</th><th>Root span</th><th>Service</th><th>Start</th><th class="num">Duration (ms)</th><th class="num">Spans</th><th></th></tr>
{{range .Traces}}<tr{{if .Error}} class="error"{{end}}>
<td class="mono"><a href="/trace/{{.ID}}">{{.ID}}</a></td><td>{{.Root}}</td><td>{{.Service}}</td>
<td class="mono">{{.Start}}</td><td class="num">{{.Duration}}</td><td class="num">{{.Spans}}</td>
<td>{{if .Error}}<span class="err">error</span>{{end}}</td></tr>
{{end}}</table>
{{else}}<p class="muted">No traces.</p>{{end}}
<p class="muted">Stored: {{.Stats.Traces}} traces, {{.Stats.Spans}} spans, {{.Stats.Bytes}} of {{.Stats.MaxBytes}} bytes; {{.Stats.Evicted}} traces evicted, {{.Stats.Rejected}} spans rejected.</p>
{{template "foot"}}{{end}}

{{define "trace"}}{{template "head" .Root}}
<h2>{{.Root}} <span class="muted">({{.Service}})</span>{{if .Error}} <span class="err">has errors</span>{{end}}</h2>
<p class="mono">trace {{.ID}} · start {{.Start}} · {{.Duration}} ms · {{.Spans}} spans · <a href="/api/traces/{{.ID}}">JSON</a></p>
<table>
<tr><th>Span</th><th>Service</th><th class="num">Offset (ms)</th><th class="num">Duration (ms)</th><th>Timeline</th></tr>
{{range .Rows}}<tr{{if .Error}} class="error"{{end}}>
<td style="{{.Indent}}"><strong>{{.Name}}</strong>{{if .Kind}} <span class="muted">{{.Kind}}</span>{{end}}
{{- if .Error}} <span class="err">error{{if .Status}}: {{.Status}}{{end}}</span>{{end}}
{{if .Tags}}<details><summary>{{len .Tags}} attributes</summary><dl>{{range .Tags}}<dt>{{.Key}}</dt><dd>{{.Value}}</dd>{{end}}</dl></details>{{end}}
{{if .Events}}<details><summary>{{len .Events}} events</summary>{{range .Events}}
<div><span class="mono">{{.Offset}} ms</span> <strong>{{.Name}}</strong>{{if .Attrs}}<dl>{{range .Attrs}}<dt>{{.Key}}</dt><dd>{{.Value}}</dd>{{end}}</dl>{{end}}</div>{{end}}</details>{{end}}
</td>
<td>{{.Service}}</td><td class="num">{{.Offset}}</td><td class="num">{{.Duration}}</td>
<td><div class="lane"><div class="bar" style="{{.Bar}}"></div></div></td></tr>
{{end}}</table>
{{template "foot"}}{{end}}

{{define "message"}}{{template "head" .Title}}
<h2>{{.Title}}</h2><p>{{.Text}}</p><p><a href="/">Recent traces</a></p>
{{template "foot"}}{{end}}
`))
