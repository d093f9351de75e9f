// Package tracepage is ktrdr's small trace viewer: a server-rendered HTML
// page listing services and recent traces, and a waterfall of one trace.
//
// It renders only from Jaeger's query API model (package jaegerapi), read
// through a Source, so the same page works over the embedded collector's
// store and over any Jaeger-compatible query API (a real Jaeger, or another
// collector via jaegerapi.Client). Pages are html/template output with no
// JavaScript and no external assets; span data is always escaped.
package tracepage

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sync"

	"github.com/ktrdr/ktrdr/internal/jaegerapi"
)

// Source is what the page reads traces from. *jaegerapi.Client satisfies it.
// Errors that are a *jaegerapi.StatusError with Status 404 mean "no such
// trace"; any other error means the source could not answer.
type Source interface {
	Services(ctx context.Context) ([]string, error)
	FindTraces(ctx context.Context, q jaegerapi.Query) ([]jaegerapi.Trace, error)
	Trace(ctx context.Context, traceID string) (jaegerapi.Trace, error)
}

// Options adjusts the page to where it is served.
type Options struct {
	Title    string        // header and window title; default "ktrdr traces"
	Source   string        // where traces come from (a query URL), named on error pages
	Footer   func() string // a line under every page, e.g. store stats; nil for none
	JSONLink bool          // link each trace to /api/traces/{id} on the same server
}

// recentTraces is how many traces the index lists, newest first.
const recentTraces = 50

// searchConcurrency bounds the per-service searches of the all-services index.
const searchConcurrency = 8

// Handler serves GET / (services and recent traces; ?service=X narrows to one
// service) and GET /trace/{traceID} (one trace as a waterfall). Other paths
// answer a 404 page.
func Handler(src Source, opts Options) http.Handler {
	opts.Title = cmp.Or(opts.Title, "ktrdr traces")
	s := &server{src: src, opts: opts}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.index)
	mux.HandleFunc("GET /trace/{traceID}", s.trace)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.render(w, http.StatusNotFound, "message", "Not found", message{Title: "Not found", Text: "There is no page at " + r.URL.Path + "."})
	})
	return mux
}

type server struct {
	src  Source
	opts Options
}

func (s *server) index(w http.ResponseWriter, r *http.Request) {
	selected := r.URL.Query().Get("service")
	services, err := s.src.Services(r.Context())
	if err != nil {
		s.unreachable(w, err)
		return
	}
	services = slices.Sorted(slices.Values(services)) // Jaeger lists them in no particular order
	search := services
	if selected != "" {
		search = []string{selected}
	}
	traces, err := s.recent(r.Context(), search)
	if err != nil {
		s.unreachable(w, err)
		return
	}
	data := indexData{Services: services, Selected: selected}
	for _, t := range traces {
		data.Traces = append(data.Traces, summarize(newTree(t)))
	}
	s.render(w, http.StatusOK, "index", "Recent traces", data)
}

// recent returns the newest traces touching any of services. Jaeger's search
// needs a service, so it searches each one and merges: a trace crossing
// several services is found several times and listed once.
func (s *server) recent(ctx context.Context, services []string) ([]jaegerapi.Trace, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([][]jaegerapi.Trace, len(services))
	var (
		mu       sync.Mutex
		firstErr error // the cause; searches canceled because of it fail too
		wg       sync.WaitGroup
	)
	sem := make(chan struct{}, searchConcurrency)
	for i, svc := range services {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			ts, err := s.src.FindTraces(ctx, jaegerapi.Query{Service: svc, Limit: recentTraces})
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = fmt.Errorf("searching traces of %s: %w", svc, err)
				cancel()
			}
			results[i] = ts
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}

	seen := make(map[string]bool)
	var out []jaegerapi.Trace
	for _, ts := range results {
		for _, t := range ts {
			if id := normalizeID(t.TraceID); !seen[id] && len(t.Spans) > 0 {
				seen[id] = true
				out = append(out, t)
			}
		}
	}
	starts := make(map[string]uint64, len(out))
	for _, t := range out {
		starts[t.TraceID] = traceStart(t)
	}
	slices.SortFunc(out, func(a, b jaegerapi.Trace) int {
		return cmp.Or(cmp.Compare(starts[b.TraceID], starts[a.TraceID]), cmp.Compare(a.TraceID, b.TraceID))
	})
	return out[:min(len(out), recentTraces)], nil
}

// validTraceID is Jaeger's trace id syntax: up to 32 hex digits, leading
// zeros optional.
var validTraceID = regexp.MustCompile(`^[0-9a-fA-F]{1,32}$`)

func (s *server) trace(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("traceID")
	if !validTraceID.MatchString(id) {
		s.render(w, http.StatusBadRequest, "message", "Bad trace ID", message{Title: "Bad trace ID", Text: "A trace ID is 1 to 32 hexadecimal digits, not " + id + "."})
		return
	}
	t, err := s.src.Trace(r.Context(), id)
	var se *jaegerapi.StatusError
	switch {
	case errors.As(err, &se) && se.Status == http.StatusNotFound, err == nil && len(t.Spans) == 0:
		s.render(w, http.StatusNotFound, "message", "Trace not found", message{Title: "Trace not found",
			Text: "The trace source has no trace " + id + ": it may never have arrived, or it was evicted or expired."})
		return
	case err != nil:
		s.unreachable(w, err)
		return
	}
	tr := newTree(t)
	data := traceData{traceSummary: summarize(tr), Rows: waterfall(tr), Processes: processes(t), Warnings: t.Warnings, JSONLink: s.opts.JSONLink}
	s.render(w, http.StatusOK, "trace", data.Root, data)
}

// unreachable answers 502: the page is a gateway to the query API, and the
// reader needs to know which one failed.
func (s *server) unreachable(w http.ResponseWriter, err error) {
	text := "The trace source did not answer."
	if s.opts.Source != "" {
		text = "The trace query API at " + s.opts.Source + " did not answer."
	}
	s.render(w, http.StatusBadGateway, "message", "Cannot read traces", message{Title: "Cannot read traces", Text: text, Detail: err.Error()})
}

// layout is what every template gets: the page's own data plus the chrome.
type layout struct {
	Site, Title, Footer string
	Data                any
}

func (s *server) render(w http.ResponseWriter, code int, name, title string, data any) {
	l := layout{Site: s.opts.Title, Title: title, Data: data}
	if s.opts.Footer != nil {
		l.Footer = s.opts.Footer()
	}
	// Render to a buffer first so a template error is a clean 500, not half a page.
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, name, l); err != nil {
		http.Error(w, "cannot render page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = buf.WriteTo(w)
}
