package marketdata

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// Stable rule codes for findings. Clients may match on them.
const (
	RuleNotFinite        = "not_finite"         // NaN/Inf (or Yahoo "null") in any field: refused
	RuleNonPositivePrice = "non_positive_price" // open/high/low/close <= 0: refused
	RuleHighBelowLow     = "high_below_low"     // high < low: refused
	RuleOpenOutsideRange = "open_outside_range" // open outside [low, high]: refused
	RuleCloseOutside     = "close_outside_range"
	RuleNegativeVolume   = "negative_volume" // volume < 0: refused
	RuleDuplicateTime    = "duplicate_time"  // later row with an already-seen time: dropped
	RuleUnsorted         = "unsorted"        // row earlier than its predecessor: kept, data sorted
	RuleGap              = "gap"             // missing bars (see gapAllowed): reported only
)

// Actions taken on a finding's row.
const (
	ActionRefused  = "refused"  // row dropped, not in the bars
	ActionDropped  = "dropped"  // duplicate dropped, the first one kept
	ActionSorted   = "sorted"   // row kept, moved to its place in time
	ActionReported = "reported" // nothing changed, information only
)

// Finding is one quality problem. Line is the CSV line (0 when the rows did
// not come from a file); Detail carries the offending values as text so the
// report stays JSON-encodable even when the values are NaN or Inf.
type Finding struct {
	Line   int       `json:"line,omitempty"`
	Time   time.Time `json:"time"`
	Rule   string    `json:"rule"`
	Action string    `json:"action"`
	Detail string    `json:"detail"`
}

func (f Finding) String() string {
	where := f.Time.Format(time.RFC3339)
	if f.Line > 0 {
		where = fmt.Sprintf("line %d (%s)", f.Line, where)
	}
	return fmt.Sprintf("%s: %s (%s): %s", where, f.Rule, f.Action, f.Detail)
}

// QualityReport summarises Check. Rows = Accepted + Refused, where Refused
// counts both rule-breaking rows and dropped duplicates.
type QualityReport struct {
	Rows     int       `json:"rows"`
	Accepted int       `json:"accepted"`
	Refused  int       `json:"refused"`
	Findings []Finding `json:"findings"`
}

// OK reports whether the data needed no correction: nothing refused or
// reordered. Gaps do not count: real data has them (holidays, halts, the
// 2001-09-11 closure) and they are information, not errors.
func (q QualityReport) OK() bool {
	for _, f := range q.Findings {
		if f.Rule != RuleGap {
			return false
		}
	}
	return true
}

// Count returns the number of findings with the given rule code.
func (q QualityReport) Count(rule string) int {
	n := 0
	for _, f := range q.Findings {
		if f.Rule == rule {
			n++
		}
	}
	return n
}

// Rules tunes Check. The zero value is the default policy.
type Rules struct {
	// IgnoreGaps turns gap findings off (e.g. for sparse user data).
	IgnoreGaps bool
	// MaxGap, if non-zero, replaces the calendar rule: any step between
	// consecutive bars larger than MaxGap is a gap, whatever the day.
	MaxGap time.Duration
}

