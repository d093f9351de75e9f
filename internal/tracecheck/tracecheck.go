// Package tracecheck validates, strictly, that distributed tracing works end
// to end, as the original system's validation guide promised: the trace
// backend and the API are reachable, a request through the API reaches every
// service, and the resulting trace — read back only through Jaeger's HTTP
// query API, so a real Jaeger works unchanged — holds every service kind with
// its HTTP and resource attributes, linked parent to child.
package tracecheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/ktrdr/ktrdr/internal/api"
	"github.com/ktrdr/ktrdr/internal/httpx"
	"github.com/ktrdr/ktrdr/internal/jaegerapi"
)

// Service names and prefixes the check requires.
const (
	APIService      = "ktrdr-api"
	IBHostService   = "ktrdr-ib-host-service"
	TrainingPrefix  = "ktrdr-training-worker-"
	BacktestPrefix  = "ktrdr-backtest-worker-"
	DefaultQueryURL = "http://localhost:16686"
	DefaultAPIURL   = "http://localhost:8000"
)

// Required span and resource attributes.
var (
	HTTPAttributes     = []string{"http.request.method", "http.route", "http.response.status_code"}
	ResourceAttributes = []string{"service.version", "deployment.environment.name", "service.instance.id"}
)

// Options configure a check.
type Options struct {
	QueryURL string        // Jaeger query API base URL
	APIURL   string        // ktrdr API base URL
	Wait     time.Duration // how long to wait for spans to be exported
	Out      io.Writer     // progress lines; nil discards
}

// Check is one named requirement and whether it held.
type Check struct {
	Name   string
	OK     bool
	Detail string
}

// Report is the outcome of Run.
type Report struct {
	Checks  []Check
	TraceID string
}

// Passed tells whether every check held.
func (r Report) Passed() bool { return len(r.Failed()) == 0 }

// Failed lists the checks that did not hold.
func (r Report) Failed() []Check {
	var out []Check
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c)
		}
	}
	return out
}

type checker struct {
	opts   Options
	report Report
	http   *http.Client
	query  *jaegerapi.Client
}

func (c *checker) add(name string, ok bool, detail string, args ...any) bool {
	ch := Check{Name: name, OK: ok, Detail: fmt.Sprintf(detail, args...)}
	c.report.Checks = append(c.report.Checks, ch)
	if c.opts.Out != nil {
		mark := "✓"
		if !ok {
			mark = "✗"
		}
		line := mark + " " + name
		if ch.Detail != "" {
			line += ": " + ch.Detail
		}
		fmt.Fprintln(c.opts.Out, line)
	}
	return ok
}

// Run performs the check. It stops at the first check that makes the rest
// meaningless (nothing reachable, no trace), and otherwise reports every miss.
func Run(ctx context.Context, opts Options) Report {
	if opts.QueryURL == "" {
		opts.QueryURL = DefaultQueryURL
	}
	if opts.APIURL == "" {
		opts.APIURL = DefaultAPIURL
	}
	if opts.Wait <= 0 {
		opts.Wait = 60 * time.Second
	}
	c := &checker{opts: opts, http: &http.Client{Timeout: 30 * time.Second}, query: jaegerapi.NewClient(opts.QueryURL)}
	c.run(ctx)
	return c.report
}

func (c *checker) run(ctx context.Context) {
	// 1. Trace backend.
	if _, err := c.query.Services(ctx); !c.add("trace query API reachable", err == nil, "%s%s", c.opts.QueryURL, errSuffix(err)) {
		return
	}
	// 2. Backend.
	var health httpx.Health
	err := c.getJSON(ctx, c.opts.APIURL+"/health", &health)
	if err == nil && health.Service != APIService {
		err = fmt.Errorf("service is %q, want %q", health.Service, APIService)
	}
	if !c.add("API reachable", err == nil, "%s/health%s", c.opts.APIURL, errSuffix(err)) {
		return
	}
	// 3. One request through the API to every service.
	var ping api.PingResult
	err = c.getJSON(ctx, c.opts.APIURL+"/api/v1/system/ping", &ping)
	if err == nil && len(ping.TraceID) != 32 {
		err = fmt.Errorf("answer has no trace_id (is tracing disabled in the API?)")
	}
	if !c.add("request through the API reached every service", err == nil, "%s%s", pingSummary(ping), errSuffix(err)) {
		return
	}
	c.report.TraceID = ping.TraceID
	expected := []string{APIService}
	for _, p := range ping.Peers {
		expected = append(expected, p.Pong.Service)
	}

	// 4. Wait for the exporters' batches to arrive.
	tr, missing := c.waitForTrace(ctx, ping.TraceID, expected)
	if !c.add("trace exported", len(missing) == 0, "trace %s%s", ping.TraceID, listSuffix("has no spans of", missing)) && len(tr.Spans) == 0 {
		return
	}

	// 5. Every service kind known to the backend.
	services, err := c.query.Services(ctx)
	c.add("services listed", err == nil, "%d services%s", len(services), errSuffix(err))
	for _, want := range []struct{ name, pattern string }{
		{"API service", APIService}, {"IB host service", IBHostService},
		{"training worker service", TrainingPrefix + "*"}, {"backtest worker service", BacktestPrefix + "*"},
	} {
		found := matching(services, want.pattern)
		c.add(want.name+" in backend", len(found) > 0, "%s", foundOrMissing(found, want.pattern))
	}

	// 6. Search works per service, and every server span carries HTTP attributes.
	byService := spansByService(tr)
	for _, svc := range expected {
		traces, err := c.query.FindTraces(ctx, jaegerapi.Query{Service: svc, Lookback: time.Hour, Limit: 20})
		c.add("traces searchable for "+svc, err == nil && len(traces) > 0, "%d found%s", len(traces), errSuffix(err))
		var server *jaegerapi.Span
		for _, s := range byService[svc] {
			if v, _ := jaegerapi.Tag(s.Tags, "span.kind"); v == "server" {
				server = &s
				break
			}
		}
		if !c.add("server span of "+svc, server != nil, "") {
			continue
		}
		var missingAttrs []string
		for _, k := range HTTPAttributes {
			if _, ok := jaegerapi.Tag(server.Tags, k); !ok {
				missingAttrs = append(missingAttrs, k)
			}
		}
		c.add("HTTP attributes on "+svc, len(missingAttrs) == 0, "span %q%s", server.OperationName, listSuffix("lacks", missingAttrs))
		// Linking: every peer's server span is a child of an API span.
		if svc != APIService {
			parent := findSpan(tr, server.ParentSpanID())
			ok := parent != nil && tr.Processes[parent.ProcessID].ServiceName == APIService
			c.add("trace context propagated to "+svc, ok, "parent of %q is %s", server.OperationName, describe(tr, parent))
		}
	}

	// 7. Resource attributes and unique worker identities.
	instances := map[string]string{} // instance id → service
	for _, svc := range expected {
		procs := processesOf(tr, svc)
		for _, p := range procs {
			var missingAttrs []string
			for _, k := range ResourceAttributes {
				if v, ok := jaegerapi.Tag(p.Tags, k); !ok || fmt.Sprint(v) == "" {
					missingAttrs = append(missingAttrs, k)
				}
			}
			c.add("resource attributes of "+svc, len(missingAttrs) == 0, "%s", strings.TrimPrefix(listSuffix("lacks", missingAttrs), ": "))
			id, _ := jaegerapi.Tag(p.Tags, "service.instance.id")
			if other, dup := instances[fmt.Sprint(id)]; dup {
				c.add("unique service.instance.id", false, "%v is used by %s and %s", id, other, svc)
			}
			instances[fmt.Sprint(id)] = svc
		}
	}
	workerPeers, workerNames := 0, map[string]bool{}
	for _, p := range ping.Peers {
		if isWorker(p.Pong.Service) {
			workerPeers++
			workerNames[p.Pong.Service] = true
		}
	}
	c.add("unique worker service names", len(workerNames) == workerPeers, "%d workers, %d distinct service names", workerPeers, len(workerNames))
}

