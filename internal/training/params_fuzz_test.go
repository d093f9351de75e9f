package training

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ktrdr/ktrdr/internal/workers"
)

// FuzzParsePlan: any params either fail with a ParamError (a field named
// whenever the JSON itself was readable) or give a plan that is consistent:
// its base timeframe among its timeframes, symbols present, a window that
// is not empty, a seed.
func FuzzParsePlan(f *testing.F) {
	yaml, err := os.ReadFile(filepath.Join("..", "..", "strategies", "rsi_mean_reversion.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range []Params{
		{StrategyYAML: string(yaml)},
		{StrategyYAML: string(yaml), Symbols: []string{"SYNA", "SYNB"}, Timeframes: []string{"1h", "4h"}, Start: "2025-01-01", End: "2025-06-01", Seed: 7},
		{StrategyYAML: string(yaml), Timeframes: []string{"2d"}},
		{StrategyYAML: "name: x"},
	} {
		b, _ := json.Marshal(p)
		f.Add(b)
	}
	f.Add([]byte(`{"strategy_yaml": 5}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		plan, err := ParsePlan(raw)
		if err != nil {
			var pe *workers.ParamError
			if !errors.As(err, &pe) || pe.Message == "" {
				t.Fatalf("error %T %v is not a ParamError with a message", err, err)
			}
			return
		}
		s := plan.Strategy
		base := false
		for _, tf := range s.Timeframes {
			base = base || tf == s.BaseTimeframe
		}
		if !base || len(s.Symbols) == 0 || plan.Seed == 0 {
			t.Fatalf("inconsistent plan: timeframes %v base %s symbols %v seed %d", s.Timeframes, s.BaseTimeframe, s.Symbols, plan.Seed)
		}
		if plan.Start != nil && plan.End != nil && !plan.Start.Before(*plan.End) {
			t.Fatalf("empty window accepted: %v..%v", plan.Start, plan.End)
		}
	})
}
