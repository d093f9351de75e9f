package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/ktrdr/ktrdr/internal/strategy"
)

func newStrategiesCmd() *cobra.Command {
	return groupCmd("strategies", "List, show and validate strategies",
		`Strategies are the YAML files the API serves: its --strategies-dir over the
built-in examples.`,
		newStrategiesListCmd(), newStrategiesShowCmd(), newStrategiesValidateCmd())
}

func newStrategiesListCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List the strategies the API knows",
		Example: `  ktrdr strategies list`,
		Args:    args(0, 0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runClient(cmd, func(e *env) error {
				list, err := e.c.Strategies(e.a.Ctx)
				if err != nil {
					return err
				}
				return e.show(map[string]any{"strategies": nonNil(list)}, func(w io.Writer) { renderStrategies(w, list) })
			})
		},
	}
}

func newStrategiesShowCmd() *cobra.Command {
	var yaml bool
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a strategy: data, indicators, the features it makes, warnings",
		Example: `  ktrdr strategies show rsi_mean_reversion
  ktrdr strategies show rsi_mean_reversion --yaml > my_strategy.yaml`,
		Args:              args(1, 1, "one strategy NAME"),
		ValidArgsFunction: completeStrategyArg,
		RunE: func(cmd *cobra.Command, a []string) error {
			return runClient(cmd, func(e *env) error {
				v, err := e.c.Strategy(e.a.Ctx, a[0])
				if err != nil {
					return err
				}
				switch {
				case yaml:
					_, err := fmt.Fprint(e.out, v.YAML)
					return err
				case e.json:
					return printJSON(e.out, v)
				}
				renderStrategy(e.out, v)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&yaml, "yaml", false, "print the strategy's YAML as written")
	return cmd
}

func newStrategiesValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE",
		Short: "Validate a strategy YAML file with the API",
		Long: `Validate a strategy file: a valid one prints what it makes (and any warnings);
an invalid one prints every problem as "path: message" and exits 1.`,
		Example: `  ktrdr strategies validate my_strategy.yaml`,
		Args:    args(1, 1, "one strategy FILE"),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return []string{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
		},
		RunE: func(cmd *cobra.Command, a []string) error {
			raw, err := os.ReadFile(a[0])
			if err != nil {
				return fmt.Errorf("reading the strategy: %v", err)
			}
			if len(raw) > strategy.MaxFileSize {
				return fmt.Errorf("%s is larger than %d bytes", a[0], strategy.MaxFileSize)
			}
			return runClient(cmd, func(e *env) error {
				v, err := e.c.ValidateStrategy(e.a.Ctx, raw)
				if err != nil {
					return err
				}
				if e.json {
					if err := printJSON(e.out, v); err != nil {
						return err
					}
				} else if v.Valid {
					if v.Strategy != nil {
						fmt.Fprintf(e.out, "%s: valid strategy %s (%d indicators, %d features, %s)\n", a[0], v.Strategy.Name,
							len(v.Strategy.Indicators), len(v.Strategy.Features), joinOrDash(v.Strategy.Timeframes))
					}
					renderWarnings(e.out, v.Warnings)
				} else {
					for _, p := range v.Problems {
						fmt.Fprintln(e.out, p.String())
					}
					renderWarnings(e.out, v.Warnings)
				}
				if !v.Valid {
					return quit(e.errOut, 1, fmt.Sprintf("%s: invalid strategy: %d problem%s", a[0], len(v.Problems), plural(len(v.Problems))))
				}
				return nil
			})
		},
	}
}
