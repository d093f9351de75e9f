// Package dataload is the backend's market data: the bars it has loaded
// (a marketdata.Dir of ktrdr-layout CSV files, one per symbol and
// timeframe) and the data_load operation that fills it from the
// market-data host service — working out what is missing, fetching it over
// traced HTTP, merging it in. The backend runs this operation itself; no
// worker is involved.
package dataload

import (
	"sync"

	"github.com/ktrdr/ktrdr/internal/marketdata"
)

// Entry describes one stored series.
type Entry = marketdata.DirEntry

// Store keeps loaded series in Dir; a mutex serialises this process's writers.
type Store struct {
	Dir string
	mu  sync.Mutex
}

func (s *Store) dir() marketdata.Dir { return marketdata.Dir{Path: s.Dir} }

// Load returns the stored series, or an empty one when there is none.
func (s *Store) Load(symbol string, tf marketdata.Timeframe) (marketdata.Series, error) {
	return s.dir().Load(symbol, tf)
}

// Save replaces the stored series atomically.
func (s *Store) Save(series marketdata.Series) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dir().Save(series)
}

// List describes every stored series, by symbol then timeframe.
func (s *Store) List() ([]Entry, error) { return s.dir().List() }
