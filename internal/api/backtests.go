package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/ktrdr/ktrdr/internal/backtesting"
	"github.com/ktrdr/ktrdr/internal/httpx"
	"github.com/ktrdr/ktrdr/internal/ibhost"
	"github.com/ktrdr/ktrdr/internal/models"
	"github.com/ktrdr/ktrdr/internal/operations"
	"github.com/ktrdr/ktrdr/internal/workers"
)

// backtestRequest is the body of POST /api/v1/backtests/start. Pointers
// tell "absent" (take the default) from an explicit zero.
type backtestRequest struct {
	Strategy           string   `json:"strategy"`
	Symbol             string   `json:"symbol"`
	Timeframe          string   `json:"timeframe"`
	Start              string   `json:"start"`
	End                string   `json:"end"`
	ModelVersion       string   `json:"model_version"` // latest (default), N or vN
	InitialCapital     *float64 `json:"initial_capital"`
	Commission         *float64 `json:"commission"`
	CommissionPerTrade float64  `json:"commission_per_trade"`
	Slippage           *float64 `json:"slippage"`
	Fill               string   `json:"fill"`
	PositionSize       float64  `json:"position_size"`
}

// startBacktest checks everything it can before dispatching: the strategy,
// the money settings, the window against the data the host service has,
// and — for a model-based strategy — that the model version exists and
// makes the strategy's features. A model is pinned to its version number.
func (s *Server) startBacktest(w http.ResponseWriter, r *http.Request) {
	var body backtestRequest
	if e := httpx.DecodeJSON(w, r, 64<<10, &body); e != nil {
		httpx.WriteRequestError(w, e)
		return
	}
	st, e := s.startStrategy(body.Strategy)
	if e != nil {
		httpx.WriteRequestError(w, e)
		return
	}
	p := backtesting.Params{
		Strategy: st.Name, StrategyYAML: string(st.Raw), Symbol: body.Symbol, Timeframe: body.Timeframe, Start: body.Start, End: body.End,
		InitialCapital: orDefault(body.InitialCapital, backtesting.DefaultCapital), Commission: orDefault(body.Commission, backtesting.DefaultCommission),
		CommissionPerTrade: body.CommissionPerTrade, Slippage: orDefault(body.Slippage, backtesting.DefaultSlippage),
		Fill: body.Fill, PositionSize: body.PositionSize,
	}
	if body.InitialCapital != nil && *body.InitialCapital <= 0 {
		httpx.WriteRequestError(w, httpx.BadField("initial_capital", "initial_capital must be > 0, got %v", *body.InitialCapital))
		return
	}
	if st.Rule == nil {
		p.ModelVersion = 1 // placeholder until the version is resolved below
	} else if body.ModelVersion != "" {
		httpx.WriteRequestError(w, httpx.BadField("model_version", "strategy %s is rule-based (%s): it has no model", st.Name, st.Rule.Type))
		return
	}
	plan, err := backtesting.NewPlan(p)
	if writeParamError(w, err) {
		return
	}
	if err != nil {
		s.writeErr(w, err)
		return
	}
	if st.Rule == nil {
		v, err := models.ParseVersion(body.ModelVersion)
		if err != nil {
			httpx.WriteRequestError(w, httpx.BadField("model_version", "%v", err))
			return
		}
		art, err := s.cfg.Models.Get(st.Name, plan.Timeframe, v)
		if errors.Is(err, models.ErrNotFound) {
			what := "no model"
			if v > 0 {
				what = fmt.Sprintf("no version %d", v)
			}
			httpx.WriteRequestError(w, httpx.BadField("model_version", "%s of strategy %s at %s: %v (train it first)", what, st.Name, plan.Timeframe, err))
			return
		}
		if err != nil {
			s.writeErr(w, err)
			return
		}
		if writeParamError(w, backtesting.ApplyModel(plan.Strategy, art)) {
			return
		}
		p.ModelVersion = art.Version
	} else if writeParamError(w, backtesting.ApplyTimeframe(plan.Strategy, plan.Timeframe)) {
		return
	}
	if e := s.checkRange(r, plan); e != nil {
		httpx.WriteRequestError(w, e)
		return
	}
	p.Symbol, p.Timeframe = plan.Symbol, string(plan.Timeframe)
	p.InitialCapital, p.Fill, p.PositionSize = plan.InitialCapital, plan.Fill, plan.PositionSize
	params, _ := json.Marshal(p)
	s.submit(w, r, &operations.Operation{
		ID: operations.NewID(operations.TypeBacktesting, s.now()), Type: operations.TypeBacktesting, WorkerType: "backtest", Params: params,
	})
}

