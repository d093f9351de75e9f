package telemetry

import (
	"context"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
)

// Handle registers h on mux at pattern (e.g. "POST /api/v1/training/start")
// wrapped in an otelhttp server span named "{method} {route}" that carries
// http.route. Routes are wrapped one by one, not the whole mux, so routes
// registered with HandleUntraced (health checks) never make spans, and
// otelhttp sees the matched pattern.
func Handle(mux *http.ServeMux, pattern string, h http.Handler) {
	mux.Handle(pattern, otelhttp.NewHandler(h, pattern, otelhttp.WithSpanNameFormatter(serverSpanName),
		otelhttp.WithFilter(func(r *http.Request) bool { return r.Header.Get(PollHeader) == "" })))
}

// PollHeader marks a status poll (any value): servers make no span for it,
// so a client watching an operation adds nothing to any trace and does not
// start one trace per poll.
const PollHeader = "X-Ktrdr-Poll"

// HandleFunc is Handle for a function.
func HandleFunc(mux *http.ServeMux, pattern string, h http.HandlerFunc) { Handle(mux, pattern, h) }

// HandleUntraced registers h without tracing: for health checks and
// heartbeats, which must not flood the trace backend.
func HandleUntraced(mux *http.ServeMux, pattern string, h http.Handler) { mux.Handle(pattern, h) }

// serverSpanName is "{method} {route}", the route being the mux pattern
// without its method and host parts.
func serverSpanName(_ string, r *http.Request) string {
	return r.Method + " " + Route(r.Pattern)
}

// Route strips the method and host from a ServeMux pattern: "GET /x/{id}" → "/x/{id}".
func Route(pattern string) string {
	if i := strings.IndexByte(pattern, ' '); i >= 0 {
		pattern = strings.TrimLeft(pattern[i+1:], " \t")
	}
	if i := strings.IndexByte(pattern, '/'); i > 0 {
		pattern = pattern[i:]
	}
	// "{$}" only anchors the match; it is not part of the route users see.
	return strings.TrimSuffix(pattern, "{$}")
}

// NewHTTPClient returns a client whose requests are client spans named
// "{method} {path}" that inject traceparent and baggage into the request.
func NewHTTPClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: otelhttp.NewTransport(http.DefaultTransport,
			// The global provider, not the one of the span in the request's
			// context: a context restored from a stored traceparent holds a
			// remote span context whose provider is a no-op.
			otelhttp.WithTracerProvider(otel.GetTracerProvider()),
			otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
				if route, ok := r.Context().Value(routeKey{}).(string); ok {
					return r.Method + " " + route
				}
				return r.Method + " " + r.URL.Path
			})),
	}
}

type routeKey struct{}

// WithRoute names the route template of the next client request made with
// ctx ("/api/v1/operations/{id}/complete"), so its span is named by the
// template rather than by a path holding an id.
func WithRoute(ctx context.Context, route string) context.Context {
	return context.WithValue(ctx, routeKey{}, route)
}
