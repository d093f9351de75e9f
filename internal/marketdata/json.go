package marketdata

import (
	"math"
	"strconv"
	"time"
)

// AppendBarsJSON appends bars as a JSON array, byte for byte what
// encoding/json writes for []Bar, without its reflection: the host service
// answers requests of a million bars, where encoding them dominated the cost.
// Bars must be valid (finite values), as Check guarantees.
func AppendBarsJSON(dst []byte, bars []Bar) []byte {
	dst = append(dst, '[')
	for i, b := range bars {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"time":"`...)
		dst = b.Time.AppendFormat(dst, time.RFC3339Nano)
		dst = append(dst, `","open":`...)
		dst = appendFloat(dst, b.Open)
		dst = append(dst, `,"high":`...)
		dst = appendFloat(dst, b.High)
		dst = append(dst, `,"low":`...)
		dst = appendFloat(dst, b.Low)
		dst = append(dst, `,"close":`...)
		dst = appendFloat(dst, b.Close)
		dst = append(dst, `,"volume":`...)
		dst = appendFloat(dst, b.Volume)
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// appendFloat formats f as encoding/json does: the shortest representation,
// in exponent form only for very small or very large magnitudes, with the
// exponent's leading zero dropped ("1e-07" becomes "1e-7").
func appendFloat(dst []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}
