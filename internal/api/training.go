package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/ktrdr/ktrdr/internal/httpx"
	"github.com/ktrdr/ktrdr/internal/operations"
	"github.com/ktrdr/ktrdr/internal/strategy"
	"github.com/ktrdr/ktrdr/internal/training"
	"github.com/ktrdr/ktrdr/internal/workers"
)

// trainingRequest is the body of POST /api/v1/training/start.
type trainingRequest struct {
	Strategy   string   `json:"strategy"`
	Symbols    []string `json:"symbols"`
	Timeframes []string `json:"timeframes"`
	Start      string   `json:"start"`
	End        string   `json:"end"`
	Seed       uint64   `json:"seed"`
}

// startTraining resolves the strategy by name, checks the whole plan here
// (so a bad request is a 400, not a failed operation) and dispatches it
// with the strategy's YAML inside the params.
func (s *Server) startTraining(w http.ResponseWriter, r *http.Request) {
	var body trainingRequest
	if e := httpx.DecodeJSON(w, r, 64<<10, &body); e != nil {
		httpx.WriteRequestError(w, e)
		return
	}
	st, e := s.startStrategy(body.Strategy)
	if e != nil {
		httpx.WriteRequestError(w, e)
		return
	}
	p := training.Params{Strategy: st.Name, StrategyYAML: string(st.Raw), Symbols: body.Symbols, Timeframes: body.Timeframes,
		Start: body.Start, End: body.End, Seed: body.Seed}
	plan, err := training.NewPlan(p)
	var pe *workers.ParamError
	if errors.As(err, &pe) {
		httpx.WriteRequestError(w, httpx.BadField(pe.Field, "%s", pe.Error()))
		return
	}
	if err != nil {
		s.writeErr(w, err)
		return
	}
	p.Seed = plan.Seed
	params, _ := json.Marshal(p)
	s.submit(w, r, &operations.Operation{
		ID: operations.NewID(operations.TypeTraining, s.now()), Type: operations.TypeTraining, WorkerType: "training", Params: params,
	})
}

// startStrategy resolves the strategy a start request names; any problem
// is a 400 about the strategy field.
func (s *Server) startStrategy(name string) (*strategy.Strategy, *httpx.RequestError) {
	if name == "" {
		return nil, httpx.BadField("strategy", "strategy is required: the name of a strategy (GET /api/v1/strategies)")
	}
	st, _, err := s.cfg.Strategies.Get(name)
	if errors.Is(err, strategy.ErrNotFound) {
		return nil, httpx.BadField("strategy", "unknown strategy %q (GET /api/v1/strategies lists them)", name)
	}
	if err != nil {
		return nil, httpx.BadField("strategy", "strategy %s: %v", name, err)
	}
	return st, nil
}
