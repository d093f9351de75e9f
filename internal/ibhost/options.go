package ibhost

import (
	"fmt"
	"os"
	"path/filepath"
)

// Provider modes of `ktrdr serve ib-host --provider`.
const (
	// ModeAuto: the sample data, then the user's CSV files, then synthetic
	// bars for symbols starting with "SYN" only. Any other symbol that no
	// file has is a 404 naming it, so a typo (SPY for SPX) never silently
	// returns fake data.
	ModeAuto = "auto"
	// ModeCSV: the sample data and the user's CSV files; never synthetic.
	ModeCSV = "csv"
	// ModeSynthetic: synthetic bars for every valid symbol.
	ModeSynthetic = "synthetic"
)

// ProviderOptions selects and configures a provider.
type ProviderOptions struct {
	Mode      string // ModeAuto (default when empty), ModeCSV or ModeSynthetic
	SampleDir string // directory of sample CSVs; "" = the sample embedded in the binary
	DataDir   string // directory of the user's CSVs; "" = none
	Seed      int64  // synthetic seed
}

// BuildProvider returns the provider the options describe. Directories
// must exist.
func BuildProvider(o ProviderOptions) (Provider, error) {
	csvs := func() ([]Provider, error) {
		var ps []Provider
		if o.SampleDir == "" {
			ps = append(ps, SampleProvider())
		} else {
			if err := isDir(o.SampleDir); err != nil {
				return nil, fmt.Errorf("--sample-dir: %w", err)
			}
			ps = append(ps, &CSVProvider{FS: os.DirFS(o.SampleDir), Label: "sample"})
		}
		if o.DataDir != "" {
			if err := isDir(o.DataDir); err != nil {
				return nil, fmt.Errorf("--data-dir: %w", err)
			}
			ps = append(ps, &CSVProvider{FS: os.DirFS(o.DataDir), Label: "csv"})
		}
		return ps, nil
	}
	switch o.Mode {
	case ModeAuto, "":
		ps, err := csvs()
		if err != nil {
			return nil, err
		}
		return &Multi{Label: ModeAuto, Providers: append(ps, &SyntheticProvider{Seed: o.Seed, Prefix: "SYN"})}, nil
	case ModeCSV:
		ps, err := csvs()
		if err != nil {
			return nil, err
		}
		return &Multi{Label: ModeCSV, Providers: ps}, nil
	case ModeSynthetic:
		return &SyntheticProvider{Seed: o.Seed}, nil
	default:
		return nil, fmt.Errorf("--provider %q: want %s, %s or %s", o.Mode, ModeAuto, ModeCSV, ModeSynthetic)
	}
}

func isDir(p string) error {
	st, err := os.Stat(p)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a directory", p)
	}
	return nil
}

// DefaultCacheDir is $KTRDR_DATA_DIR/cache, else ~/.local/share/ktrdr/cache
// (relative .ktrdr/cache when there is no home directory).
func DefaultCacheDir() string {
	if d := os.Getenv("KTRDR_DATA_DIR"); d != "" {
		return filepath.Join(d, "cache")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "ktrdr", "cache")
	}
	return filepath.Join(".ktrdr", "cache")
}
