package strategy

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ktrdr/ktrdr/strategies"
)

// Examples is the embedded copy of the repository's strategies/*.yaml: the
// catalog a Catalog with no Dir serves.
var Examples fs.FS = strategies.FS

// ErrNotFound is returned (wrapped) by Catalog.Get for an unknown name.
var ErrNotFound = errors.New("strategy not found")

// MaxFileSize bounds a strategy file read by a Catalog.
const MaxFileSize = 1 << 20

// Catalog finds strategies by name: the files of Dir (*.yaml, *.yml; not
// recursive, dot-files skipped) layered over the embedded Examples, a file
// in Dir replacing an example of the same name. Dir "" serves the examples
// only. A strategy's name is its name: field, or the file stem when that is
// missing or invalid. When two files in Dir claim one name, the first in
// file-name order wins and the other is listed as invalid.
type Catalog struct{ Dir string }

// Summary describes one catalog entry.
type Summary struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Version     string   `json:"version,omitempty"`
	Hypothesis  string   `json:"hypothesis,omitempty"`
	Symbols     []string `json:"symbols"`
	Timeframes  []string `json:"timeframes"`
	Indicators  int      `json:"indicators"`
	Features    int      `json:"features"`       // fuzzy input columns over all timeframes (len(FeatureNames()))
	Rule        string   `json:"rule,omitempty"` // the rule type of a rule-based baseline, else ""
	Source      string   `json:"source"`         // "embedded" or the file path
	Valid       bool     `json:"valid"`
	Error       string   `json:"error,omitempty"`
}

type loaded struct {
	name     string
	source   string
	strategy *Strategy // partially filled when err != nil
	warnings []Warning
	err      error
	shadowed bool // a duplicate name in Dir, listed after the file in force
}

// List returns every strategy sorted by name (then source); files that do
// not parse are listed with Valid false and the reason in Error. The error
// is for a Dir that cannot be read.
func (c Catalog) List() ([]Summary, error) {
	all, err := c.load()
	if err != nil {
		return nil, err
	}
	out := make([]Summary, 0, len(all))
	for _, l := range all {
		s := l.strategy
		sum := Summary{
			Name: l.name, Description: s.Description, Version: s.Version, Hypothesis: s.Hypothesis,
			Symbols: append([]string{}, s.Symbols...), Timeframes: []string{},
			Indicators: len(s.Indicators), Source: l.source, Valid: l.err == nil,
		}
		if s.Rule != nil {
			sum.Rule = s.Rule.Type
		}
		for _, tf := range s.Timeframes {
			sum.Timeframes = append(sum.Timeframes, string(tf))
		}
		if l.err != nil {
			sum.Error = l.err.Error()
		} else {
			sum.Features = len(s.FeatureNames())
		}
		out = append(out, sum)
	}
	return out, nil
}

// Get returns the strategy called name. An absent name gives an error
// wrapping ErrNotFound; a file that does not parse gives its
// *ValidationError (or read error).
func (c Catalog) Get(name string) (*Strategy, []Warning, error) {
	all, err := c.load()
	if err != nil {
		return nil, nil, err
	}
	for _, l := range all {
		if l.name != name || l.shadowed {
			continue
		}
		if l.err != nil {
			return nil, l.warnings, fmt.Errorf("%s: %w", l.source, l.err)
		}
		return l.strategy, l.warnings, nil
	}
	return nil, nil, fmt.Errorf("%w: %q", ErrNotFound, name)
}

// load reads and parses the whole catalog, sorted by name then source, with
// the winner of each name first.
func (c Catalog) load() ([]loaded, error) {
	byName := map[string]int{} // name -> index in out of the entry in force
	var out []loaded

	emb, err := fs.ReadDir(Examples, ".")
	if err != nil {
		return nil, fmt.Errorf("embedded strategies: %w", err)
	}
	for _, e := range emb {
		if !isStrategyFile(e) {
			continue
		}
		data, err := fs.ReadFile(Examples, e.Name())
		l := build(e.Name(), "embedded", data, err)
		byName[l.name] = len(out)
		out = append(out, l)
	}

	if c.Dir != "" {
		ents, err := os.ReadDir(c.Dir)
		if err != nil {
			return nil, fmt.Errorf("strategies directory: %w", err)
		}
		sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
		fromDir := map[string]string{} // name -> path of the file that claimed it
		for _, e := range ents {
			if !isStrategyFile(e) {
				continue
			}
			path := filepath.Join(c.Dir, e.Name())
			data, err := readFile(path)
			l := build(e.Name(), path, data, err)
			switch prev, dup := fromDir[l.name]; {
			case dup:
				l.err = fmt.Errorf("name %q is already used by %s", l.name, prev)
				l.shadowed = true
				out = append(out, l)
			default:
				fromDir[l.name] = path
				if i, ok := byName[l.name]; ok {
					out[i] = l // replaces the embedded example
				} else {
					byName[l.name] = len(out)
					out = append(out, l)
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].name != out[j].name {
			return out[i].name < out[j].name
		}
		return !out[i].shadowed && out[j].shadowed // the entry in force first
	})
	return out, nil
}

func isStrategyFile(e fs.DirEntry) bool {
	name := e.Name()
	if strings.HasPrefix(name, ".") || e.IsDir() {
		return false
	}
	ext := filepath.Ext(name)
	return ext == ".yaml" || ext == ".yml"
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, MaxFileSize)
	}
	return data, nil
}

// build parses one file into a catalog entry.
func build(file, source string, data []byte, readErr error) loaded {
	stem := strings.TrimSuffix(file, filepath.Ext(file))
	if readErr != nil {
		return loaded{name: stem, source: source, strategy: &Strategy{}, err: readErr}
	}
	s, warns, probs := parse(data)
	l := loaded{name: s.Name, source: source, strategy: s, warnings: warns}
	if !nameRE.MatchString(l.name) {
		l.name = stem
	}
	if len(probs) > 0 {
		l.err = &ValidationError{Problems: probs}
	}
	return l
}
