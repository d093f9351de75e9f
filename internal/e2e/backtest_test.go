package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ktrdr/ktrdr/internal/jaegerapi"
	"github.com/ktrdr/ktrdr/internal/testkit"
)

type backtestView struct {
	Status string `json:"status"`
	Result *struct {
		Model   string `json:"model"`
		Bars    int    `json:"bars"`
		Metrics struct {
			TotalReturn float64  `json:"total_return"`
			NumTrades   int      `json:"num_trades"`
			FinalEquity float64  `json:"final_equity"`
			Sharpe      float64  `json:"sharpe"`
			MaxDrawdown float64  `json:"max_drawdown"`
			ProfitFac   *float64 `json:"profit_factor"`
		} `json:"metrics"`
		Trades []struct {
			Side      string    `json:"side"`
			EntryTime time.Time `json:"entry_time"`
			PnL       float64   `json:"pnl"`
		} `json:"trades"`
		TradesTotal int `json:"trades_total"`
		Equity      []struct {
			Equity float64 `json:"equity"`
		} `json:"equity_curve"`
		EquityTotal int `json:"equity_total"`
	} `json:"result"`
}

func startBacktest(t *testing.T, s *testkit.Stack, body string) (id, traceID string) {
	t.Helper()
	var out struct {
		ID      string `json:"operation_id"`
		TraceID string `json:"trace_id"`
		Error   struct{ Message string }
	}
	if code := s.Post("/api/v1/backtests/start", body, &out); code != 202 {
		t.Fatalf("backtest start %s answered %d: %s", body, code, out.Error.Message)
	}
	return out.ID, out.TraceID
}

// TestBacktest: train, then backtest, an example strategy on SPX 1d; the
// results are retrievable and paged; the backtest is one trace across the
// API, the backtest worker (model download inside backtest.load_model) and
// the host service. The SMA-crossover baseline runs without a model.
func TestBacktest(t *testing.T) {
	for _, b := range testkit.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			s := testkit.StartStack(t, b, testkit.StackOptions{TrainingWorkers: 1, BacktestWorkers: 1})
			trainID, _ := startTraining(t, s, `{"strategy":"volatility_regime"}`)
			s.WaitOp(trainID, "completed", 120*time.Second)

			id, traceID := startBacktest(t, s, `{"strategy":"volatility_regime","start":"2017-01-03","end":"2020-04-17","initial_capital":50000}`)
			s.WaitOp(id, "completed", 60*time.Second)
			var bt backtestView
			if code := s.Get("/api/v1/backtests/"+id+"?trades_limit=2&equity_limit=10&equity_offset=5", &bt); code != 200 || bt.Result == nil {
				t.Fatalf("GET backtest: %d %+v", code, bt)
			}
			r := bt.Result
			if r.Model != "volatility_regime/1d_v1" || r.Bars < 800 || r.EquityTotal != r.Bars || len(r.Equity) != 10 || r.Metrics.FinalEquity <= 0 {
				t.Errorf("result: model %s bars %d equity %d/%d final %v", r.Model, r.Bars, len(r.Equity), r.EquityTotal, r.Metrics.FinalEquity)
			}
			if r.TradesTotal != r.Metrics.NumTrades || len(r.Trades) != min(2, r.TradesTotal) {
				t.Errorf("trades page: %d of %d (metrics say %d)", len(r.Trades), r.TradesTotal, r.Metrics.NumTrades)
			}
			if len(r.Trades) > 0 && r.Trades[0].EntryTime.Before(time.Date(2017, 1, 3, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("a trade before the window: %+v", r.Trades[0])
			}

			tr := waitTraceWith(t, b, traceID, "POST /api/v1/backtests/start", "backtest.run", "backtest.load_model",
				"backtest.load_data", "data.fetch", "backtest.features", "backtest.simulate", "backtest.metrics")
			services := map[string]bool{}
			for _, sp := range tr.Spans {
				services[tr.Processes[sp.ProcessID].ServiceName] = true
			}
			if !services["ktrdr-api"] || !services["ktrdr-backtest-worker-b1"] || !services["ktrdr-ib-host-service"] {
				t.Errorf("trace services %v", services)
			}
			var get *jaegerapi.Span
			for i := range tr.Spans {
				sp := &tr.Spans[i]
				if sp.OperationName == "GET /api/v1/models/{strategy}/{timeframe}/{version}" && tr.Processes[sp.ProcessID].ServiceName == "ktrdr-api" {
					get = sp
				}
			}
			if get == nil || !strings.Contains(strings.Join(chain(tr, get), " < "), "backtest.load_model < ktrdr-backtest-worker-b1:backtest.run") {
				t.Errorf("model download is not inside backtest.load_model")
			}
			if got := strings.Join(chain(tr, findByName(tr, "data.fetch")), " < "); !strings.Contains(got, "backtest.load_data < ktrdr-backtest-worker-b1:backtest.run") ||
				!strings.HasSuffix(got, "ktrdr-api:POST /api/v1/backtests/start") {
				t.Errorf("data.fetch chain: %s", got)
			}
			if sim := findByName(tr, "backtest.simulate"); len(sim.Logs) < 10 {
				t.Errorf("backtest.simulate has %d progress events", len(sim.Logs))
			}

			ruleID, _ := startBacktest(t, s, `{"strategy":"sma_crossover","commission":0,"slippage":0}`)
			s.WaitOp(ruleID, "completed", 60*time.Second)
			var rule backtestView
			s.Get("/api/v1/backtests/"+ruleID, &rule)
			if rule.Result == nil || rule.Result.Model != "rule:ma_crossover" || rule.Result.Metrics.NumTrades < 50 || rule.Result.Bars != 5105 {
				t.Errorf("sma crossover: %+v", rule.Result)
			}
		})
	}
}

