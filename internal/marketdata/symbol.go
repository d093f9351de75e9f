package marketdata

import (
	"fmt"
	"strings"
)

// MaxSymbolLen bounds symbols; it also keeps file names short.
const MaxSymbolLen = 20

// ValidateSymbol upper-cases s and checks it: 1-20 characters from letters,
// digits and . - ^ = (enough for BRK.B, ^GSPC, EURUSD=X, BTC-USD). The
// restricted set is what makes "{SYMBOL}_{tf}.csv" safe as a file name: no
// path separators and no '_', so the name splits unambiguously.
func ValidateSymbol(s string) (string, error) {
	if s == "" || len(s) > MaxSymbolLen {
		return "", fmt.Errorf("invalid symbol %q: must be 1-%d characters", s, MaxSymbolLen)
	}
	u := strings.ToUpper(s)
	for _, r := range u {
		switch {
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '^', r == '=':
		default:
			return "", fmt.Errorf("invalid symbol %q: character %q not allowed (letters, digits, . - ^ =)", s, r)
		}
	}
	return u, nil
}

// FileName returns "{SYMBOL}_{tf}.csv" for a valid symbol and timeframe.
func FileName(symbol string, tf Timeframe) (string, error) {
	sym, err := ValidateSymbol(symbol)
	if err != nil {
		return "", err
	}
	if _, err := ParseTimeframe(string(tf)); err != nil {
		return "", err
	}
	return sym + "_" + string(tf) + ".csv", nil
}

// ParseFileName is the inverse of FileName for a base name (no directory).
func ParseFileName(name string) (string, Timeframe, error) {
	base, ok := strings.CutSuffix(name, ".csv")
	if !ok {
		return "", "", fmt.Errorf("file name %q: want {SYMBOL}_{tf}.csv", name)
	}
	i := strings.LastIndexByte(base, '_')
	if i < 0 {
		return "", "", fmt.Errorf("file name %q: want {SYMBOL}_{tf}.csv", name)
	}
	sym, err := ValidateSymbol(base[:i])
	if err != nil {
		return "", "", fmt.Errorf("file name %q: %w", name, err)
	}
	tf, err := ParseTimeframe(base[i+1:])
	if err != nil {
		return "", "", fmt.Errorf("file name %q: %w", name, err)
	}
	return sym, tf, nil
}
