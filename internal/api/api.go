// Package api is the ktrdr backend: the HTTP API clients talk to. It knows
// the market-data host service and the workers and reaches them over traced
// HTTP, so one request to it is one trace across every process it touched.
package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/trace"

	"github.com/ktrdr/ktrdr/internal/httpx"
	"github.com/ktrdr/ktrdr/internal/telemetry"
)

// ServiceName is the API's service.name.
const ServiceName = "ktrdr-api"

// Peer is another service the API calls.
type Peer struct {
	Name string // e.g. "ib-host", "worker-1"
	URL  string // base URL, e.g. http://127.0.0.1:5001
}

// Config wires the API to the rest of the system.
type Config struct {
	Info   httpx.Info
	Peers  []Peer       // services reached by /api/v1/system/ping
	Client *http.Client // traced client; telemetry.NewHTTPClient
}

// Server is the API's HTTP surface.
type Server struct {
	cfg Config
}

// New returns the API server.
func New(cfg Config) *Server { return &Server{cfg: cfg} }

// Handler routes the API. Health routes are untraced.
func (s *Server) Handler() http.Handler {
	mux := httpx.NewServiceMux(s.cfg.Info)
	telemetry.HandleUntraced(mux, "GET /api/v1/health", httpx.HealthHandler(s.cfg.Info))
	telemetry.HandleFunc(mux, "GET /{$}", s.root)
	telemetry.HandleFunc(mux, "GET /api/v1/system/ping", s.ping)
	return mux
}

func (s *Server) root(w http.ResponseWriter, _ *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, map[string]any{
		"service":     s.cfg.Info.Service,
		"version":     s.cfg.Info.Version,
		"instance_id": s.cfg.Info.InstanceID,
		"endpoints":   []string{"GET /health", "GET /api/v1/health", "GET /ping", "GET /api/v1/system/ping"},
	})
}

// PingResult is the answer of GET /api/v1/system/ping: the trace it made
// and what every peer said.
type PingResult struct {
	TraceID string       `json:"trace_id"`
	Service httpx.Info   `json:"service"`
	Peers   []PeerResult `json:"peers"`
}

// PeerResult is one peer's answer to ping.
type PeerResult struct {
	Name   string      `json:"name"`
	URL    string      `json:"url"`
	OK     bool        `json:"ok"`
	Status int         `json:"status,omitempty"`
	Pong   *httpx.Pong `json:"pong,omitempty"`
	Error  string      `json:"error,omitempty"`
}

// ping calls every peer's traced /ping concurrently, so the trace it makes
// crosses every process. It answers 502 when a peer failed.
func (s *Server) ping(w http.ResponseWriter, r *http.Request) {
	res := PingResult{
		TraceID: trace.SpanContextFromContext(r.Context()).TraceID().String(),
		Service: s.cfg.Info,
		Peers:   make([]PeerResult, len(s.cfg.Peers)),
	}
	var wg sync.WaitGroup
	for i, p := range s.cfg.Peers {
		wg.Go(func() { res.Peers[i] = s.pingPeer(r.Context(), p) })
	}
	wg.Wait()
	status := http.StatusOK
	for _, p := range res.Peers {
		if !p.OK {
			status = http.StatusBadGateway
		}
	}
	httpx.WriteJSON(w, status, res)
}

func (s *Server) pingPeer(ctx context.Context, p Peer) PeerResult {
	out := PeerResult{Name: p.Name, URL: p.URL}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(p.URL, "/")+"/ping", nil)
	if err != nil {
		out.Error = err.Error()
		return out
	}
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		out.Error = err.Error()
		return out
	}
	defer resp.Body.Close()
	out.Status = resp.StatusCode
	if resp.StatusCode != http.StatusOK {
		out.Error = fmt.Sprintf("%s answered %s", p.Name, resp.Status)
		return out
	}
	var pong httpx.Pong
	if err := json.NewDecoder(resp.Body).Decode(&pong); err != nil {
		out.Error = "bad ping answer: " + err.Error()
		return out
	}
	out.OK, out.Pong = true, &pong
	return out
}
