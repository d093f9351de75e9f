package backtesting

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/ktrdr/ktrdr/internal/workers"
)

// FuzzParsePlan: any params either fail with a ParamError or give a plan
// whose money settings the engine accepts and whose window is not empty.
func FuzzParsePlan(f *testing.F) {
	rule := "name: r\ntraining_data: {symbols: {symbol: SPX}, timeframes: {timeframe: 1d}}\nrules: {type: ma_crossover}\n"
	for _, p := range []Params{
		{StrategyYAML: rule},
		{StrategyYAML: rule, Symbol: "SYNX", Timeframe: "1h", Start: "2025-01-01", End: "2025-02-01", InitialCapital: 5000, Commission: 0.001, Slippage: 0.0005, Fill: "close", PositionSize: 0.5},
		{StrategyYAML: rule, Commission: 1},
		{StrategyYAML: rule, InitialCapital: -1},
	} {
		b, _ := json.Marshal(p)
		f.Add(b)
	}
	f.Add([]byte(`{"initial_capital": "lots"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		plan, err := ParsePlan(raw)
		if err != nil {
			var pe *workers.ParamError
			if !errors.As(err, &pe) || pe.Message == "" {
				t.Fatalf("error %T %v is not a ParamError with a message", err, err)
			}
			return
		}
		if err := plan.Config.Validate(); err != nil {
			t.Fatalf("accepted a config the engine refuses: %v", err)
		}
		if plan.Start != nil && plan.End != nil && !plan.Start.Before(*plan.End) {
			t.Fatalf("empty window accepted")
		}
		if plan.Symbol == "" || !plan.Timeframe.Valid() {
			t.Fatalf("plan without symbol or timeframe: %+v", plan.Params)
		}
	})
}
