package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/ktrdr/ktrdr/internal/features"
	"github.com/ktrdr/ktrdr/internal/httpx"
	"github.com/ktrdr/ktrdr/internal/strategy"
)

// StrategyView is GET /api/v1/strategies/{name}: the strategy as written
// and what it makes.
type StrategyView struct {
	Name        string             `json:"name"`
	Description string             `json:"description"`
	Version     string             `json:"version"`
	Hypothesis  string             `json:"hypothesis"`
	Symbols     []string           `json:"symbols"`
	Timeframes  []string           `json:"timeframes"`
	Base        string             `json:"base_timeframe"`
	Indicators  []IndicatorView    `json:"indicators"`
	Features    []string           `json:"features"`
	Hash        string             `json:"strategy_hash"`
	Warnings    []strategy.Warning `json:"warnings"`
	YAML        string             `json:"yaml"`
}

// IndicatorView is one indicator of a strategy.
type IndicatorView struct {
	Name      string             `json:"name"`
	FeatureID string             `json:"feature_id"`
	Source    string             `json:"source,omitempty"`
	Params    map[string]float64 `json:"params"`
}

func strategyView(s *strategy.Strategy, warns []strategy.Warning) StrategyView {
	v := StrategyView{Name: s.Name, Description: s.Description, Version: s.Version, Hypothesis: s.Hypothesis,
		Symbols: s.Symbols, Base: string(s.BaseTimeframe), Features: features.Names(s), Hash: s.Hash(),
		Warnings: warns, YAML: string(s.Raw)}
	if v.Warnings == nil {
		v.Warnings = []strategy.Warning{}
	}
	for _, tf := range s.Timeframes {
		v.Timeframes = append(v.Timeframes, string(tf))
	}
	for _, ind := range s.Indicators {
		v.Indicators = append(v.Indicators, IndicatorView{Name: ind.Name, FeatureID: ind.FeatureID, Source: ind.Source, Params: ind.Params})
	}
	return v
}

func (s *Server) listStrategies(w http.ResponseWriter, r *http.Request) {
	list, err := s.cfg.Strategies.List()
	if err != nil {
		s.writeErr(w, err)
		return
	}
	if list == nil {
		list = []strategy.Summary{}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"strategies": list})
}

func (s *Server) getStrategy(w http.ResponseWriter, r *http.Request) {
	st, warns, err := s.cfg.Strategies.Get(r.PathValue("name"))
	if errors.Is(err, strategy.ErrNotFound) {
		httpx.WriteError(w, http.StatusNotFound, "not_found", "no strategy named "+r.PathValue("name"), "")
		return
	}
	var ve *strategy.ValidationError
	if errors.As(err, &ve) {
		writeInvalidStrategy(w, ve, nil)
		return
	}
	if err != nil {
		s.writeErr(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, strategyView(st, warns))
}

// validateStrategy: POST /api/v1/strategies/validate. The body is the YAML
// itself, or JSON {"yaml": "..."}. A valid strategy answers 200 with what
// it makes; an invalid one 422 with every problem by path.
func (s *Server) validateStrategy(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		httpx.WriteError(w, http.StatusRequestEntityTooLarge, "too_large", "strategy larger than 1 MiB", "")
		return
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var body struct {
			YAML string `json:"yaml"`
		}
		if err := json.Unmarshal(raw, &body); err != nil || body.YAML == "" {
			httpx.WriteRequestError(w, httpx.BadField("yaml", "send the strategy as {\"yaml\": \"...\"} or as a YAML body"))
			return
		}
		raw = []byte(body.YAML)
	}
	st, warns, err := strategy.Parse(raw)
	var ve *strategy.ValidationError
	if errors.As(err, &ve) {
		writeInvalidStrategy(w, ve, warns)
		return
	}
	if err != nil {
		s.writeErr(w, err)
		return
	}
	v := strategyView(st, warns)
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"valid": true, "strategy": v})
}

// invalidStrategy is the 422 answer for a strategy with problems: the
// shared error shape (field = the first problem's path) plus every problem.
type invalidStrategy struct {
	Error    httpx.ErrorDetail  `json:"error"`
	Valid    bool               `json:"valid"`
	Problems []strategy.Problem `json:"problems"`
	Warnings []strategy.Warning `json:"warnings"`
}

func writeInvalidStrategy(w http.ResponseWriter, ve *strategy.ValidationError, warns []strategy.Warning) {
	body := invalidStrategy{Error: httpx.ErrorDetail{Code: "invalid_strategy", Message: ve.Error()}, Problems: ve.Problems, Warnings: warns}
	if len(ve.Problems) > 0 {
		body.Error.Field = ve.Problems[0].Path
	}
	if body.Warnings == nil {
		body.Warnings = []strategy.Warning{}
	}
	httpx.WriteJSON(w, http.StatusUnprocessableEntity, body)
}
