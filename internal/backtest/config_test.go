package backtest

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	ok := func(f func(*Config)) Config {
		c := Config{InitialCapital: 1000, BarsPerYear: 252}
		f(&c)
		return c
	}
	nan, inf := math.NaN(), math.Inf(1)
	for _, tc := range []struct {
		field string // "" for valid
		cfg   Config
	}{
		{"", ok(func(c *Config) {})},
		{"", ok(func(c *Config) {
			c.Fill, c.Sizing, c.Costs = FillClose, Sizing{Mode: "fixed", Quantity: 3}, Costs{0.999, 5, 0.5}
		})},
		{"", ok(func(c *Config) { c.Fill, c.Sizing.Fraction, c.AllowShort = FillNextOpen, 1, true })},
		{"", ok(func(c *Config) { c.Sizing.Mode, c.Sizing.Fraction = "fraction", 0.01 })},
		{"initial_capital", ok(func(c *Config) { c.InitialCapital = 0 })},
		{"initial_capital", ok(func(c *Config) { c.InitialCapital = -1 })},
		{"initial_capital", ok(func(c *Config) { c.InitialCapital = nan })},
		{"initial_capital", ok(func(c *Config) { c.InitialCapital = inf })},
		{"commission", ok(func(c *Config) { c.Commission = -0.1 })},
		{"commission", ok(func(c *Config) { c.Commission = 1 })},
		{"commission", ok(func(c *Config) { c.Commission = nan })},
		{"commission_per_trade", ok(func(c *Config) { c.CommissionPerTrade = -1 })},
		{"commission_per_trade", ok(func(c *Config) { c.CommissionPerTrade = inf })},
		{"slippage", ok(func(c *Config) { c.Slippage = -0.01 })},
		{"slippage", ok(func(c *Config) { c.Slippage = 1 })},
		{"slippage", ok(func(c *Config) { c.Slippage = nan })},
		{"sizing.mode", ok(func(c *Config) { c.Sizing.Mode = "kelly" })},
		{"sizing.fraction", ok(func(c *Config) { c.Sizing.Fraction = -0.5 })},
		{"sizing.fraction", ok(func(c *Config) { c.Sizing.Fraction = 1.5 })},
		{"sizing.fraction", ok(func(c *Config) { c.Sizing.Fraction = nan })},
		{"sizing.quantity", ok(func(c *Config) { c.Sizing = Sizing{Mode: "fixed"} })},
		{"sizing.quantity", ok(func(c *Config) { c.Sizing = Sizing{Mode: "fixed", Quantity: -1} })},
		{"sizing.quantity", ok(func(c *Config) { c.Sizing = Sizing{Mode: "fixed", Quantity: inf} })},
		{"fill", ok(func(c *Config) { c.Fill = "open" })},
		{"bars_per_year", ok(func(c *Config) { c.BarsPerYear = 0 })},
		{"bars_per_year", ok(func(c *Config) { c.BarsPerYear = -252 })},
		{"bars_per_year", ok(func(c *Config) { c.BarsPerYear = nan })},
	} {
		err := tc.cfg.Validate()
		if tc.field == "" {
			if err != nil {
				t.Errorf("%+v: %v", tc.cfg, err)
			}
			continue
		}
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field || !strings.HasPrefix(err.Error(), tc.field+": ") {
			t.Errorf("%+v: error %v, want a FieldError on %s", tc.cfg, err, tc.field)
		}
	}
}

// The JSON names of the config are the FieldError names.
func TestConfigJSON(t *testing.T) {
	var c Config
	in := `{"initial_capital":5000,"commission":0.001,"commission_per_trade":1,"slippage":0.0005,
		"sizing":{"mode":"fixed","fraction":0.5,"quantity":10},"fill":"close","allow_short":true,"bars_per_year":252}`
	if err := json.Unmarshal([]byte(in), &c); err != nil {
		t.Fatal(err)
	}
	want := Config{InitialCapital: 5000, Costs: Costs{0.001, 1, 0.0005}, Sizing: Sizing{"fixed", 0.5, 10},
		Fill: FillClose, AllowShort: true, BarsPerYear: 252}
	if c != want {
		t.Errorf("got %+v, want %+v", c, want)
	}
	if c.Quantity != 10 || c.Commission != 0.001 { // promoted fields
		t.Error("promoted fields")
	}
}

func TestConfigDefaults(t *testing.T) {
	c := Config{InitialCapital: 1, BarsPerYear: 1}.withDefaults()
	if c.Sizing.Mode != "fraction" || c.Sizing.Fraction != 1 || c.Fill != FillNextOpen {
		t.Errorf("%+v", c)
	}
}
