package marketdata

import (
	"hash/fnv"
	"math"
	"time"
)

// SyntheticEpoch is where every synthetic path starts (a Monday). There are
// no synthetic bars before it. Treat it as a constant: changing it changes
// every synthetic bar.
var SyntheticEpoch = time.Date(2000, 1, 3, 0, 0, 0, 0, time.UTC)

// Synthetic intraday sessions are a fixed UTC window standing in for
// 09:30-16:00 America/New_York (EST; no daylight-saving shift, so the
// calendar stays trivially reproducible). Bars start at 14:30 + k×bar length
// while before 21:00, so 1h has 7 bars a day (the last one is partial) and
// 4h has 2. There is no holiday calendar, so a year has ~261 sessions rather
// than the 252 that Timeframe.BarsPerYear annualises with.
const (
	SyntheticSessionOpen  = 14*time.Hour + 30*time.Minute // UTC offset into the day
	SyntheticSessionClose = 21 * time.Hour
)

// Synthetic returns deterministic, realistic-looking bars for symbol and tf
// with start <= Time <= end (clamped to SyntheticEpoch).
//
// Determinism: the path always starts at SyntheticEpoch and is stepped bar
// by bar up to end; only bars inside the window are kept. So a bar depends
// on (symbol, tf, seed, its time) and never on the requested window. The
// random numbers of bar i come from a hash of (symbol, tf, seed, i)
// (counter-based, not a sequential generator), which lets bars before start
// advance the state with only the draws the state needs. Cost is linear in
// the bars from the epoch to end: ~40 ns each when skipped, more when kept.
// The same binary on the same architecture gives the same bits.
//
// Model (log prices): drift regimes (bull/flat/bear) switching on average
// every ~60 trading days; mean reversion toward a slow moving average;
// GARCH(1,1) volatility (clustering); an opening gap per session (intraday)
// or per bar (daily, weekly); high/low extensions scaled by current
// volatility; volume rising with volatility, U-shaped within a session.
// Daily bars are on weekdays at 00:00 UTC, weekly bars on Mondays. Prices are
// rounded to cents and kept >= 1, volumes to whole units, and every bar
// satisfies Bar.Valid.
func Synthetic(symbol string, tf Timeframe, seed int64, start, end time.Time) Series {
	s := Series{Symbol: symbol, Timeframe: tf, Bars: []Bar{}}
	if !tf.Valid() || end.Before(SyntheticEpoch) || end.Before(start) {
		return s
	}
	g := newSynth(symbol, tf, seed)
	s.Bars = make([]Bar, 0, estimateBars(tf, g.slots, start, end))
	day := SyntheticEpoch
	perDay := g.slots
	var i uint64 // global bar index since the epoch
	for !day.After(end) {
		wd := day.Weekday()
		if wd == time.Saturday || wd == time.Sunday || (tf == TF1w && wd != time.Monday) {
			day = day.AddDate(0, 0, 1)
			continue
		}
		for k := 0; k < perDay; k++ {
			t := day.Add(g.offset + time.Duration(k)*g.d)
			if t.After(end) {
				return s
			}
			keep := !t.Before(start)
			b := g.step(i, k, keep)
			if keep {
				b.Time = t
				s.Bars = append(s.Bars, b)
			}
			i++
		}
		day = day.AddDate(0, 0, 1)
	}
	return s
}

// estimateBars sizes the result (weekdays × bars a day, capped) so that
// large requests do not pay for repeated slice growth.
func estimateBars(tf Timeframe, slots int, start, end time.Time) int {
	if start.Before(SyntheticEpoch) {
		start = SyntheticEpoch
	}
	days := end.Sub(start).Hours()/24 + 2
	n := days*5/7*float64(slots) + 8
	if tf == TF1w {
		n = days/7 + 2
	}
	return int(math.Min(math.Max(n, 0), 1<<24))
}

type synth struct {
	key    uint64
	d      time.Duration
	offset time.Duration // first bar's offset into the day
	slots  int           // bars per trading day
	// parameters, per bar
	sigma0, omega, alpha, beta float64
	pSwitch, kappa, lambda     float64
	gapSigma, extScale         float64
	volBase                    float64
	drift                      [3]float64
	// state
	logP, anchor, h float64
	regime          int
}

