package dataload

import (
	"slices"
	"testing"
	"time"

	"github.com/ktrdr/ktrdr/internal/marketdata"
)

func day(d int) time.Time { return time.Date(2020, 1, d, 0, 0, 0, 0, time.UTC) }

func ptr(t time.Time) *time.Time { return &t }

func TestStoreRoundTripAndList(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	if got, err := s.List(); err != nil || len(got) != 0 {
		t.Fatalf("empty store: %v %v", got, err)
	}
	series := marketdata.Synthetic("SYNA", marketdata.TF1d, 1, day(1), day(31))
	if err := s.Save(series); err != nil {
		t.Fatal(err)
	}
	back, err := s.Load("SYNA", marketdata.TF1d)
	if err != nil || !slices.Equal(back.Bars, series.Bars) {
		t.Fatalf("round trip: %v, %d vs %d bars", err, len(back.Bars), len(series.Bars))
	}
	list, err := s.List()
	first, last := series.Range()
	if err != nil || len(list) != 1 || list[0].Rows != len(series.Bars) || !list[0].First.Equal(first) || !list[0].Last.Equal(last) {
		t.Fatalf("list: %+v %v", list, err)
	}
	if none, err := s.Load("SYNB", marketdata.TF1d); err != nil || len(none.Bars) != 0 {
		t.Errorf("missing series: %v %v", none, err)
	}
}

// TestGapAnalysis pins which windows each mode asks the host for.
func TestGapAnalysis(t *testing.T) {
	now := day(20)
	l := &Loader{Now: func() time.Time { return now }}
	stored := marketdata.Series{Timeframe: marketdata.TF1d, Bars: []marketdata.Bar{{Time: day(5)}, {Time: day(6)}, {Time: day(7)}}}
	step := 24 * time.Hour
	for _, c := range []struct {
		name   string
		stored marketdata.Series
		req    Request
		want   []Window
	}{
		{"local never fetches", stored, Request{Mode: ModeLocal}, nil},
		{"nothing stored: the requested range", marketdata.Series{}, Request{Mode: ModeTail, Start: ptr(day(1)), End: ptr(day(9))}, []Window{{day(1), day(9)}}},
		{"tail: after the last bar up to now", stored, Request{Mode: ModeTail}, []Window{{day(7).Add(step), now}}},
		{"tail: up to end", stored, Request{Mode: ModeTail, End: ptr(day(10))}, []Window{{day(8), day(10)}}},
		{"tail: nothing new", stored, Request{Mode: ModeTail, End: ptr(day(6))}, nil},
		{"backfill: before the first bar", stored, Request{Mode: ModeBackfill, Start: ptr(day(1))}, []Window{{day(1), day(4)}}},
		{"backfill: all history before", stored, Request{Mode: ModeBackfill}, []Window{{time.Time{}, day(4)}}},
		{"backfill: already covered", stored, Request{Mode: ModeBackfill, Start: ptr(day(6))}, nil},
		{"full: the whole range again", stored, Request{Mode: ModeFull, Start: ptr(day(2))}, []Window{{day(2), time.Time{}}}},
	} {
		c.req.Timeframe = marketdata.TF1d
		if got := l.missing(c.stored, c.req); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
