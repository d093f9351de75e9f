// Package dataload is the backend's market data: the bars it has loaded
// (a directory of ktrdr-layout CSV files, one per symbol and timeframe) and
// the data_load operation that fills it from the market-data host service —
// working out what is missing, fetching it over traced HTTP, merging it in.
// The backend runs this operation itself; no worker is involved.
package dataload

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ktrdr/ktrdr/internal/marketdata"
)

// Entry describes one stored series.
type Entry struct {
	Symbol    string               `json:"symbol"`
	Timeframe marketdata.Timeframe `json:"timeframe"`
	First     time.Time            `json:"first"`
	Last      time.Time            `json:"last"`
	Rows      int                  `json:"rows"`
}

// Store keeps loaded series as files in Dir. Writes are atomic (temp file
// and rename), so a crash never leaves half a file; a mutex serialises
// writers of this process.
type Store struct {
	Dir string
	mu  sync.Mutex
}

// Load returns the stored series, or an empty one when there is none.
func (s *Store) Load(symbol string, tf marketdata.Timeframe) (marketdata.Series, error) {
	empty := marketdata.Series{Symbol: symbol, Timeframe: tf}
	name, err := marketdata.FileName(symbol, tf)
	if err != nil {
		return empty, err
	}
	f, err := os.Open(filepath.Join(s.Dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return empty, nil
	}
	if err != nil {
		return empty, err
	}
	defer f.Close()
	series, _, err := marketdata.ReadSeries(f, symbol, tf, marketdata.Rules{IgnoreGaps: true})
	if err != nil {
		return empty, fmt.Errorf("stored %s: %w", name, err)
	}
	return series, nil
}

// Save replaces the stored series atomically.
func (s *Store) Save(series marketdata.Series) error {
	name, err := marketdata.FileName(series.Symbol, series.Timeframe)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.Dir, name+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := marketdata.WriteCSV(tmp, series); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(s.Dir, name))
}

// List describes every stored series, by symbol then timeframe.
func (s *Store) List() ([]Entry, error) {
	files, err := os.ReadDir(s.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return []Entry{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := []Entry{}
	for _, f := range files {
		if f.IsDir() || !strings.HasSuffix(f.Name(), ".csv") {
			continue
		}
		symbol, tf, err := marketdata.ParseFileName(f.Name())
		if err != nil {
			continue
		}
		series, err := s.Load(symbol, tf)
		if err != nil || len(series.Bars) == 0 {
			continue
		}
		first, last := series.Range()
		out = append(out, Entry{Symbol: symbol, Timeframe: tf, First: first, Last: last, Rows: len(series.Bars)})
	}
	slices.SortFunc(out, func(a, b Entry) int {
		if c := strings.Compare(a.Symbol, b.Symbol); c != 0 {
			return c
		}
		return strings.Compare(string(a.Timeframe), string(b.Timeframe))
	})
	return out, nil
}