// TestBacktestBadRequests: each bad start is a 400 naming the field and
// creates no operation; a model that no longer fits its strategy is refused.
func TestBacktestBadRequests(t *testing.T) {
	b := testkit.Backends(t)[0]
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("..", "..", "strategies", "volatility_regime.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "volatility_regime.yaml")
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	s := testkit.StartStack(t, b, testkit.StackOptions{TrainingWorkers: 1, APIArgs: []string{"--strategies-dir", dir}})
	check := func(body, field string) {
		t.Helper()
		var e struct {
			Error struct{ Field, Message string } `json:"error"`
		}
		if code := s.Post("/api/v1/backtests/start", body, &e); code != 400 || e.Error.Field != field {
			t.Errorf("%s: %d field %q (%s), want 400 field %q", body, code, e.Error.Field, e.Error.Message, field)
		}
	}
	check(`{"strategy":"volatility_regime"}`, "model_version") // nothing trained yet
	id, _ := startTraining(t, s, `{"strategy":"volatility_regime"}`)
	s.WaitOp(id, "completed", 120*time.Second)
	for body, field := range map[string]string{
		`{}`:                  "strategy",
		`{"strategy":"nope"}`: "strategy",
		`{"strategy":"volatility_regime","model_version":"v9"}`:                                        "model_version",
		`{"strategy":"volatility_regime","model_version":"nine"}`:                                      "model_version",
		`{"strategy":"sma_crossover","model_version":"1"}`:                                             "model_version",
		`{"strategy":"volatility_regime","start":"2020-01-01","end":"2019-01-01"}`:                     "start",
		`{"strategy":"volatility_regime","start":"2020-01-01T00:00:00Z","end":"2020-01-01T00:00:00Z"}`: "start",
		`{"strategy":"volatility_regime","start":"2030-01-01"}`:                                        "start",
		`{"strategy":"volatility_regime","initial_capital":-5}`:                                        "initial_capital",
		`{"strategy":"volatility_regime","initial_capital":0}`:                                         "initial_capital",
		`{"strategy":"volatility_regime","commission":1}`:                                              "commission",
		`{"strategy":"volatility_regime","slippage":-0.1}`:                                             "slippage",
		`{"strategy":"volatility_regime","fill":"vwap"}`:                                               "fill",
		`{"strategy":"volatility_regime","symbol":"NOPE"}`:                                             "symbol",
		`{"strategy":"volatility_regime","timeframe":"1h"}`:                                            "model_version",
		`{"strategy":"volatility_regime","capital":5}`:                                                 "capital",
	} {
		check(body, field)
	}
	// Change a fuzzy set's name: the stored model no longer fits the strategy.
	changed := strings.Replace(string(src), "calm:", "quiet:", 1)
	if err := os.WriteFile(path, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	var e struct {
		Error struct{ Field, Message string } `json:"error"`
	}
	if code := s.Post("/api/v1/backtests/start", `{"strategy":"volatility_regime"}`, &e); code != 400 || e.Error.Field != "model_version" ||
		!strings.Contains(e.Error.Message, "does not fit") || !strings.Contains(e.Error.Message, "1d_bbands_20_2_width_calm") {
		t.Errorf("mismatched model: %d %+v", code, e.Error)
	}
	var list struct {
		Total int `json:"total"`
	}
	s.Get("/api/v1/operations?type=backtesting", &list)
	if list.Total != 0 {
		t.Errorf("%d backtests created by bad requests", list.Total)
	}
}
