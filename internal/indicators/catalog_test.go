package indicators_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/ktrdr/ktrdr/internal/indicators"
)

func TestAllCatalog(t *testing.T) {
	all := indicators.All()
	want := []string{"adx", "atr", "bb_width", "bbands", "cci", "distance_from_ema", "distance_from_ma", "ema",
		"macd", "mfi", "momentum", "obv", "roc", "rsi", "sma", "stochastic", "volume_ratio", "williams_r"}
	var names []string
	for _, d := range all {
		names = append(names, d.Name)
	}
	if !slices.Equal(names, want) {
		t.Fatalf("All() names = %v, want %v (sorted)", names, want)
	}
	seen := map[string]string{}
	for _, d := range all {
		if d.Name != strings.ToLower(d.Name) {
			t.Errorf("%s: name not lower-case", d.Name)
		}
		if d.Compute == nil || d.WarmUp == nil || d.Description == "" || len(d.Outputs) == 0 {
			t.Errorf("%s: incomplete definition", d.Name)
		}
		if len(d.Outputs) == 1 && d.Outputs[0] != "value" {
			t.Errorf("%s: single output named %q, want value", d.Name, d.Outputs[0])
		}
		for _, a := range append([]string{d.Name}, d.Aliases...) {
			if other, dup := seen[strings.ToLower(a)]; dup {
				t.Errorf("name %q used by %s and %s", a, other, d.Name)
			}
			seen[strings.ToLower(a)] = d.Name
		}
		for _, p := range d.Params {
			if p.Doc == "" {
				t.Errorf("%s.%s: no doc", d.Name, p.Name)
			}
			if p.Default < p.Min || (p.Max != 0 && p.Default > p.Max) {
				t.Errorf("%s.%s: default %v outside [%v, %v]", d.Name, p.Name, p.Default, p.Min, p.Max)
			}
		}
		if _, err := d.Resolve(nil); err != nil {
			t.Errorf("%s: defaults do not resolve: %v", d.Name, err)
		}
	}
	// Outputs and defaults named in the contract.
	for name, outputs := range map[string][]string{
		"macd": {"line", "signal", "histogram"}, "bbands": {"upper", "middle", "lower", "width"}, "stochastic": {"k", "d"},
	} {
		d, _ := indicators.Lookup(name)
		if !slices.Equal(d.Outputs, outputs) {
			t.Errorf("%s outputs %v, want %v", name, d.Outputs, outputs)
		}
	}
	for _, c := range []struct {
		name string
		want map[string]float64
	}{
		{"macd", map[string]float64{"fast_period": 12, "slow_period": 26, "signal_period": 9}},
		{"bbands", map[string]float64{"period": 20, "multiplier": 2}},
		{"stochastic", map[string]float64{"k_period": 14, "smooth_k": 3, "d_period": 3}},
		{"volume_ratio", map[string]float64{"period": 20}},
		{"distance_from_ma", map[string]float64{"period": 20}},
		{"rsi", map[string]float64{"period": 14}},
		{"obv", map[string]float64{}},
	} {
		d, _ := indicators.Lookup(c.name)
		got, err := d.Resolve(nil)
		if err != nil || !mapsEqual(got, c.want) {
			t.Errorf("%s defaults = %v, %v; want %v", c.name, got, err, c.want)
		}
	}
}

