package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ktrdr/ktrdr/internal/apiclient"
)

// groupCmd is a command that only holds subcommands: alone it prints its
// help; with an unknown subcommand it is an error.
func groupCmd(use, short, long string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long,
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(subs...)
	return cmd
}

func newDataCmd() *cobra.Command {
	return groupCmd("data", "Load, list and show the market data the API stores",
		`Market data: bars the API loads from the market-data host service and keeps.
Times are UTC.`,
		newDataLoadCmd(), newDataListCmd(), newDataShowCmd())
}

func newDataLoadCmd() *cobra.Command {
	var mode, start, end string
	var detach bool
	cmd := &cobra.Command{
		Use:   "load SYMBOL TIMEFRAME",
		Short: "Load bars from the market-data host into the API's store",
		Long: `Load bars of SYMBOL at TIMEFRAME from the market-data host service into the
API's store, as a data_load operation, and watch it to the end (a progress
line, then the rows loaded). Ctrl-C cancels the load; --detach prints the
operation and trace ids and returns at once.

Modes: local (what is stored; fetch nothing), tail (the default: after the last
stored bar, up to --end or now), backfill (before the first), full (the whole
range again). --start and --end take YYYY-MM-DD or RFC3339.`,
		Example: `  ktrdr data load SPX 1d --mode full
  ktrdr data load SYNDEMO 1h --start 2026-01-05 --end 2026-02-01
  ktrdr data load SPX 1d --detach`,
		Args:              args(2, 2, "SYMBOL TIMEFRAME"),
		ValidArgsFunction: completeSymbolTimeframe(false),
		RunE: func(cmd *cobra.Command, a []string) error {
			if err := checkSymbol("SYMBOL", a[0]); err != nil {
				return err
			}
			if err := checkTimeframe("TIMEFRAME", a[1]); err != nil {
				return err
			}
			if err := oneOf("--mode", mode, "local", "tail", "backfill", "full"); err != nil {
				return err
			}
			if err := checkWindow(start, end); err != nil {
				return err
			}
			return runClient(cmd, func(e *env) error {
				st, err := e.c.LoadData(e.a.Ctx, apiclient.LoadRequest{Symbol: strings.ToUpper(a[0]), Timeframe: a[1], Start: start, End: end, Mode: mode})
				if err != nil {
					return err
				}
				return e.follow(st, detach, watchOptions{cancelOnInterrupt: true})
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&mode, "mode", "tail", "local, tail, backfill or full")
	f.StringVar(&start, "start", "", "first bar to load (YYYY-MM-DD or RFC3339)")
	f.StringVar(&end, "end", "", "last bar to load (YYYY-MM-DD or RFC3339)")
	f.BoolVar(&detach, "detach", false, "print the operation id and return without watching")
	_ = cmd.RegisterFlagCompletionFunc("mode", fixedCompletion("local", "tail", "backfill", "full"))
	return cmd
}

func newDataListCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List the stored series: symbol, timeframe, first and last bar, rows",
		Example: `  ktrdr data list`,
		Args:    args(0, 0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runClient(cmd, func(e *env) error {
				list, err := e.c.Data(e.a.Ctx)
				if err != nil {
					return err
				}
				if e.json {
					if list == nil {
						list = []apiclient.DataInfo{}
					}
					return printJSON(e.out, map[string]any{"data": list})
				}
				renderData(e.out, list)
				return nil
			})
		},
	}
}

func newDataShowCmd() *cobra.Command {
	var start, end string
	var limit, offset int
	cmd := &cobra.Command{
		Use:   "show SYMBOL TIMEFRAME",
		Short: "Show stored bars of a series",
		Long: `Show stored bars of SYMBOL at TIMEFRAME, oldest first: --limit bars (default
50) from --offset, inside --start/--end when given. Times are UTC.`,
		Example: `  ktrdr data show SPX 1d --start 2020-03-01 --limit 20
  ktrdr data show SPX 1d --offset 100 -o json`,
		Args:              args(2, 2, "SYMBOL TIMEFRAME"),
		ValidArgsFunction: completeSymbolTimeframe(true),
		RunE: func(cmd *cobra.Command, a []string) error {
			if err := checkSymbol("SYMBOL", a[0]); err != nil {
				return err
			}
			if err := checkTimeframe("TIMEFRAME", a[1]); err != nil {
				return err
			}
			if err := checkWindow(start, end); err != nil {
				return err
			}
			if limit < 1 || limit > 100000 {
				return fmt.Errorf("--limit %d: want 1-100000", limit)
			}
			if offset < 0 {
				return fmt.Errorf("--offset %d: want 0 or more", offset)
			}
			return runClient(cmd, func(e *env) error {
				page, err := e.c.Bars(e.a.Ctx, apiclient.BarsQuery{Symbol: strings.ToUpper(a[0]), Timeframe: a[1], Start: start, End: end, Limit: limit, Offset: offset})
				if err != nil {
					return err
				}
				return e.show(page, func(w io.Writer) { renderBars(w, page) })
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&start, "start", "", "first bar (YYYY-MM-DD or RFC3339)")
	f.StringVar(&end, "end", "", "last bar (YYYY-MM-DD or RFC3339)")
	f.IntVar(&limit, "limit", 50, "number of bars to show")
	f.IntVar(&offset, "offset", 0, "bars to skip")
	return cmd
}
