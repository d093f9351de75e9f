package cli

import (
	"github.com/spf13/cobra"

	"github.com/ktrdr/ktrdr/internal/apiclient"
)

func newTrainCmd() *cobra.Command {
	var symbols, timeframes []string
	var start, end string
	var seed uint64
	var detach bool
	cmd := &cobra.Command{
		Use:   "train STRATEGY",
		Short: "Train a strategy's model on a training worker and watch it",
		Long: `Train the model of STRATEGY (a name from ktrdr strategies list) on a training
worker. The command watches the operation: a progress line with the phase,
percentage, epoch and ETA, then the model's test accuracy against the
majority-class baseline, per-class precision and recall and the confusion
matrix. Ctrl-C cancels the training; --detach prints the operation and trace
ids and returns at once.

--symbol and --timeframe (repeatable) override the strategy's; --seed makes the
weights reproducible (default 42). The trace of the training starts at this
command: ktrdr trace OPERATION_ID shows it.`,
		Example: `  ktrdr train rsi_mean_reversion --symbol SPX --timeframe 1d
  ktrdr train multi_timeframe_momentum --start 2025-01-06 --end 2025-12-31 --seed 7
  ktrdr train rsi_mean_reversion --detach`,
		Args:              args(1, 1, "one STRATEGY"),
		ValidArgsFunction: completeStrategyArg,
		RunE: func(cmd *cobra.Command, a []string) error {
			for _, s := range symbols {
				if err := checkSymbol("--symbol", s); err != nil {
					return err
				}
			}
			for _, tf := range timeframes {
				if err := checkTimeframe("--timeframe", tf); err != nil {
					return err
				}
			}
			if err := checkWindow(start, end); err != nil {
				return err
			}
			return runClient(cmd, func(e *env) error {
				st, err := e.c.StartTraining(e.a.Ctx, apiclient.TrainingRequest{
					Strategy: a[0], Symbols: symbols, Timeframes: timeframes, Start: start, End: end, Seed: seed,
				})
				if err != nil {
					return err
				}
				return e.follow(st, detach, watchOptions{metrics: true, cancelOnInterrupt: true})
			})
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&symbols, "symbol", nil, "symbol(s) to train on instead of the strategy's (repeatable)")
	f.StringSliceVar(&timeframes, "timeframe", nil, "timeframe(s) instead of the strategy's (repeatable)")
	f.StringVar(&start, "start", "", "first bar of the training data (YYYY-MM-DD or RFC3339)")
	f.StringVar(&end, "end", "", "last bar of the training data (YYYY-MM-DD or RFC3339)")
	f.Uint64Var(&seed, "seed", 0, "random seed (default 42)")
	f.BoolVar(&detach, "detach", false, "print the operation id and return without watching")
	_ = cmd.RegisterFlagCompletionFunc("timeframe", completeTimeframes)
	return cmd
}
