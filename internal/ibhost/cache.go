package ibhost

import (
	"sync"
	"time"

	"github.com/ktrdr/ktrdr/internal/marketdata"
)

// Cache keeps what the service served, per symbol and timeframe, as
// ktrdr-layout CSV files {Dir}/{SYMBOL}_{tf}.csv.
//
// A file covers the time from its first to its last bar, and every bar the
// provider has in that span is in it: a fetch for [start, end] returns all
// the provider's bars in the window, so its bars are complete between their
// own first and last times, and two such overlapping spans merge
// (marketdata.Series.Merge, the newer fetch winning on equal times) into a
// complete span. A fetch that does not overlap the cached span replaces the
// file instead (merging would leave a hole that would later be served as
// "no bars").
//
// A request whose window lies inside the cached span is served from the
// file. Files are written atomically (temp file in Dir + rename). The cache
// is keyed by symbol and timeframe only: point different providers (or
// synthetic seeds) at different directories.
type Cache struct {
	Dir string

	mu sync.Mutex
}

// Load returns the cached series (empty, nil error if there is none).
func (c *Cache) Load(symbol string, tf marketdata.Timeframe) (marketdata.Series, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.load(symbol, tf)
}

func (c *Cache) load(symbol string, tf marketdata.Timeframe) (marketdata.Series, error) {
	return marketdata.Dir{Path: c.Dir}.Load(symbol, tf)
}

// Get returns the cached bars in [start, end] when both are set and the
// window lies inside the cached span; ok is false otherwise.
func (c *Cache) Get(symbol string, tf marketdata.Timeframe, start, end time.Time) (bars marketdata.Series, ok bool, err error) {
	if start.IsZero() || end.IsZero() {
		return marketdata.Series{}, false, nil
	}
	s, err := c.Load(symbol, tf)
	if err != nil || len(s.Bars) == 0 {
		return marketdata.Series{}, false, err
	}
	first, last := s.Range()
	if start.Before(first) || end.After(last) {
		return marketdata.Series{}, false, nil
	}
	return marketdata.Series{Symbol: s.Symbol, Timeframe: s.Timeframe, Bars: s.Slice(start, end)}, true, nil
}

// Put absorbs a fetched series (see the type's doc for the merge rule) and
// writes the file atomically. An empty series changes nothing.
func (c *Cache) Put(s marketdata.Series) error {
	if len(s.Bars) == 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cur, err := c.load(s.Symbol, s.Timeframe)
	if err != nil {
		// An unreadable cache file is replaced by the fresh data.
		cur = marketdata.Series{Symbol: s.Symbol, Timeframe: s.Timeframe}
	}
	f0, l0 := cur.Range()
	f1, l1 := s.Range()
	if len(cur.Bars) > 0 && !f1.After(l0) && !l1.Before(f0) {
		cur.Merge(s.Bars)
	} else {
		cur.Bars = append([]marketdata.Bar(nil), s.Bars...)
	}
	return marketdata.Dir{Path: c.Dir}.Save(cur)
}
