// Package api is the ktrdr backend: the HTTP API clients talk to. It knows
// the market-data host service and the workers and reaches them over traced
// HTTP, so one request to it is one trace across every process it touched.
package api

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/ktrdr/ktrdr/internal/dataload"
	"github.com/ktrdr/ktrdr/internal/dispatch"
	"github.com/ktrdr/ktrdr/internal/httpx"
	"github.com/ktrdr/ktrdr/internal/ibhost"
	"github.com/ktrdr/ktrdr/internal/models"
	"github.com/ktrdr/ktrdr/internal/operations"
	"github.com/ktrdr/ktrdr/internal/registry"
	"github.com/ktrdr/ktrdr/internal/strategy"
	"github.com/ktrdr/ktrdr/internal/telemetry"
	"github.com/ktrdr/ktrdr/internal/workerapi"
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
	Peers  []Peer       // services reached by /api/v1/system/ping, besides registered workers
	Client *http.Client // traced client; telemetry.NewHTTPClient

	Store             operations.Store
	Registry          *registry.Registry
	Dispatcher        *dispatch.Dispatcher
	WorkerToken       string           // KTRDR_WORKER_TOKEN: required on worker endpoints when set
	HeartbeatInterval time.Duration    // told to workers when they register
	Metrics           http.Handler     // GET /metrics; nil: not served
	Loader            *dataload.Loader // runs data loads; nil: data endpoints not served
	Bars              *dataload.Store
	Strategies        strategy.Catalog // strategies by name (directory over the embedded examples)
	Models            *models.Store    // nil: model store and training not served
	Host              *ibhost.Client   // the market-data host; backtest starts check their window with it
	Logger            *slog.Logger
	QueryURL          string // Jaeger-compatible query API traces are read from (--query-url); "": trace endpoint answers 503
	JaegerUIURL       string // a Jaeger UI the dashboard links traces to (--jaeger-ui-url); "": the query URL's /trace/{id} page
}

// Server is the API's HTTP surface.
type Server struct {
	cfg Config
	log *slog.Logger
	now func() time.Time
}

// New returns the API server.
func New(cfg Config) *Server {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	if cfg.HeartbeatInterval <= 0 {
		cfg.HeartbeatInterval = 2 * time.Second
	}
	return &Server{cfg: cfg, log: log, now: time.Now}
}

