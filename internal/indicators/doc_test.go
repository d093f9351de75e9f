package indicators_test

import (
	"fmt"

	"github.com/ktrdr/ktrdr/internal/indicators"
)

func ExampleSMA() {
	fmt.Println(indicators.SMA([]float64{1, 2, 3, 4, 5}, 3))
	// Output: [NaN NaN 2 3 4]
}

func ExampleRSI() {
	// Changes +1, -1, +2: the first value averages the first two changes (gain 0.5,
	// loss 0.5), then Wilder smoothing: gain (0.5+2)/2, loss 0.5/2.
	fmt.Printf("%.4f\n", indicators.RSI([]float64{1, 2, 1, 3}, 2))
	// Output: [NaN NaN 50.0000 83.3333]
}

// A strategy entry such as `{name: RSIIndicator, period: 2, source: hlc3}` goes through
// Lookup, Resolve, Source and Compute.
func ExampleLookup() {
	in := indicators.Input{
		Open:   []float64{10, 11, 10, 12},
		High:   []float64{11, 12, 11, 13},
		Low:    []float64{9, 10, 9, 11},
		Close:  []float64{10, 11, 10, 12},
		Volume: []float64{100, 120, 90, 150},
	}
	def, ok := indicators.Lookup("RSIIndicator")
	if !ok {
		return
	}
	p, err := def.Resolve(map[string]float64{"period": 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	src, err := indicators.Source(in, "hlc3")
	if err != nil {
		fmt.Println(err)
		return
	}
	out := def.Compute(in, src, p)
	fmt.Println(def.Name, def.Outputs, def.WarmUp(p))
	fmt.Printf("%.4f\n", out[0])
	// Output:
	// rsi [value] 2
	// [NaN NaN 50.0000 83.3333]
}

func ExampleDefinition_Resolve() {
	def, _ := indicators.Lookup("bollinger_bands")
	p, err := def.Resolve(map[string]float64{"multiplier": 2.5})
	fmt.Println(p, err)
	_, err = def.Resolve(map[string]float64{"period": 1})
	fmt.Println(err)
	// Output:
	// map[multiplier:2.5 period:20] <nil>
	// period: must be an integer >= 2
}