func newSynth(symbol string, tf Timeframe, seed int64) *synth {
	hs := fnv.New64a()
	hs.Write([]byte(symbol))
	hs.Write([]byte{0})
	hs.Write([]byte(tf))
	key := mix64(hs.Sum64() ^ mix64(uint64(seed)))
	// Symbol-level traits depend on the symbol and seed only, not on tf, so
	// all timeframes of a symbol live at a similar price and volatility.
	hs.Reset()
	hs.Write([]byte(symbol))
	skey := mix64(hs.Sum64() ^ mix64(uint64(seed)))
	u := func(n uint64) float64 { return float64(mix64(skey+n)>>11) * 0x1p-53 }

	g := &synth{key: key, d: tf.Duration(), slots: 1}
	dailySigma := 0.008 + 0.014*u(1) // 0.8%-2.2% a day
	barsPerDay := tf.BarsPerYear() / TradingDaysPerYear
	switch {
	case tf.Intraday():
		g.offset = SyntheticSessionOpen
		g.slots = int((SyntheticSessionClose - SyntheticSessionOpen + g.d - 1) / g.d)
		g.sigma0 = dailySigma * math.Sqrt(float64(g.d)/float64(SessionLength))
		g.gapSigma = 0.3 * dailySigma // overnight, first bar only
	case tf == TF1w:
		g.sigma0 = dailySigma * math.Sqrt(5)
		g.gapSigma = 0.2 * dailySigma
	default:
		g.sigma0 = dailySigma
		g.gapSigma = 0.2 * dailySigma
	}
	g.alpha, g.beta = 0.06, 0.92
	g.omega = g.sigma0 * g.sigma0 * (1 - g.alpha - g.beta)
	g.pSwitch = 1 / (60 * barsPerDay)
	g.kappa = math.Min(0.02/barsPerDay, 0.2)
	g.lambda = math.Min(1/(50*barsPerDay), 1)
	g.extScale = 0.5
	bpy := tf.BarsPerYear()
	g.drift = [3]float64{0.25 / bpy, 0.02 / bpy, -0.30 / bpy}
	g.volBase = (2e5 + 5e6*u(2)) / barsPerDay
	g.logP = math.Log(20 + 480*u(3))
	g.anchor = g.logP
	g.h = g.sigma0 * g.sigma0
	g.regime = 1
	return g
}

var (
	minLogP = math.Log(1)
	maxLogP = math.Log(1e6)
)

// step advances the state by bar i (slot k of its day) and, when keep is
// set, builds the bar. Draws the state needs come first so that skipped bars
// evolve exactly like kept ones.
func (g *synth) step(i uint64, k int, keep bool) Bar {
	r := rng{mix64(g.key ^ (i+1)*0x9e3779b97f4a7c15)}
	if u := r.float(); u < g.pSwitch {
		g.regime = int(u / g.pSwitch * 3)
	}
	z1, z2 := r.normPair()
	sigma := math.Sqrt(g.h)
	open := g.logP
	if k == 0 {
		open += g.gapSigma * z2
	}
	eps := sigma * z1
	cl := open + g.drift[g.regime] + g.kappa*(g.anchor-g.logP) + eps
	// Keep prices in a sane band; pushing the regime away from the wall
	// makes the path bounce instead of sticking to it.
	if cl < minLogP {
		cl, g.regime = minLogP, 0
	} else if cl > maxLogP {
		cl, g.regime = maxLogP, 2
	}
	g.h = g.omega + g.alpha*eps*eps + g.beta*g.h
	g.anchor += g.lambda * (cl - g.anchor)
	g.logP = cl
	if !keep {
		return Bar{}
	}

	z3, z4 := r.normPair()
	z5, _ := r.normPair()
	hi := math.Max(open, cl) + g.extScale*sigma*math.Abs(z3)
	lo := math.Min(open, cl) - g.extScale*sigma*math.Abs(z4)
	b := Bar{Open: cents(math.Exp(open)), Close: cents(math.Exp(cl)), High: cents(math.Exp(hi)), Low: cents(math.Exp(lo))}
	// Rounding is monotone, but guard anyway: validity is a promise.
	b.High = math.Max(b.High, math.Max(b.Open, b.Close))
	b.Low = math.Min(b.Low, math.Min(b.Open, b.Close))
	rel := sigma / g.sigma0
	vol := g.volBase * rel * math.Sqrt(rel) * math.Exp(0.3*z5) // ∝ (σ/σ₀)^1.5
	if g.slots > 1 {
		x := 2*float64(k)/float64(g.slots-1) - 1
		vol *= 0.6 + 0.8*x*x // U shape: busy open and close
	}
	b.Volume = math.Round(vol)
	return b
}

// cents rounds to 0.01 with a floor of 0.01 (prices must stay positive).
func cents(p float64) float64 { return math.Max(math.Round(p*100)/100, 0.01) }

// mix64 is the splitmix64 finaliser: a cheap, well-distributed hash.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// rng is a splitmix64 stream, seeded per bar.
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix64(r.s)
}

// float is uniform in [0, 1).
func (r *rng) float() float64 { return float64(r.next()>>11) * 0x1p-53 }

// normPair returns two independent standard normals (Box-Muller).
func (r *rng) normPair() (float64, float64) {
	u1 := 1 - r.float() // (0, 1]: log is finite
	u2 := r.float()
	m := math.Sqrt(-2 * math.Log(u1))
	s, c := math.Sincos(2 * math.Pi * u2)
	return m * c, m * s
}