// Handler routes the API. Health checks, heartbeats and metrics scrapes are
// untraced so they never flood the trace backend.
func (s *Server) Handler() http.Handler {
	mux := httpx.NewServiceMux(s.cfg.Info)
	telemetry.HandleUntraced(mux, "GET /api/v1/health", httpx.HealthHandler(s.cfg.Info))
	s.handleDashboard(mux) // GET / (the page for browsers), /ui/, /api/v1/system/config
	telemetry.HandleFunc(mux, "GET /api/v1/system/ping", s.ping)
	if s.cfg.Metrics != nil {
		telemetry.HandleUntraced(mux, "GET /metrics", s.cfg.Metrics)
	}
	telemetry.HandleFunc(mux, "GET /api/v1/indicators", s.listIndicators)
	if s.cfg.Host != nil {
		telemetry.HandleFunc(mux, "GET /api/v1/symbols", s.listSymbols)
	}
	telemetry.HandleFunc(mux, "GET /api/v1/strategies", s.listStrategies)
	telemetry.HandleFunc(mux, "GET /api/v1/strategies/{name}", s.getStrategy)
	telemetry.HandleFunc(mux, "POST /api/v1/strategies/validate", s.validateStrategy)
	if s.cfg.Models != nil {
		telemetry.HandleFunc(mux, models.RoutePut, s.workerAuth(s.putModel))
		telemetry.HandleFunc(mux, "GET /api/v1/models", s.listModels)
		telemetry.HandleFunc(mux, models.RouteGet, s.getModel)
	}
	if s.cfg.Dispatcher == nil {
		return mux
	}
	telemetry.HandleFunc(mux, "POST /api/v1/dummy/start", s.startDummy)
	if s.cfg.Loader != nil {
		telemetry.HandleFunc(mux, "POST /api/v1/data/load", s.startDataLoad)
		telemetry.HandleFunc(mux, "GET /api/v1/data", s.listData)
		telemetry.HandleFunc(mux, "GET /api/v1/data/{symbol}/{timeframe}", s.getBars)
	}
	if s.cfg.Models != nil {
		telemetry.HandleFunc(mux, "POST /api/v1/training/start", s.startTraining)
		telemetry.HandleFunc(mux, "POST /api/v1/backtests/start", s.startBacktest)
		telemetry.HandleFunc(mux, "GET /api/v1/backtests/{id}", s.getBacktest)
	}
	telemetry.HandleFunc(mux, "GET /api/v1/operations", s.listOperations)
	telemetry.HandleFunc(mux, "GET /api/v1/operations/{id}", s.getOperation)
	telemetry.HandleFunc(mux, "GET /api/v1/operations/{id}/metrics", s.getMetrics)
	telemetry.HandleFunc(mux, "GET /api/v1/operations/{id}/trace", s.getTrace)
	telemetry.HandleFunc(mux, "DELETE /api/v1/operations/{id}", s.cancelOperation)
	telemetry.HandleFunc(mux, "GET /api/v1/workers", s.listWorkers)
	telemetry.HandleFunc(mux, "GET /api/v1/workers/{id}", s.getWorker)
	telemetry.HandleFunc(mux, "POST "+workerapi.PathRegister, s.workerAuth(s.registerWorker))
	telemetry.HandleUntraced(mux, "POST "+workerapi.PathHeartbeat, s.workerAuth(s.heartbeat))
	telemetry.HandleFunc(mux, "POST "+workerapi.PathProgress, s.workerAuth(s.reportProgress))
	telemetry.HandleFunc(mux, "POST "+workerapi.PathComplete, s.workerAuth(s.completeOperation))
	return mux
}

func (s *Server) root(w http.ResponseWriter, _ *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, map[string]any{
		"service":     s.cfg.Info.Service,
		"version":     s.cfg.Info.Version,
		"instance_id": s.cfg.Info.InstanceID,
		"endpoints": []string{"GET /health", "GET /api/v1/health", "GET /ping", "GET /api/v1/system/ping",
			"POST /api/v1/dummy/start", "POST /api/v1/data/load", "GET /api/v1/data", "GET /api/v1/data/{symbol}/{timeframe}",
			"GET /api/v1/symbols", "GET /api/v1/indicators", "GET /api/v1/strategies", "GET /api/v1/strategies/{name}", "POST /api/v1/strategies/validate",
			"POST /api/v1/training/start", "POST /api/v1/backtests/start", "GET /api/v1/backtests/{id}", "GET /api/v1/models", "GET /api/v1/models/{strategy}/{timeframe}/{version}",
			"GET /api/v1/operations", "GET /api/v1/operations/{id}",
			"GET /api/v1/operations/{id}/metrics", "GET /api/v1/operations/{id}/trace", "DELETE /api/v1/operations/{id}", "GET /api/v1/workers",
			"GET /api/v1/system/config", "GET /metrics"},
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
	peers := s.peers()
	res := PingResult{
		TraceID: trace.SpanContextFromContext(r.Context()).TraceID().String(),
		Service: s.cfg.Info,
		Peers:   make([]PeerResult, len(peers)),
	}
	var wg sync.WaitGroup
	for i, p := range peers {
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

// peers are the configured peers plus every registered worker that is not
// lost, each once.
func (s *Server) peers() []Peer {
	out := append([]Peer(nil), s.cfg.Peers...)
	if s.cfg.Registry == nil {
		return out
	}
	seen := map[string]bool{}
	for _, p := range out {
		seen[strings.TrimSuffix(p.URL, "/")] = true
	}
	for _, w := range s.cfg.Registry.List() {
		if w.State != workerapi.StateLost && !seen[w.URL] {
			seen[w.URL] = true
			out = append(out, Peer{Name: w.Type + "-worker " + w.ID, URL: w.URL})
		}
	}
	return out
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
