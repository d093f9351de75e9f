package api

import (
	"net/http"

	"github.com/ktrdr/ktrdr/internal/httpx"
	"github.com/ktrdr/ktrdr/internal/ibhost"
	"github.com/ktrdr/ktrdr/internal/indicators"
)

// IndicatorInfo is one entry of GET /api/v1/indicators: what a strategy
// can name in its indicators list.
type IndicatorInfo struct {
	Name        string      `json:"name"`
	Aliases     []string    `json:"aliases"`
	Description string      `json:"description"`
	UsesSource  bool        `json:"uses_source"`
	Outputs     []string    `json:"outputs"`
	Params      []ParamInfo `json:"params"`
}

// ParamInfo is one numeric parameter of an indicator.
type ParamInfo struct {
	Name    string  `json:"name"`
	Default float64 `json:"default"`
	Min     float64 `json:"min"`
	Max     float64 `json:"max,omitempty"` // absent: unbounded
	Integer bool    `json:"integer"`
	Doc     string  `json:"doc,omitempty"`
}

func (s *Server) listIndicators(w http.ResponseWriter, _ *http.Request) {
	all := indicators.All()
	out := make([]IndicatorInfo, len(all))
	for i, d := range all {
		out[i] = IndicatorInfo{Name: d.Name, Aliases: append([]string{}, d.Aliases...), Description: d.Description,
			UsesSource: d.UsesSource, Outputs: d.Outputs, Params: []ParamInfo{}}
		for _, p := range d.Params {
			out[i].Params = append(out[i].Params, ParamInfo{Name: p.Name, Default: p.Default, Min: p.Min, Max: p.Max, Integer: p.Integer, Doc: p.Doc})
		}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"indicators": out})
}

// listSymbols: GET /api/v1/symbols, what the market-data host can serve.
func (s *Server) listSymbols(w http.ResponseWriter, r *http.Request) {
	syms, err := s.cfg.Host.Symbols(r.Context())
	if err != nil {
		httpx.WriteError(w, http.StatusBadGateway, "upstream", "market-data host: "+err.Error(), "")
		return
	}
	if syms == nil {
		syms = []ibhost.SymbolInfo{}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"symbols": syms})
}
