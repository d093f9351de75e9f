package marketdata

import "testing"

func TestValidateSymbol(t *testing.T) {
	for in, want := range map[string]string{"aapl": "AAPL", "BRK.B": "BRK.B", "^gspc": "^GSPC", "eurusd=x": "EURUSD=X", "btc-usd": "BTC-USD", "12345678901234567890": "12345678901234567890"} {
		got, err := ValidateSymbol(in)
		if err != nil || got != want {
			t.Errorf("ValidateSymbol(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "123456789012345678901", "A_B", "A/B", "../X", "A B", "ÄPL", "A\x00"} {
		if _, err := ValidateSymbol(bad); err == nil {
			t.Errorf("ValidateSymbol(%q) accepted", bad)
		}
	}
}

func TestFileName(t *testing.T) {
	n, err := FileName("spx", TF1d)
	if err != nil || n != "SPX_1d.csv" {
		t.Fatalf("FileName = %q, %v", n, err)
	}
	if _, err := FileName("SPX", "2d"); err == nil {
		t.Error("bad timeframe accepted")
	}
	if _, err := FileName("S/X", TF1d); err == nil {
		t.Error("bad symbol accepted")
	}
	for _, tf := range Timeframes {
		name, _ := FileName("EURUSD=X", tf)
		sym, got, err := ParseFileName(name)
		if err != nil || sym != "EURUSD=X" || got != tf {
			t.Errorf("ParseFileName(%q) = %q %q %v", name, sym, got, err)
		}
	}
	for _, bad := range []string{"SPX_1d", "SPX.csv", "SPX_2d.csv", "_1d.csv", "S P_1d.csv", "SPX_1d.CSV.bak"} {
		if _, _, err := ParseFileName(bad); err == nil {
			t.Errorf("ParseFileName(%q) accepted", bad)
		}
	}
}
