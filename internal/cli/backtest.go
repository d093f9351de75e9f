package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ktrdr/ktrdr/internal/apiclient"
)

func newBacktestCmd() *cobra.Command {
	var symbol, timeframe, start, end, modelVersion, fill string
	var capital, commission, slippage, perTrade, positionSize float64
	var detach bool
	cmd := &cobra.Command{
		Use:   "backtest STRATEGY",
		Short: "Backtest a strategy on a backtest worker and watch it",
		Long: `Backtest STRATEGY on a backtest worker: its latest model (or --model-version)
for model-based strategies, its rules for rule-based ones. The command watches
the operation (progress line with ETA) and ends with the key metrics and the
trade count. Ctrl-C cancels the backtest; --detach prints the operation and
trace ids and returns at once.

Money: --capital (default 100000), --commission and --slippage as fractions of
traded value (defaults 0.001 and 0.0005), --commission-per-trade, --fill
next_open (default) or close, --position-size as a fraction of equity (1).`,
		Example: `  ktrdr backtest rsi_mean_reversion --symbol SPX --timeframe 1d --start 2017-01-03 --end 2020-04-17
  ktrdr backtest sma_crossover --commission 0 --slippage 0
  ktrdr backtest rsi_mean_reversion --model-version 3 --capital 50000 -o json`,
		Args:              args(1, 1, "one STRATEGY"),
		ValidArgsFunction: completeStrategyArg,
		RunE: func(cmd *cobra.Command, a []string) error {
			if symbol != "" {
				if err := checkSymbol("--symbol", symbol); err != nil {
					return err
				}
			}
			if timeframe != "" {
				if err := checkTimeframe("--timeframe", timeframe); err != nil {
					return err
				}
			}
			if err := checkWindow(start, end); err != nil {
				return err
			}
			if fill != "" {
				if err := oneOf("--fill", fill, "next_open", "close"); err != nil {
					return err
				}
			}
			req := apiclient.BacktestRequest{Strategy: a[0], Symbol: symbol, Timeframe: timeframe, Start: start, End: end,
				ModelVersion: modelVersion, CommissionPerTrade: perTrade, Fill: fill, PositionSize: positionSize}
			flags := cmd.Flags()
			if flags.Changed("capital") {
				if capital <= 0 {
					return fmt.Errorf("--capital %v: want more than 0", capital)
				}
				req.InitialCapital = &capital
			}
			for _, fr := range []struct {
				name string
				v    *float64
				dst  **float64
			}{{"commission", &commission, &req.Commission}, {"slippage", &slippage, &req.Slippage}} {
				if flags.Changed(fr.name) {
					if *fr.v < 0 || *fr.v >= 1 {
						return fmt.Errorf("--%s %v: want a fraction in [0, 1), e.g. 0.001", fr.name, *fr.v)
					}
					*fr.dst = fr.v
				}
			}
			if perTrade < 0 {
				return fmt.Errorf("--commission-per-trade %v: want 0 or more", perTrade)
			}
			if flags.Changed("position-size") && (positionSize <= 0 || positionSize > 1) {
				return fmt.Errorf("--position-size %v: want a fraction of equity in (0, 1]", positionSize)
			}
			return runClient(cmd, func(e *env) error {
				st, err := e.c.StartBacktest(e.a.Ctx, req)
				if err != nil {
					return err
				}
				return e.follow(st, detach, watchOptions{cancelOnInterrupt: true})
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&symbol, "symbol", "", "symbol (default: the strategy's)")
	f.StringVar(&timeframe, "timeframe", "", "timeframe (default: the strategy's)")
	f.StringVar(&start, "start", "", "first bar (YYYY-MM-DD or RFC3339)")
	f.StringVar(&end, "end", "", "last bar (YYYY-MM-DD or RFC3339)")
	f.StringVar(&modelVersion, "model-version", "", "model version: latest (default), N or vN")
	f.Float64Var(&capital, "capital", 100000, "initial capital")
	f.Float64Var(&commission, "commission", 0.001, "commission, fraction of traded value")
	f.Float64Var(&slippage, "slippage", 0.0005, "slippage, fraction of price against the trader")
	f.Float64Var(&perTrade, "commission-per-trade", 0, "fixed commission per fill")
	f.StringVar(&fill, "fill", "", "fill price: next_open (default) or close")
	f.Float64Var(&positionSize, "position-size", 0, "fraction of equity per entry (default 1)")
	f.BoolVar(&detach, "detach", false, "print the operation id and return without watching")
	_ = cmd.RegisterFlagCompletionFunc("timeframe", completeTimeframes)
	_ = cmd.RegisterFlagCompletionFunc("fill", fixedCompletion("next_open", "close"))
	return cmd
}