func orDefault(v *float64, def float64) float64 {
	if v == nil {
		return def
	}
	return *v
}

// writeParamError answers a *workers.ParamError as a 400 naming its field.
func writeParamError(w http.ResponseWriter, err error) bool {
	var pe *workers.ParamError
	if errors.As(err, &pe) {
		httpx.WriteRequestError(w, httpx.BadField(pe.Field, "%s", pe.Error()))
		return true
	}
	return false
}

// checkRange asks the host service what it has for the symbol, so an
// unknown symbol or a window after the data's end is a 400 now rather than
// a failed operation later. (Only the end is checked: a synthetic series
// reports a default window but can serve any range.)
func (s *Server) checkRange(r *http.Request, plan *backtesting.Plan) *httpx.RequestError {
	if s.cfg.Host == nil {
		return nil
	}
	rg, err := s.cfg.Host.Range(r.Context(), plan.Symbol, plan.Timeframe)
	if errors.Is(err, ibhost.ErrUnknownSymbol) || errors.Is(err, ibhost.ErrNoData) {
		return httpx.BadField("symbol", "%v", err)
	}
	if err != nil {
		return &httpx.RequestError{Status: http.StatusBadGateway, Code: "upstream", Message: "market-data host: " + err.Error()}
	}
	if plan.Start != nil && rg.End != nil && plan.Start.After(*rg.End) {
		return httpx.BadField("start", "no %s %s bars from %s: the data ends %s", plan.Symbol, plan.Timeframe, plan.Params.Start, rg.End.Format("2006-01-02"))
	}
	return nil
}

// BacktestResponse is GET /api/v1/backtests/{operation_id}: the operation's
// state and, once completed, its metrics with one page of trades and one of
// the equity curve.
type BacktestResponse struct {
	OperationID string              `json:"operation_id"`
	Status      operations.Status   `json:"status"`
	Progress    operations.Progress `json:"progress"`
	Error       *string             `json:"error,omitempty"`
	TraceID     string              `json:"trace_id"`
	Result      *backtestResultPage `json:"result,omitempty"`
	Params      json.RawMessage     `json:"params"`
}

type backtestResultPage struct {
	backtesting.Result
	TradesTotal  int `json:"trades_total"`
	TradesOffset int `json:"trades_offset"`
	EquityTotal  int `json:"equity_total"`
	EquityOffset int `json:"equity_offset"`
}

func (s *Server) getBacktest(w http.ResponseWriter, r *http.Request) {
	id, ok := s.opID(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	page := map[string]int{"trades_offset": 0, "trades_limit": 100, "equity_offset": 0, "equity_limit": 1000}
	for name := range page {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || (name[len(name)-5:] == "limit" && (n < 1 || n > MaxEquityPage)) {
				httpx.WriteRequestError(w, httpx.BadField(name, "%s must be an integer (limits 1-%d, offsets ≥ 0), got %q", name, MaxEquityPage, v))
				return
			}
			page[name] = n
		}
	}
	op, err := s.cfg.Store.Get(r.Context(), id)
	if err != nil {
		s.writeErr(w, err)
		return
	}
	if op.Type != operations.TypeBacktesting {
		httpx.WriteError(w, http.StatusNotFound, "not_found", fmt.Sprintf("operation %s is a %s, not a backtest", id, op.Type), "")
		return
	}
	out := BacktestResponse{OperationID: op.ID, Status: op.Status, Progress: op.Progress, Error: op.Error, TraceID: op.TraceID, Params: op.Params}
	if op.Status == operations.StatusCompleted && len(op.Result) > 0 {
		var res backtesting.Result
		if err := json.Unmarshal(op.Result, &res); err != nil {
			s.writeErr(w, fmt.Errorf("backtest %s: unreadable result: %w", id, err))
			return
		}
		pg := &backtestResultPage{TradesTotal: len(res.Trades), TradesOffset: page["trades_offset"], EquityTotal: len(res.Equity), EquityOffset: page["equity_offset"]}
		res.Trades = window(res.Trades, page["trades_offset"], page["trades_limit"])
		res.Equity = window(res.Equity, page["equity_offset"], page["equity_limit"])
		pg.Result = res
		out.Result = pg
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

// MaxEquityPage bounds one page of trades or equity points.
const MaxEquityPage = 20000

func window[T any](s []T, offset, limit int) []T {
	if offset >= len(s) {
		return []T{}
	}
	return s[offset:min(offset+limit, len(s))]
}
