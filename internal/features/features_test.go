package features

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ktrdr/ktrdr/internal/marketdata"
	"github.com/ktrdr/ktrdr/internal/strategy"
)

const testStrategy = `
name: feat_test
training_data:
  symbols: {mode: single_symbol, symbol: SYNX}
  timeframes: {mode: multi_timeframe, list: [1h, 4h], base_timeframe: 1h}
indicators:
  - {name: rsi, feature_id: rsi_3, period: 3}
  - {name: macd, feature_id: macd_3_6_2, fast_period: 3, slow_period: 6, signal_period: 2}
fuzzy_sets:
  rsi_3:
    low: {type: triangular, parameters: [0, 0, 50]}
    high: {type: triangular, parameters: [50, 100, 100]}
  macd_3_6_2.histogram:
    pos: {type: trapezoidal, parameters: [0, 1, 1000, 1000]}
model:
  type: mlp
  architecture: {hidden_layers: [4], activation: relu, output_activation: softmax, dropout: 0}
  features: {include_price_context: true, lookback_periods: 1, scale_features: false}
  training: {learning_rate: 0.01, batch_size: 8, epochs: 2, optimizer: adam}
decisions: {output_format: classification, confidence_threshold: 0.5, position_awareness: true}
training:
  method: supervised
  labels: {source: zigzag, zigzag_threshold: 0.01, label_lookahead: 3}
  data_split: {train: 0.7, validation: 0.15, test: 0.15}
`

func parse(t *testing.T) *strategy.Strategy {
	t.Helper()
	s, _, err := strategy.Parse([]byte(testStrategy))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func series(t *testing.T, tf marketdata.Timeframe, start, end time.Time) marketdata.Series {
	t.Helper()
	return marketdata.Synthetic("SYNX", tf, 7, start, end)
}

func TestNamesMatchBuild(t *testing.T) {
	s := parse(t)
	start, end := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 27, 0, 0, 0, 0, time.UTC)
	bars := map[marketdata.Timeframe]marketdata.Series{"1h": series(t, "1h", start, end), "4h": series(t, "4h", start, end)}
	tab, err := Build(s, bars)
	if err != nil {
		t.Fatal(err)
	}
	names := Names(s)
	if strings.Join(tab.Names, ",") != strings.Join(names, ",") {
		t.Fatalf("Build names %v\nNames() %v", tab.Names, names)
	}
	// 2 timeframes × (3 fuzzy + 4 context) × (1 + 1 lag) = 28
	if len(names) != 28 || names[0] != "1h_rsi_3_low" || names[2] != "1h_macd_3_6_2_histogram_pos" ||
		names[3] != "1h_ctx_return_1" || names[7] != "1h_rsi_3_low_lag1" || names[14] != "4h_rsi_3_low" {
		t.Errorf("names = %v", names)
	}
	if tab.Rows() != len(bars["1h"].Bars) || len(tab.Cols) != 28 {
		t.Fatalf("rows %d cols %d", tab.Rows(), len(tab.Cols))
	}
	first := tab.FirstComplete()
	if first == 0 || first >= tab.Rows()/2 {
		t.Errorf("first complete row %d of %d", first, tab.Rows())
	}
	for i := first; i < tab.Rows(); i++ {
		if !tab.Complete[i] {
			t.Fatalf("row %d incomplete after warm-up", i)
		}
		for j, c := range tab.Cols {
			if math.IsNaN(c[i]) || (j < 3 && (c[i] < 0 || c[i] > 1)) {
				t.Fatalf("row %d col %s = %v", i, tab.Names[j], c[i])
			}
		}
	}
	// The lag column is the column one bar earlier.
	for i := first + 1; i < tab.Rows(); i++ {
		if tab.Cols[7][i] != tab.Cols[0][i-1] {
			t.Fatalf("lag1 at %d = %v, want %v", i, tab.Cols[7][i], tab.Cols[0][i-1])
		}
	}
}

// TestNoLookAhead: a table built on bars up to t has the same rows up to t
// as one built on all bars, so nothing at t depends on a later bar (the
// higher timeframe included).
func TestNoLookAhead(t *testing.T) {
	s := parse(t)
	start, end := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 27, 0, 0, 0, 0, time.UTC)
	full := map[marketdata.Timeframe]marketdata.Series{"1h": series(t, "1h", start, end), "4h": series(t, "4h", start, end)}
	all, err := Build(s, full)
	if err != nil {
		t.Fatal(err)
	}
	for _, cut := range []int{all.Rows() / 2, all.Rows()/2 + 1, all.Rows()/2 + 2, all.Rows()/2 + 3} {
		at := all.Times[cut]
		part := map[marketdata.Timeframe]marketdata.Series{}
		for tf, se := range full {
			var bs []marketdata.Bar
			for _, b := range se.Bars {
				// Only bars that have closed by the close of base bar `cut`.
				if !b.Time.Add(tf.Duration()).After(at.Add(time.Hour)) {
					bs = append(bs, b)
				}
			}
			part[tf] = marketdata.Series{Symbol: se.Symbol, Timeframe: tf, Bars: bs}
		}
		p, err := Build(s, part)
		if err != nil {
			t.Fatal(err)
		}
		if p.Rows() != cut+1 {
			t.Fatalf("cut %d: %d rows", cut, p.Rows())
		}
		for j := range all.Cols {
			a, b := all.Cols[j][cut], p.Cols[j][cut]
			if a != b && !(math.IsNaN(a) && math.IsNaN(b)) {
				t.Errorf("cut %d: %s = %v with the future, %v without", cut, all.Names[j], a, b)
			}
		}
	}
}

func TestAlignIndexUsesClosedBarsOnly(t *testing.T) {
	h := func(hour int) marketdata.Bar {
		return marketdata.Bar{Time: time.Date(2026, 1, 5, hour, 0, 0, 0, time.UTC)}
	}
	base := []marketdata.Bar{h(0), h(1), h(2), h(3), h(4), h(7), h(8)}
	four := []marketdata.Bar{h(0), h(4), h(8)}
	got := alignIndex(base, "1h", four, "4h")
	// The 00:00 4h bar closes at 04:00, with the 03:00 1h bar; the 04:00 one at 08:00.
	want := []int{-1, -1, -1, 0, 0, 1, 1}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("alignIndex = %v, want %v", got, want)
		}
	}
}

func TestCheckNames(t *testing.T) {
	if err := CheckNames([]string{"a", "b"}, []string{"a", "b"}); err != nil {
		t.Error(err)
	}
	err := CheckNames([]string{"a", "x"}, []string{"a", "b"})
	if err == nil || !strings.Contains(err.Error(), "[x]") {
		t.Errorf("missing feature: %v", err)
	}
	if err := CheckNames([]string{"b", "a"}, []string{"a", "b"}); err == nil || !strings.Contains(err.Error(), "order") {
		t.Errorf("reordered: %v", err)
	}
}
