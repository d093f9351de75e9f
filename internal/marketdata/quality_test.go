package marketdata

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

func rowsAt(times ...time.Time) []Row {
	out := make([]Row, len(times))
	for i, t := range times {
		out[i] = Row{Line: i + 2, Time: t, Open: 10, High: 11, Low: 9, Close: 10, Volume: 1}
	}
	return out
}

func TestGapRules(t *testing.T) {
	at := func(d, h, m int) time.Time { return time.Date(2020, 1, d, h, m, 0, 0, time.UTC) } // 2020-01-03 is a Friday
	cases := []struct {
		name  string
		tf    Timeframe
		rules Rules
		times []time.Time
		gaps  int
	}{
		{"1d weekend", TF1d, Rules{}, []time.Time{at(3, 0, 0), at(6, 0, 0)}, 0},
		{"1d weekend+holiday", TF1d, Rules{}, []time.Time{at(3, 0, 0), at(7, 0, 0)}, 0},
		{"1d five days", TF1d, Rules{}, []time.Time{at(3, 0, 0), at(8, 0, 0)}, 1},
		{"1w eight days", TF1w, Rules{}, []time.Time{at(6, 0, 0), at(14, 0, 0)}, 0},
		{"1w two weeks", TF1w, Rules{}, []time.Time{at(6, 0, 0), at(20, 0, 0)}, 1},
		{"5m in session", TF5m, Rules{}, []time.Time{at(6, 14, 30), at(6, 14, 35), at(6, 14, 40)}, 0},
		{"5m missing bar", TF5m, Rules{}, []time.Time{at(6, 14, 30), at(6, 14, 40)}, 1},
		{"5m overnight", TF5m, Rules{}, []time.Time{at(6, 20, 55), at(7, 14, 30)}, 0},
		{"1h weekend", TF1h, Rules{}, []time.Time{at(3, 20, 30), at(6, 14, 30)}, 0},
		{"ignore", TF5m, Rules{IgnoreGaps: true}, []time.Time{at(6, 14, 30), at(6, 18, 40)}, 0},
		{"maxgap overnight", TF5m, Rules{MaxGap: time.Hour}, []time.Time{at(6, 20, 55), at(7, 14, 30)}, 1},
	}
	for _, c := range cases {
		bars, rep := Check(rowsAt(c.times...), c.tf, c.rules)
		if rep.Count(RuleGap) != c.gaps || len(bars) != len(c.times) || !rep.OK() {
			t.Errorf("%s: gaps %d (want %d), %+v", c.name, rep.Count(RuleGap), c.gaps, rep)
		}
	}
}

func TestCheckReportJSON(t *testing.T) {
	rows := rowsAt(time.Date(2020, 1, 6, 0, 0, 0, 0, time.UTC))
	rows[0].High = math.NaN()
	bars, rep := Check(rows, TF1d, Rules{})
	if len(bars) != 0 || rep.Refused != 1 || rep.OK() {
		t.Fatalf("%+v", rep)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatalf("report must be JSON-encodable even with NaN values: %v", err)
	}
	for _, key := range []string{`"rows":1`, `"accepted":0`, `"refused":1`, `"rule":"not_finite"`, `"line":2`, `"action":"refused"`, `high=NaN`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON %s lacks %s", b, key)
		}
	}
	_, empty := Check(nil, TF1d, Rules{})
	if b, _ := json.Marshal(empty); !strings.Contains(string(b), `"findings":[]`) || !empty.OK() {
		t.Errorf("empty report %s", b)
	}
}

func TestCheckUnsortedDescending(t *testing.T) {
	// Some providers write newest first: all rows kept, sorted, reported.
	var times []time.Time
	for d := 10; d >= 6; d-- {
		times = append(times, time.Date(2020, 1, d, 0, 0, 0, 0, time.UTC))
	}
	bars, rep := Check(rowsAt(times...), TF1d, Rules{})
	if len(bars) != 5 || rep.Count(RuleUnsorted) != 4 || rep.Refused != 0 {
		t.Fatalf("%+v", rep)
	}
	for i := 1; i < len(bars); i++ {
		if !bars[i-1].Time.Before(bars[i].Time) {
			t.Fatal("not sorted")
		}
	}
	if !strings.Contains(rep.Findings[0].String(), "line 3") {
		t.Errorf("String() should name the line: %s", rep.Findings[0])
	}
}
