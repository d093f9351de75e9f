package models

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ktrdr/ktrdr/internal/marketdata"
)

// ErrNotFound is a model (or version) the store does not have.
var ErrNotFound = errors.New("model not found")

// Store keeps artifacts under Dir as {strategy}/{timeframe}_v{N}/ with
// model.json (the artifact) and info.json (its summary, so listing never
// reads weights). A version directory appears only complete: it is written
// under a temporary name and renamed into place.
type Store struct {
	dir string
	mu  sync.Mutex // serialises version assignment
	now func() time.Time
}

// OpenStore opens (creating) a store directory.
func OpenStore(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("model store: %w", err)
	}
	return &Store{dir: dir, now: time.Now}, nil
}

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

// Save stores a as the next version of its strategy and timeframe; it sets
// a.Version and a.CreatedAt.
func (s *Store) Save(a *Artifact) (Info, error) {
	if err := a.Validate(); err != nil {
		return Info{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sdir := filepath.Join(s.dir, a.Strategy)
	if err := os.MkdirAll(sdir, 0o755); err != nil {
		return Info{}, err
	}
	versions, err := s.versions(a.Strategy, a.Timeframe)
	if err != nil {
		return Info{}, err
	}
	a.Version = 1
	if len(versions) > 0 {
		a.Version = versions[len(versions)-1] + 1
	}
	a.CreatedAt = s.now().UTC()
	body, err := json.Marshal(a)
	if err != nil {
		return Info{}, err
	}
	info := a.Info(int64(len(body)))
	ib, _ := json.MarshalIndent(info, "", "  ")
	tmp, err := os.MkdirTemp(sdir, ".tmp-")
	if err != nil {
		return Info{}, err
	}
	defer os.RemoveAll(tmp)
	for name, b := range map[string][]byte{"model.json": body, "info.json": ib} {
		if err := writeSynced(filepath.Join(tmp, name), b); err != nil {
			return Info{}, err
		}
	}
	if err := os.Rename(tmp, filepath.Join(sdir, dirName(a.Timeframe, a.Version))); err != nil {
		return Info{}, err
	}
	return info, nil
}

func writeSynced(path string, b []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func dirName(tf marketdata.Timeframe, v int) string { return fmt.Sprintf("%s_v%d", tf, v) }

// versions lists the stored versions of strategy/tf, ascending.
func (s *Store) versions(strategy string, tf marketdata.Timeframe) ([]int, error) {
	entries, err := os.ReadDir(filepath.Join(s.dir, strategy))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []int
	prefix := string(tf) + "_v"
	for _, e := range entries {
		if rest, ok := strings.CutPrefix(e.Name(), prefix); ok && e.IsDir() {
			if v, err := strconv.Atoi(rest); err == nil && v > 0 {
				out = append(out, v)
			}
		}
	}
	sort.Ints(out)
	return out, nil
}

// ParseVersion reads "latest" (0), "3" or "v3".
func ParseVersion(s string) (int, error) {
	if s == "" || s == "latest" {
		return 0, nil
	}
	v, err := strconv.Atoi(strings.TrimPrefix(s, "v"))
	if err != nil || v < 1 {
		return 0, &FieldError{"version", fmt.Sprintf("version must be latest, N or vN with N >= 1, got %q", s)}
	}
	return v, nil
}

// Get returns one version (0: the latest).
func (s *Store) Get(strategy string, tf marketdata.Timeframe, version int) (*Artifact, error) {
	if ValidateName(strategy) != nil {
		return nil, ErrNotFound
	}
	if version == 0 {
		vs, err := s.versions(strategy, tf)
		if err != nil {
			return nil, err
		}
		if len(vs) == 0 {
			return nil, fmt.Errorf("%w: no %s model for %s", ErrNotFound, tf, strategy)
		}
		version = vs[len(vs)-1]
	}
	b, err := os.ReadFile(filepath.Join(s.dir, strategy, dirName(tf, version), "model.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, Name(strategy, tf, version))
	}
	if err != nil {
		return nil, err
	}
	var a Artifact
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("model %s is corrupt: %w", Name(strategy, tf, version), err)
	}
	return &a, nil
}

// List summarises every stored version (of one strategy when strategy is
// not ""), by strategy, timeframe and version.
func (s *Store) List(strategy string) ([]Info, error) {
	pattern := filepath.Join(s.dir, "*", "*", "info.json")
	if strategy != "" {
		if ValidateName(strategy) != nil {
			return nil, nil
		}
		pattern = filepath.Join(s.dir, strategy, "*", "info.json")
	}
	paths, err := filepath.Glob(pattern)
	if err != nil {
		return nil, err
	}
	out := make([]Info, 0, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var in Info
		if err := json.Unmarshal(b, &in); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		out = append(out, in)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Strategy != b.Strategy {
			return a.Strategy < b.Strategy
		}
		if a.Timeframe != b.Timeframe {
			return a.Timeframe < b.Timeframe
		}
		return a.Version < b.Version
	})
	return out, nil
}
