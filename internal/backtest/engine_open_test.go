package backtest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ktrdr/ktrdr/internal/marketdata"
)

// TestOpenShowsThePendingFill: with next-open fills, a decision taken
// after Open(i) sees the position the previous bar's order produced.
func TestOpenShowsThePendingFill(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var bars []marketdata.Bar
	for i := range 4 {
		p := 100 + float64(i)
		bars = append(bars, marketdata.Bar{Time: t0.AddDate(0, 0, i), Open: p, High: p + 1, Low: p - 1, Close: p, Volume: 1})
	}
	e, err := NewEngine(Config{InitialCapital: 1000, Sizing: Sizing{Mode: "fraction", Fraction: 1}, Fill: FillNextOpen, BarsPerYear: 252}, bars)
	if err != nil {
		t.Fatal(err)
	}
	e.Step(0, Signal{Action: Buy})
	if e.Position() != 0 {
		t.Fatalf("position before the next open = %v, want 0", e.Position())
	}
	e.Open(1)
	e.Open(1) // idempotent
	if want := 1000 / 101.0; e.Position() != want {
		t.Fatalf("position after Open(1) = %v, want %v (bought at 101)", e.Position(), want)
	}
	e.Close(1, Signal{Action: Sell})
	e.Step(2, Signal{})
	res := e.Finish()
	if len(res.Trades) != 1 || res.Trades[0].EntryPrice != 101 || res.Trades[0].ExitPrice != 102 {
		t.Errorf("trades = %+v", res.Trades)
	}
	// Step is Open + Close: the same run through Step gives the same result.
	again, _ := Run(Config{InitialCapital: 1000, Sizing: Sizing{Mode: "fraction", Fraction: 1}, Fill: FillNextOpen, BarsPerYear: 252}, bars,
		[]Signal{{Action: Buy}, {Action: Sell}, {}, {}})
	a, _ := json.Marshal(again)
	b, _ := json.Marshal(res)
	if string(a) != string(b) {
		t.Errorf("Step-only run differs:\n%s\n%s", a, b)
	}
}
