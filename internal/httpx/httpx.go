// Package httpx holds the HTTP plumbing every ktrdr service shares: JSON
// answers, the error shape clients rely on, health and ping handlers, and a
// server loop that shuts down gracefully.
package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/ktrdr/ktrdr/internal/telemetry"
)

// WriteJSON answers v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client went away; nothing useful to do
}

// ErrorBody is the error shape of every ktrdr API:
// {"error": {"code": "invalid_argument", "message": "...", "field": "timeframe"}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of ErrorBody.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// WriteError answers an error in the shared shape.
func WriteError(w http.ResponseWriter, status int, code, message, field string) {
	WriteJSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: message, Field: field}})
}

// Info identifies a running service in health and ping answers.
type Info struct {
	Service    string `json:"service"`
	Version    string `json:"version"`
	InstanceID string `json:"instance_id"`
	WorkerID   string `json:"worker_id,omitempty"`
	WorkerType string `json:"worker_type,omitempty"`
}

// Health is the body of GET /health.
type Health struct {
	Info
	Status string `json:"status"`
}

// HealthHandler answers {"service","version","instance_id","status":"ok"}.
// It is meant to be registered untraced.
func HealthHandler(info Info) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		WriteJSON(w, http.StatusOK, Health{Info: info, Status: "ok"})
	}
}

// Pong is the body of GET /ping: who answered, and when.
type Pong struct {
	Info
	Time time.Time `json:"time"`
}

// PingHandler answers a Pong; registered traced, it is the cheapest way to
// see a service in a trace.
func PingHandler(info Info) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		WriteJSON(w, http.StatusOK, Pong{Info: info, Time: time.Now().UTC()})
	}
}

// NewServiceMux returns the routes every ktrdr service has: GET /health
// (untraced, so health checks never flood the trace backend), a traced
// GET /ping, and the shared error shape for unknown routes. Services add
// their own routes to it.
func NewServiceMux(info Info) *http.ServeMux {
	mux := http.NewServeMux()
	telemetry.HandleUntraced(mux, "GET /health", HealthHandler(info))
	telemetry.HandleFunc(mux, "GET /ping", PingHandler(info))
	mux.HandleFunc("/", NotFound)
	return mux
}

// NotFound answers unknown routes in the shared error shape.
func NotFound(w http.ResponseWriter, r *http.Request) {
	WriteError(w, http.StatusNotFound, "not_found", fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path), "")
}

// Serve serves h on ln until ctx is done, then stops accepting and waits up
// to grace for in-flight requests.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, grace time.Duration, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("http shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
