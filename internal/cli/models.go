package cli

import (
	"fmt"
	"io"
	"regexp"

	"github.com/spf13/cobra"
)

func newModelsCmd() *cobra.Command {
	return groupCmd("models", "List and show trained models",
		`Models are the versions training stores in the API's model store, named
{strategy}/{timeframe}_v{N}.`,
		newModelsListCmd(), newModelsShowCmd())
}

func newModelsListCmd() *cobra.Command {
	var strat string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List model versions with their test accuracy",
		Example: `  ktrdr models list
  ktrdr models list --strategy rsi_mean_reversion`,
		Args: args(0, 0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runClient(cmd, func(e *env) error {
				list, err := e.c.Models(e.a.Ctx, strat)
				if err != nil {
					return err
				}
				return e.show(map[string]any{"models": nonNil(list)}, func(w io.Writer) { renderModels(w, list) })
			})
		},
	}
	cmd.Flags().StringVar(&strat, "strategy", "", "only this strategy's models")
	_ = cmd.RegisterFlagCompletionFunc("strategy", completeStrategyFlag)
	return cmd
}

var versionPattern = regexp.MustCompile(`^(latest|v?[1-9][0-9]*)$`)

func newModelsShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show STRATEGY TIMEFRAME [VERSION]",
		Short: "Show a model: test metrics, features, data range (not the weights)",
		Long: `Show a model version (default the latest; VERSION is N, vN or latest): its
architecture, feature count, training data range and split, and its test
metrics against the majority baseline, per class, with the confusion matrix.
The weights are not shown (not in -o json either).`,
		Example: `  ktrdr models show rsi_mean_reversion 1d
  ktrdr models show rsi_mean_reversion 1d v3 -o json`,
		Args: args(2, 3, "STRATEGY TIMEFRAME [VERSION]"),
		ValidArgsFunction: func(cmd *cobra.Command, a []string, s string) ([]string, cobra.ShellCompDirective) {
			switch len(a) {
			case 0:
				return completeStrategyArg(cmd, a, s)
			case 1:
				return completeTimeframes(cmd, a, s)
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, a []string) error {
			if err := checkTimeframe("TIMEFRAME", a[1]); err != nil {
				return err
			}
			version := "latest"
			if len(a) == 3 {
				if !versionPattern.MatchString(a[2]) {
					return fmt.Errorf("VERSION %q: want latest, N or vN", a[2])
				}
				version = a[2]
			}
			return runClient(cmd, func(e *env) error {
				art, err := e.c.Model(e.a.Ctx, a[0], a[1], version)
				if err != nil {
					return err
				}
				art.Network = nil // the weights are not for reading
				return e.show(art, func(w io.Writer) { renderModel(w, art) })
			})
		},
	}
}