// Check validates rows and returns the accepted bars (sorted, unique times)
// with a report. Policy, in order:
//
//  1. Per row: non-finite values, prices <= 0, high < low, open or close
//     outside [low, high], negative volume → the row is refused. Every broken
//     rule on the row gets a finding (except that a non-finite row gets only
//     not_finite: comparisons with NaN say nothing).
//  2. Accepted rows earlier than the latest time seen so far → one unsorted
//     finding each; the bars are then (stably) sorted.
//  3. Equal times → the first row in file order is kept, later ones are
//     dropped with duplicate_time (they may differ; we will not guess which
//     is right, and the first is what an append-only writer wrote first).
//  4. Gaps between consecutive kept bars → reported only (see gapAllowed).
func Check(rows []Row, tf Timeframe, rules Rules) ([]Bar, QualityReport) {
	rep := QualityReport{Rows: len(rows), Findings: []Finding{}}
	type kept struct {
		line int
		bar  Bar
	}
	ok := make([]kept, 0, len(rows))
	var latest time.Time
	for _, r := range rows {
		fs := rowFindings(r)
		if len(fs) > 0 {
			rep.Findings = append(rep.Findings, fs...)
			rep.Refused++
			continue
		}
		b := r.Bar()
		b.Time = b.Time.UTC()
		if len(ok) > 0 && b.Time.Before(latest) {
			rep.Findings = append(rep.Findings, Finding{Line: r.Line, Time: b.Time, Rule: RuleUnsorted, Action: ActionSorted,
				Detail: fmt.Sprintf("time %s is before an earlier row's %s", b.Time.Format(time.RFC3339), latest.Format(time.RFC3339))})
		}
		if b.Time.After(latest) || len(ok) == 0 {
			latest = b.Time
		}
		ok = append(ok, kept{r.Line, b})
	}
	sort.SliceStable(ok, func(i, j int) bool { return ok[i].bar.Time.Before(ok[j].bar.Time) })

	bars := make([]Bar, 0, len(ok))
	firstLine := 0
	for _, k := range ok {
		if n := len(bars); n > 0 && bars[n-1].Time.Equal(k.bar.Time) {
			rep.Refused++
			rep.Findings = append(rep.Findings, Finding{Line: k.line, Time: k.bar.Time, Rule: RuleDuplicateTime, Action: ActionDropped,
				Detail: fmt.Sprintf("same time as line %d, which is kept", firstLine)})
			continue
		}
		if n := len(bars); n > 0 && !rules.IgnoreGaps && !gapAllowed(tf, rules.MaxGap, bars[n-1].Time, k.bar.Time) {
			rep.Findings = append(rep.Findings, Finding{Line: k.line, Time: k.bar.Time, Rule: RuleGap, Action: ActionReported,
				Detail: fmt.Sprintf("%s since previous bar at %s", k.bar.Time.Sub(bars[n-1].Time), bars[n-1].Time.Format(time.RFC3339))})
		}
		bars = append(bars, k.bar)
		firstLine = k.line
	}
	rep.Accepted = len(bars)
	return bars, rep
}

func rowFindings(r Row) []Finding {
	f := func(rule, detail string) Finding {
		return Finding{Line: r.Line, Time: r.Time.UTC(), Rule: rule, Action: ActionRefused, Detail: detail}
	}
	named := []struct {
		name string
		v    float64
	}{{"open", r.Open}, {"high", r.High}, {"low", r.Low}, {"close", r.Close}, {"volume", r.Volume}}
	var bad []string
	for _, n := range named {
		if math.IsNaN(n.v) || math.IsInf(n.v, 0) {
			bad = append(bad, fmt.Sprintf("%s=%v", n.name, n.v))
		}
	}
	if len(bad) > 0 {
		return []Finding{f(RuleNotFinite, strings.Join(bad, " "))}
	}
	var out []Finding
	for _, n := range named[:4] {
		if n.v <= 0 {
			bad = append(bad, fmt.Sprintf("%s=%v", n.name, n.v))
		}
	}
	if len(bad) > 0 {
		out = append(out, f(RuleNonPositivePrice, strings.Join(bad, " ")))
	}
	if r.High < r.Low {
		out = append(out, f(RuleHighBelowLow, fmt.Sprintf("high=%v low=%v", r.High, r.Low)))
	}
	if r.Open < r.Low || r.Open > r.High {
		out = append(out, f(RuleOpenOutsideRange, fmt.Sprintf("open=%v low=%v high=%v", r.Open, r.Low, r.High)))
	}
	if r.Close < r.Low || r.Close > r.High {
		out = append(out, f(RuleCloseOutside, fmt.Sprintf("close=%v low=%v high=%v", r.Close, r.Low, r.High)))
	}
	if r.Volume < 0 {
		out = append(out, f(RuleNegativeVolume, fmt.Sprintf("volume=%v", r.Volume)))
	}
	return out
}

// gapAllowed is the simple calendar rule (no exchange holiday calendar):
//
//   - 1d: up to 4 calendar days between bars (a weekend plus one holiday);
//   - 1w: up to 8 days (a week plus a shifted holiday week start);
//   - intraday: within one UTC calendar day, bars must follow each other by
//     exactly one bar length; any step that crosses a UTC date (overnight,
//     weekend, holiday) is allowed. US sessions (13:30-21:00 UTC) never span
//     UTC midnight, so this catches missing bars inside a session. For 24 h
//     markets it misses gaps spanning midnight; use Rules.MaxGap there.
func gapAllowed(tf Timeframe, maxGap time.Duration, prev, next time.Time) bool {
	step := next.Sub(prev)
	if maxGap > 0 {
		return step <= maxGap
	}
	switch {
	case tf == TF1d:
		return step <= 4*24*time.Hour
	case tf == TF1w:
		return step <= 8*24*time.Hour
	case tf.Intraday():
		py, pm, pd := prev.Date()
		ny, nm, nd := next.Date()
		if py != ny || pm != nm || pd != nd {
			return true
		}
		return step <= tf.Duration()
	}
	return true // unknown timeframe: no calendar to judge by
}
