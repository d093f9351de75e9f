package api

import (
	"net/http"

	"github.com/ktrdr/ktrdr/internal/dashboard"
	"github.com/ktrdr/ktrdr/internal/httpx"
	"github.com/ktrdr/ktrdr/internal/telemetry"
)

// handleDashboard registers the web dashboard: the page at GET / for
// browsers (JSON service info for every other client), its embedded assets
// under /ui/ and the page's configuration. They are ordinary traced routes;
// the page's own polls carry telemetry.PollHeader and make no spans.
func (s *Server) handleDashboard(mux *http.ServeMux) {
	telemetry.HandleFunc(mux, "GET /{$}", s.index)
	telemetry.Handle(mux, "GET "+dashboard.Prefix, dashboard.Assets())
	telemetry.HandleFunc(mux, "GET /api/v1/system/config", s.systemConfig)
}

// index: GET / is the dashboard when the Accept header names text/html,
// else the service info as JSON (benchmarks and scripts rely on it).
func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	w.Header().Add("Vary", "Accept")
	if dashboard.WantsHTML(r) {
		dashboard.ServeIndex(w, r)
		return
	}
	s.root(w, r)
}

// SystemConfig is GET /api/v1/system/config: what the dashboard needs to
// link to traces. JaegerUIURL is empty unless --jaeger-ui-url is given
// (Jaeger built from source has no UI); then the page links to the trace
// page the embedded collector serves at QueryURL/trace/{id}.
type SystemConfig struct {
	QueryURL    string `json:"query_url"`
	JaegerUIURL string `json:"jaeger_ui_url"`
}

func (s *Server) systemConfig(w http.ResponseWriter, _ *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, SystemConfig{QueryURL: s.cfg.QueryURL, JaegerUIURL: s.cfg.JaegerUIURL})
}