func mapsEqual(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestLookup(t *testing.T) {
	for query, want := range map[string]string{
		"rsi": "rsi", "RSI": "rsi", "RSIIndicator": "rsi", "rsiindicator": "rsi", " Rsi ": "rsi",
		"bollinger_bands": "bbands", "Bollinger_Bands": "bbands", "BBANDS": "bbands", "BollingerBands": "bbands",
		"bb_width": "bb_width", "BollingerBandWidth": "bb_width",
		"MACD": "macd", "stoch": "stochastic", "WILLR": "williams_r", "williams_%r": "williams_r",
		"SimpleMovingAverage": "sma", "EMA": "ema", "ATR": "atr", "Mom": "momentum", "ROC": "roc",
		"cci": "cci", "OnBalanceVolume": "obv", "ADX": "adx", "MoneyFlowIndex": "mfi",
		"Distance_From_MA": "distance_from_ma", "DistanceFromEMA": "distance_from_ema", "VolumeRatio": "volume_ratio",
	} {
		d, ok := indicators.Lookup(query)
		if !ok || d.Name != want {
			t.Errorf("Lookup(%q) = %q, %v; want %q", query, d.Name, ok, want)
		}
	}
	for _, query := range []string{"", "foo", "rsi2", "bollinger bands", "macd_line"} {
		if d, ok := indicators.Lookup(query); ok {
			t.Errorf("Lookup(%q) found %q", query, d.Name)
		}
	}
	// Returned definitions are copies.
	d, _ := indicators.Lookup("rsi")
	d.Aliases[0] = "mutated"
	d.Params[0].Default = 99
	d.Outputs[0] = "mutated"
	again, _ := indicators.Lookup("rsi")
	if again.Aliases[0] == "mutated" || again.Params[0].Default == 99 || again.Outputs[0] == "mutated" {
		t.Error("modifying a looked-up definition changed the catalog")
	}
	sma, _ := indicators.Lookup("sma")
	if sma.Outputs[0] != "value" {
		t.Error("modifying one definition's outputs changed another's")
	}
}

func TestResolve(t *testing.T) {
	rsi, _ := indicators.Lookup("rsi")
	given := map[string]float64{"period": 21, "unknown_key": 5}
	got, err := rsi.Resolve(given)
	if err != nil || !mapsEqual(got, map[string]float64{"period": 21}) {
		t.Errorf("Resolve(%v) = %v, %v", given, got, err)
	}
	if len(given) != 2 || given["period"] != 21 {
		t.Errorf("Resolve modified its argument: %v", given)
	}

	for _, c := range []struct {
		name  string
		given map[string]float64
		want  string
	}{
		{"rsi", map[string]float64{"period": 1}, "period: must be an integer >= 2"},
		{"rsi", map[string]float64{"period": 14.5}, "period: must be an integer >= 2"},
		{"rsi", map[string]float64{"period": math.NaN()}, "period: must be an integer >= 2"},
		{"rsi", map[string]float64{"period": math.Inf(1)}, "period: must be an integer >= 2"},
		{"sma", map[string]float64{"period": 0}, "period: must be an integer >= 1"},
		{"sma", map[string]float64{"period": -3}, "period: must be an integer >= 1"},
		{"bbands", map[string]float64{"multiplier": -1}, "multiplier: must be a number >= 0"},
		{"bbands", map[string]float64{"period": 1}, "period: must be an integer >= 2"},
		{"macd", map[string]float64{"signal_period": 0}, "signal_period: must be an integer >= 1"},
		{"macd", map[string]float64{"fast_period": 26}, "fast_period: must be less than slow_period (26)"},
		{"macd", map[string]float64{"fast_period": 30, "slow_period": 20}, "fast_period: must be less than slow_period (20)"},
		{"stochastic", map[string]float64{"smooth_k": 2.5}, "smooth_k: must be an integer >= 1"},
		{"stochastic", map[string]float64{"d_period": 0}, "d_period: must be an integer >= 1"},
	} {
		d, _ := indicators.Lookup(c.name)
		got, err := d.Resolve(c.given)
		if err == nil || err.Error() != c.want {
			t.Errorf("%s.Resolve(%v) = %v, %v; want error %q", c.name, c.given, got, err, c.want)
		}
	}

	bb, _ := indicators.Lookup("bbands")
	if got, err := bb.Resolve(map[string]float64{"multiplier": 2.5}); err != nil || got["multiplier"] != 2.5 || got["period"] != 20 {
		t.Errorf("bbands multiplier 2.5: %v, %v", got, err)
	}

	// A bounded parameter reports both bounds.
	bounded := indicators.Definition{Name: "x", Params: []indicators.Param{{Name: "n", Default: 5, Min: 2, Max: 10, Integer: true}}}
	if _, err := bounded.Resolve(map[string]float64{"n": 11}); err == nil || err.Error() != "n: must be an integer between 2 and 10" {
		t.Errorf("bounded: %v", err)
	}
	if got, err := bounded.Resolve(map[string]float64{"n": 10}); err != nil || got["n"] != 10 {
		t.Errorf("bounded, at the maximum: %v, %v", got, err)
	}
}

func TestCompute(t *testing.T) {
	in := synth(1000, 9)
	n := len(in.Close)
	for _, d := range indicators.All() {
		p, err := d.Resolve(nil)
		if err != nil {
			t.Fatal(err)
		}
		var src []float64
		if d.UsesSource {
			src = in.Close
		}
		outs := d.Compute(in, src, p)
		if len(outs) != len(d.Outputs) {
			t.Fatalf("%s: %d outputs, want %d", d.Name, len(outs), len(d.Outputs))
		}
		warm := d.WarmUp(p)
		for o, out := range outs {
			if len(out) != n {
				t.Errorf("%s.%s: len %d, want %d", d.Name, d.Outputs[o], len(out), n)
			}
			if lead := leadingNaNs(out); lead != warm {
				t.Errorf("%s.%s: %d leading NaNs, WarmUp %d", d.Name, d.Outputs[o], lead, warm)
			}
		}
		// Missing parameters and a missing source fall back to the defaults and close.
		for o, out := range d.Compute(in, nil, nil) {
			if !slices.Equal(nanToZero(out), nanToZero(outs[o])) {
				t.Errorf("%s.%s: Compute with nil params/source differs from the defaults", d.Name, d.Outputs[o])
			}
		}
		if d.WarmUp(nil) != warm {
			t.Errorf("%s: WarmUp(nil) = %d, want %d", d.Name, d.WarmUp(nil), warm)
		}
		// A short column gives NaN of len(close), never a panic or another length.
		short := indicators.Input{Open: in.Open[:10], High: in.High[:10], Low: in.Low[:10], Close: in.Close, Volume: in.Volume[:10]}
		if d.UsesSource {
			src = in.Close[:10]
		}
		for o, out := range d.Compute(short, src, p) {
			if len(out) != n || !allNaN(out) {
				t.Errorf("%s.%s with short columns: len %d, all NaN %v", d.Name, d.Outputs[o], len(out), allNaN(out))
			}
		}
	}

	// The parameters reach the computation.
	d, _ := indicators.Lookup("sma")
	if got := d.Compute(in, in.Close, map[string]float64{"period": 7}); leadingNaNs(got[0]) != 6 || got[0][6] != indicators.SMA(in.Close, 7)[6] {
		t.Errorf("sma period 7: %d leading NaNs", leadingNaNs(got[0]))
	}
	if w := d.WarmUp(map[string]float64{"period": 7}); w != 6 {
		t.Errorf("sma WarmUp(period 7) = %d", w)
	}
	// Unvalidated absurd parameters give NaN, not a panic.
	for _, v := range []float64{1e300, -1e300, math.NaN(), math.Inf(1)} {
		for _, out := range d.Compute(in, in.Close, map[string]float64{"period": v}) {
			if len(out) != n || !allNaN(out) {
				t.Errorf("sma period %v: len %d, all NaN %v", v, len(out), allNaN(out))
			}
		}
	}
	m, _ := indicators.Lookup("macd")
	if w := m.WarmUp(map[string]float64{"fast_period": 5, "slow_period": 35, "signal_period": 5}); w != 38 {
		t.Errorf("macd WarmUp(5,35,5) = %d, want 38", w)
	}
}

func nanToZero(s []float64) []float64 {
	out := slices.Clone(s)
	for i, v := range out {
		if math.IsNaN(v) {
			out[i] = 0
		}
	}
	return out
}

func TestSource(t *testing.T) {
	in := indicators.Input{
		Open: []float64{1, 2}, High: []float64{4, 6}, Low: []float64{0, 2}, Close: []float64{2, 4}, Volume: []float64{10, 20},
	}
	for name, want := range map[string][]float64{
		"open": {1, 2}, "HIGH": {4, 6}, "low": {0, 2}, "close": {2, 4}, "Close": {2, 4}, "": {2, 4}, "volume": {10, 20},
		"hl2": {2, 4}, "HLC3": {2, 4}, "ohlc4": {7.0 / 4, 14.0 / 4},
	} {
		got, err := indicators.Source(in, name)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("Source(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
	for _, name := range []string{"typical", "adjclose", "hlcc4", "c"} {
		if _, err := indicators.Source(in, name); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("Source(%q): error %v, want one naming it", name, err)
		}
	}
	short := in
	short.High = in.High[:1]
	for _, name := range []string{"high", "hl2", "hlc3", "ohlc4"} {
		if _, err := indicators.Source(short, name); err == nil || !strings.Contains(err.Error(), "high") {
			t.Errorf("Source(%q) with a short high column: error %v", name, err)
		}
	}
	if _, err := indicators.Source(short, "low"); err != nil {
		t.Errorf("Source(low) should not need high: %v", err)
	}
}
