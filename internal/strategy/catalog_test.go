package strategy

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func exampleFiles(t testing.TB) map[string][]byte {
	t.Helper()
	ents, err := fs.ReadDir(Examples, ".")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range ents {
		data, err := fs.ReadFile(Examples, e.Name())
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = data
	}
	return out
}

func TestExamplesParseCleanly(t *testing.T) {
	files := exampleFiles(t)
	for _, want := range []string{"rsi_mean_reversion.yaml", "macd_trend.yaml", "multi_timeframe_momentum.yaml", "multi_symbol_rsi.yaml"} {
		if _, ok := files[want]; !ok {
			t.Errorf("example %s missing", want)
		}
	}
	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			s, warns, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			if len(warns) > 0 {
				t.Errorf("warnings: %v", warns)
			}
			if stem := strings.TrimSuffix(name, ".yaml"); s.Name != stem {
				t.Errorf("name %q differs from file stem %q", s.Name, stem)
			}
			if !strings.HasPrefix(string(data), "#") {
				t.Error("no header comment")
			}
			if s.Description == "" || s.Hypothesis == "" || s.Version == "" {
				t.Error("description, hypothesis and version should be set in an example")
			}
			if s.Model.Epochs > 60 {
				t.Errorf("epochs %d: keep examples fast", s.Model.Epochs)
			}
			for _, h := range s.Model.HiddenLayers {
				if h > 64 {
					t.Errorf("hidden layer of %d units: keep examples small", h)
				}
			}
			checkInvariants(t, s)
		})
	}
	// The examples cover each mode.
	byName := map[string]*Strategy{}
	for _, data := range files {
		s, _, _ := Parse(data)
		byName[s.Name] = s
	}
	if s := byName["multi_timeframe_momentum"]; s == nil || s.TimeframeMode != "multi_timeframe" || s.BaseTimeframe != "1h" || len(s.Timeframes) != 2 {
		t.Errorf("multi_timeframe_momentum: %+v", s)
	}
	if s := byName["multi_symbol_rsi"]; s == nil || s.SymbolMode != "multi_symbol" || !slices.Equal(s.Symbols, []string{"SYNA", "SYNB"}) {
		t.Errorf("multi_symbol_rsi: %+v", s)
	}
	if s := byName["macd_trend"]; s == nil || s.Model.LookbackPeriods != 2 {
		t.Errorf("macd_trend: %+v", s)
	}
}

func TestCatalogEmbedded(t *testing.T) {
	list, err := Catalog{}.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != len(exampleFiles(t)) {
		t.Fatalf("listed %d, have %d examples", len(list), len(exampleFiles(t)))
	}
	for i, s := range list {
		if !s.Valid || s.Source != "embedded" || s.Error != "" || (s.Features == 0 && s.Rule == "") || (s.Indicators == 0 && s.Rule == "") || len(s.Symbols) == 0 || len(s.Timeframes) == 0 {
			t.Errorf("summary %+v", s)
		}
		if i > 0 && list[i-1].Name > s.Name {
			t.Errorf("not sorted: %s before %s", list[i-1].Name, s.Name)
		}
	}
	s, warns, err := Catalog{}.Get("macd_trend")
	if err != nil || len(warns) > 0 || s.Name != "macd_trend" {
		t.Fatal(s, warns, err)
	}
	if _, _, err := (Catalog{}).Get("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(nope) = %v", err)
	}
}

func TestCatalogDirOverridesEmbedded(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Same name as an example, different file name and description.
	override := strings.Replace(string(exampleFiles(t)["macd_trend.yaml"]), `description: "Follow`, `description: "LOCAL Follow`, 1)
	overridePath := write("my_macd.yaml", override)
	brokenPath := write("broken.yaml", "name: broken\nindicators: 3\n")
	write("notes.txt", "not a strategy")
	write(".hidden.yaml", "name: hidden\n")
	if err := os.Mkdir(filepath.Join(dir, "sub.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	nameless := write("from_stem.yml", strings.Replace(minimal, "name: minimal\n", "", 1))
	extraPath := write("extra.yml", strings.Replace(minimal, "name: minimal", "name: extra", 1))
	dupPath := write("zz_dup.yaml", strings.Replace(minimal, "name: minimal", "name: extra", 1))

	c := Catalog{Dir: dir}
	list, err := c.List()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string][]Summary{}
	var names []string
	for _, s := range list {
		byName[s.Name] = append(byName[s.Name], s)
		names = append(names, s.Name)
	}
	if !slices.IsSorted(names) {
		t.Errorf("not sorted by name: %v", names)
	}
	if got := byName["macd_trend"]; len(got) != 1 || got[0].Source != overridePath || !strings.HasPrefix(got[0].Description, "LOCAL") || !got[0].Valid {
		t.Errorf("macd_trend not overridden: %+v", got)
	}
	if got := byName["rsi_mean_reversion"]; len(got) != 1 || got[0].Source != "embedded" {
		t.Errorf("other examples should stay: %+v", got)
	}
	if got := byName["broken"]; len(got) != 1 || got[0].Valid || got[0].Source != brokenPath || !strings.Contains(got[0].Error, "indicators: must be a list") {
		t.Errorf("broken: %+v", got)
	}
	// A file without a name is listed under its stem (invalid: name is required).
	if got := byName["from_stem"]; len(got) != 1 || got[0].Valid || got[0].Source != nameless || !strings.Contains(got[0].Error, "name: required") {
		t.Errorf("from_stem: %+v", got)
	}
	if got := byName["extra"]; len(got) != 2 || !got[0].Valid || got[0].Source != extraPath || got[1].Valid || got[1].Source != dupPath ||
		!strings.Contains(got[1].Error, "already used by") {
		t.Errorf("extra: %+v", got)
	}
	for _, n := range []string{"hidden", "notes", "sub"} {
		if _, ok := byName[n]; ok {
			t.Errorf("%s listed", n)
		}
	}

	s, _, err := c.Get("macd_trend")
	if err != nil || !strings.HasPrefix(s.Description, "LOCAL") {
		t.Errorf("Get(macd_trend) = %v, %v", s, err)
	}
	s, _, err = c.Get("extra")
	if err != nil || s.Name != "extra" {
		t.Errorf("Get(extra) = %v, %v", s, err)
	}
	_, _, err = c.Get("broken")
	var ve *ValidationError
	if !errors.As(err, &ve) || errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), brokenPath) {
		t.Errorf("Get(broken) = %v", err)
	}
	if _, _, err := c.Get("missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(missing) = %v", err)
	}

	// An unreadable directory is an error, not an empty catalog.
	if _, err := (Catalog{Dir: filepath.Join(dir, "nope")}).List(); err == nil {
		t.Error("missing dir: no error")
	}
}

func TestCatalogRefusesHugeFile(t *testing.T) {
	dir := t.TempDir()
	big := minimal + "# " + strings.Repeat("x", MaxFileSize) + "\n"
	if err := os.WriteFile(filepath.Join(dir, "big.yaml"), []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}
	list, err := Catalog{Dir: dir}.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if s.Name == "big" && (s.Valid || !strings.Contains(s.Error, "larger than")) {
			t.Errorf("%+v", s)
		}
	}
}