// waitForTrace polls the trace until every expected service has a span in
// it, or the wait is over. It returns the last trace seen and the services
// still missing.
func (c *checker) waitForTrace(ctx context.Context, traceID string, expected []string) (jaegerapi.Trace, []string) {
	deadline := time.Now().Add(c.opts.Wait)
	var tr jaegerapi.Trace
	for {
		var missing []string
		t, err := c.query.Trace(ctx, traceID)
		if err == nil {
			tr = t
		}
		have := spansByService(tr)
		for _, s := range expected {
			if len(have[s]) == 0 {
				missing = append(missing, s)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			return tr, missing
		}
		select {
		case <-ctx.Done():
			return tr, missing
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func (c *checker) getJSON(ctx context.Context, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("answered %s with undecodable JSON: %w", resp.Status, err)
	}
	if resp.StatusCode != http.StatusOK {
		return errors.New("answered " + resp.Status)
	}
	return nil
}

func pingSummary(p api.PingResult) string {
	var parts []string
	for _, peer := range p.Peers {
		if peer.OK {
			parts = append(parts, peer.Pong.Service)
		} else {
			parts = append(parts, fmt.Sprintf("%s (%s) FAILED: %s", peer.Name, peer.URL, peer.Error))
		}
	}
	if len(parts) == 0 {
		return "no peers"
	}
	return strings.Join(parts, ", ")
}

func spansByService(tr jaegerapi.Trace) map[string][]jaegerapi.Span {
	out := map[string][]jaegerapi.Span{}
	for _, s := range tr.Spans {
		svc := tr.Processes[s.ProcessID].ServiceName
		out[svc] = append(out[svc], s)
	}
	return out
}

func processesOf(tr jaegerapi.Trace, service string) []jaegerapi.Process {
	var out []jaegerapi.Process
	ids := make([]string, 0, len(tr.Processes))
	for id := range tr.Processes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if tr.Processes[id].ServiceName == service {
			out = append(out, tr.Processes[id])
		}
	}
	return out
}

func findSpan(tr jaegerapi.Trace, id string) *jaegerapi.Span {
	for i := range tr.Spans {
		if id != "" && tr.Spans[i].SpanID == id {
			return &tr.Spans[i]
		}
	}
	return nil
}

func describe(tr jaegerapi.Trace, s *jaegerapi.Span) string {
	if s == nil {
		return "missing"
	}
	return fmt.Sprintf("%q of %s", s.OperationName, tr.Processes[s.ProcessID].ServiceName)
}

func isWorker(service string) bool {
	return strings.HasPrefix(service, TrainingPrefix) || strings.HasPrefix(service, BacktestPrefix)
}

// matching returns the services equal to pattern, or starting with it when it ends in '*'.
func matching(services []string, pattern string) []string {
	var out []string
	for _, s := range services {
		if p, ok := strings.CutSuffix(pattern, "*"); ok && strings.HasPrefix(s, p) || s == pattern {
			out = append(out, s)
		}
	}
	return out
}

func errSuffix(err error) string {
	if err == nil {
		return ""
	}
	return ": " + err.Error()
}

func listSuffix(verb string, items []string) string {
	if len(items) == 0 {
		return ""
	}
	return ": " + verb + " " + strings.Join(items, ", ")
}

func foundOrMissing(found []string, pattern string) string {
	if len(found) == 0 {
		return "no service matches " + pattern
	}
	return strings.Join(found, ", ")
}
