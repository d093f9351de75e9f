package tracepage

import "html/template"

// Every template gets a layout; the page's own data is .Data. The "head" and
// "foot" parts draw the chrome around it.
var templates = template.Must(template.New("").Parse(`
{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{{.Title}} · {{.Site}}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#263238;color:#fff;padding:.6em 1em}
header a{color:#fff;text-decoration:none;font-weight:600}
main{padding:1em}
footer{padding:0 1em 1em;color:#78909c;font-size:12px}
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
pre{background:#fff;border:1px solid #e0e0e0;padding:.6em;white-space:pre-wrap;word-break:break-all}
.muted{color:#78909c}
.warn{color:#ef6c00;font-size:12px}
</style></head><body>
<header><a href="/">{{.Site}}</a></header>
<main>{{end}}

{{define "foot"}}</main>{{if .Footer}}
<footer>{{.Footer}}</footer>{{end}}
</body></html>{{end}}

{{define "index"}}{{template "head" .}}{{with .Data}}
<p class="services">Services:
{{- if .Services}}
<a href="/"{{if not .Selected}} class="sel"{{end}}>all</a>
{{- range .Services}} <a href="/?service={{.}}"{{if eq . $.Data.Selected}} class="sel"{{end}}>{{.}}</a>{{end}}
{{- else}} <span class="muted">none yet — send spans over OTLP (by default gRPC :4317 or HTTP :4318)</span>{{end}}</p>
<h2>Recent traces{{if .Selected}} of {{.Selected}}{{end}}</h2>
{{if .Traces}}<table>
<tr><th>Trace</th><th>Root span</th><th>Service</th><th>Start</th><th class="num">Duration (ms)</th><th class="num">Spans</th><th></th></tr>
{{range .Traces}}<tr{{if .Error}} class="error"{{end}}>
<td class="mono"><a href="/trace/{{.ID}}">{{.ID}}</a></td><td>{{.Root}}</td><td>{{.Service}}</td>
<td class="mono">{{.Start}}</td><td class="num">{{.Duration}}</td><td class="num">{{.Spans}}</td>
<td>{{if .Error}}<span class="err">error</span>{{end}}</td></tr>
{{end}}</table>
{{else}}<p class="muted">No traces.</p>{{end}}
{{- end}}
{{template "foot" .}}{{end}}

{{define "trace"}}{{template "head" .}}{{with .Data}}
<h2>{{.Root}} <span class="muted">({{.Service}})</span>{{if .Error}} <span class="err">has errors</span>{{end}}</h2>
<p class="mono">trace {{.ID}} · start {{.Start}} · {{.Duration}} ms · {{.Spans}} spans
{{- if .JSONLink}} · <a href="/api/traces/{{.ID}}">JSON</a>{{end}}</p>
{{range .Warnings}}<p class="warn">{{.}}</p>{{end}}
<table>
<tr><th>Span</th><th>Service</th><th class="num">Offset (ms)</th><th class="num">Duration (ms)</th><th>Timeline</th></tr>
{{range .Rows}}<tr{{if .Error}} class="error"{{end}}>
<td style="{{.Indent}}"><strong>{{.Name}}</strong>{{if .Kind}} <span class="muted">{{.Kind}}</span>{{end}}
{{- if .Error}} <span class="err">error{{if .Status}}: {{.Status}}{{end}}</span>{{end}}
{{range .Warnings}}<div class="warn">{{.}}</div>{{end}}
{{if .Tags}}<details><summary>{{len .Tags}} attribute{{if ne (len .Tags) 1}}s{{end}}</summary><dl>{{range .Tags}}<dt>{{.Key}}</dt><dd>{{.Value}}</dd>{{end}}</dl></details>{{end}}
{{if .Events}}<details><summary>{{len .Events}} event{{if ne (len .Events) 1}}s{{end}}</summary>{{range .Events}}
<div><span class="mono">{{.Offset}} ms</span> <strong>{{.Name}}</strong>{{if .Attrs}}<dl>{{range .Attrs}}<dt>{{.Key}}</dt><dd>{{.Value}}</dd>{{end}}</dl>{{end}}</div>{{end}}</details>{{end}}
</td>
<td>{{.Service}}</td><td class="num">{{.Offset}}</td><td class="num">{{.Duration}}</td>
<td><div class="lane"><div class="bar" style="{{.Bar}}"></div></div></td></tr>
{{end}}</table>
{{if .Processes}}<h3>Processes</h3>
<table>
<tr><th>Service</th><th>Resource attributes</th></tr>
{{range .Processes}}<tr><td>{{.Service}}</td><td>{{if .Tags}}<details><summary>{{len .Tags}} attribute{{if ne (len .Tags) 1}}s{{end}}</summary><dl>{{range .Tags}}<dt>{{.Key}}</dt><dd>{{.Value}}</dd>{{end}}</dl></details>{{else}}<span class="muted">none</span>{{end}}</td></tr>
{{end}}</table>{{end}}
{{- end}}
{{template "foot" .}}{{end}}

{{define "message"}}{{template "head" .}}{{with .Data}}
<h2>{{.Title}}</h2><p>{{.Text}}</p>{{if .Detail}}<pre>{{.Detail}}</pre>{{end}}<p><a href="/">Recent traces</a></p>
{{- end}}
{{template "foot" .}}{{end}}
`))
