package marketdata

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Dir is a directory of series in the ktrdr CSV layout, one file per
// symbol and timeframe ({SYMBOL}_{tf}.csv). Saves are atomic (a temporary
// file in the directory, then a rename), so a crash never leaves half a
// file. Callers that read, change and save a series serialise themselves.
type Dir struct {
	Path string
}

// DirEntry describes one stored series.
type DirEntry struct {
	Symbol    string    `json:"symbol"`
	Timeframe Timeframe `json:"timeframe"`
	First     time.Time `json:"first"`
	Last      time.Time `json:"last"`
	Rows      int       `json:"rows"`
}

// Load returns the stored series; with no file, an empty series and no error.
func (d Dir) Load(symbol string, tf Timeframe) (Series, error) {
	empty := Series{Symbol: symbol, Timeframe: tf, Bars: []Bar{}}
	name, err := FileName(symbol, tf)
	if err != nil {
		return empty, err
	}
	f, err := os.Open(filepath.Join(d.Path, name))
	if errors.Is(err, fs.ErrNotExist) {
		return empty, nil
	}
	if err != nil {
		return empty, err
	}
	defer f.Close()
	s, _, err := ReadSeries(f, symbol, tf, Rules{IgnoreGaps: true})
	if err != nil {
		return empty, fmt.Errorf("%s: %w", filepath.Join(d.Path, name), err)
	}
	return s, nil
}

// Save replaces the stored series atomically.
func (d Dir) Save(s Series) error {
	name, err := FileName(s.Symbol, s.Timeframe)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(d.Path, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(d.Path, ".tmp-*.csv")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := WriteCSV(tmp, s); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(d.Path, name))
}

// List describes every readable, non-empty series, by symbol then timeframe.
func (d Dir) List() ([]DirEntry, error) {
	files, err := os.ReadDir(d.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return []DirEntry{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := []DirEntry{}
	for _, f := range files {
		if f.IsDir() || !strings.HasSuffix(f.Name(), ".csv") {
			continue
		}
		symbol, tf, err := ParseFileName(f.Name())
		if err != nil {
			continue
		}
		s, err := d.Load(symbol, tf)
		if err != nil || len(s.Bars) == 0 {
			continue
		}
		first, last := s.Range()
		out = append(out, DirEntry{Symbol: symbol, Timeframe: tf, First: first, Last: last, Rows: len(s.Bars)})
	}
	slices.SortFunc(out, func(a, b DirEntry) int {
		if c := strings.Compare(a.Symbol, b.Symbol); c != 0 {
			return c
		}
		return strings.Compare(string(a.Timeframe), string(b.Timeframe))
	})
	return out, nil
}
