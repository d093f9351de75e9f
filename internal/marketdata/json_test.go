package marketdata

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// TestAppendBarsJSONMatchesEncodingJSON: the fast encoder writes exactly
// what encoding/json writes, for ordinary, tiny, huge and negative values
// and times with and without fractions.
func TestAppendBarsJSONMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	vals := []float64{0, 1, -1, 1469.25, 0.1, 1e-7, 1.5e-9, 123456789, 1e20, 1e21, 2.5e22, 931800000, math.SmallestNonzeroFloat64, math.MaxFloat64, -3e-8}
	var bars []Bar
	for i := range 5000 {
		pick := func() float64 {
			if i%3 == 0 {
				return vals[r.IntN(len(vals))]
			}
			return math.Float64frombits(r.Uint64()&^(0x7ff<<52) | uint64(r.IntN(0x7fe)+1)<<52)
		}
		ts := time.Unix(r.Int64N(4e9), 0).UTC()
		if i%2 == 0 {
			ts = ts.Add(time.Duration(r.IntN(1e9)))
		}
		bars = append(bars, Bar{Time: ts, Open: pick(), High: pick(), Low: pick(), Close: pick(), Volume: pick()})
	}
	want, err := json.Marshal(bars)
	if err != nil {
		t.Fatal(err)
	}
	if got := AppendBarsJSON(nil, bars); string(got) != string(want) {
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				t.Fatalf("differs at byte %d:\n got %.120s\nwant %.120s", i, got[max(0, i-40):], want[max(0, i-40):])
			}
		}
		t.Fatalf("lengths differ: %d vs %d", len(got), len(want))
	}
	if got := string(AppendBarsJSON(nil, nil)); got != "[]" {
		t.Errorf("no bars: %s", got)
	}
}

func BenchmarkAppendBarsJSON(b *testing.B) {
	bars := Synthetic("BENCH", TF1h, 1, SyntheticEpoch, SyntheticEpoch.AddDate(5, 0, 0)).Bars
	b.Run("AppendBarsJSON", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			buf = AppendBarsJSON(buf[:0], bars)
		}
		b.SetBytes(int64(len(buf)))
	})
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(bars); err != nil {
				b.Fatal(err)
			}
		}
	})
}
