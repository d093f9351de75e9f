// Package ibhost is the market-data host service (the "IB host service"):
// it serves OHLCV bars to the API and the workers.
package ibhost

import (
	"net/http"

	"github.com/ktrdr/ktrdr/internal/httpx"
)

// ServiceName is the host service's service.name.
const ServiceName = "ktrdr-ib-host-service"

// Server is the host service's HTTP surface.
type Server struct {
	info httpx.Info
}

// New returns the host service.
func New(info httpx.Info) *Server { return &Server{info: info} }

// Handler routes the host service.
func (s *Server) Handler() http.Handler {
	return httpx.NewServiceMux(s.info)
}
