package cli

// The user's commands against the API: data, train, backtest, ops, workers,
// strategies, models. Each command that calls the API runs inside one
// action (a root span "ktrdr <command>"); its calls are client spans of that
// trace, and watching an operation polls without tracing.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.opentelemetry.io/otel/attribute"

	"github.com/ktrdr/ktrdr/internal/apiclient"
	"github.com/ktrdr/ktrdr/internal/marketdata"
)

// addClientCommands registers the global --url and --output flags and the
// commands that talk to the API.
func addClientCommands(root *cobra.Command) {
	pf := root.PersistentFlags()
	pf.String("url", envOr("KTRDR_API_URL", apiclient.DefaultURL), "base URL of the ktrdr API (env KTRDR_API_URL)")
	pf.StringP("output", "o", "table", "output format: table or json")
	_ = root.RegisterFlagCompletionFunc("output", fixedCompletion("table", "json"))
	root.AddCommand(newDataCmd(), newTrainCmd(), newBacktestCmd(), newOpsCmd(), newWorkersCmd(), newStrategiesCmd(), newModelsCmd())
}

// env is what a client command works with.
type env struct {
	a      *action
	c      *apiclient.Client
	out    io.Writer // results
	errOut io.Writer // progress and notes
	json   bool
}

// settings reads and checks the global flags; nothing touches the network.
func settings(cmd *cobra.Command) (baseURL string, asJSON bool, err error) {
	format := flagString(cmd, "output")
	switch format {
	case "table", "json":
	default:
		return "", false, fmt.Errorf("--output %q: want table or json", format)
	}
	baseURL = strings.TrimRight(flagString(cmd, "url"), "/")
	u, perr := url.Parse(baseURL)
	if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false, fmt.Errorf("--url %q: want the API's base URL, e.g. %s", baseURL, apiclient.DefaultURL)
	}
	return baseURL, format == "json", nil
}

func flagString(cmd *cobra.Command, name string) string {
	if f := cmd.Flag(name); f != nil {
		return f.Value.String()
	}
	return ""
}

// runClient runs fn as one traced action: the global flags are checked
// first, then telemetry is set up and the command's root span started; the
// client is built after that so its calls are spans of this trace. Errors
// come back as one line.
func runClient(cmd *cobra.Command, fn func(e *env) error) (err error) {
	baseURL, asJSON, err := settings(cmd)
	if err != nil {
		return err
	}
	a, err := startAction(cmd)
	if err != nil {
		return err
	}
	defer func() { a.End(err) }()
	a.SetAttributes(attribute.String("ktrdr.api_url", baseURL))
	e := &env{a: a, c: apiclient.New(baseURL), out: cmd.OutOrStdout(), errOut: cmd.ErrOrStderr(), json: asJSON}
	return e.oneLine(fn(e))
}

// oneLine turns an error into the single line the user sees. Errors that
// carry an exit code (already reported) pass through; an interrupt is exit 130.
func (e *env) oneLine(err error) error {
	if err == nil {
		return nil
	}
	var ee exitError
	if errors.As(err, &ee) {
		return err
	}
	if errors.Is(err, context.Canceled) && e.a.Ctx.Err() != nil {
		return quit(e.errOut, 130, "interrupted")
	}
	return errors.New(apiclient.ErrorLine(err))
}

// codeError is an error already shown to the user, with its exit code.
type codeError struct {
	msg  string
	code int
}

func (e codeError) Error() string { return e.msg }

func (e codeError) Unwrap() error { return exitError{e.code} }

// quit prints msg as one line and returns an error that exits with code.
func quit(w io.Writer, code int, msg string) error {
	fmt.Fprintln(w, msg)
	return codeError{msg: msg, code: code}
}

// --- argument and flag checks (before any network call) ---

// args accepts between min and max positional arguments, named in the
// message when the count is wrong.
func args(min, max int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if len(a) >= min && len(a) <= max {
			return nil
		}
		want := "no arguments"
		if names != "" {
			want = names
		}
		return fmt.Errorf("%s takes %s, got %d argument%s (see %s --help)", cmd.CommandPath(), want, len(a), plural(len(a)), cmd.CommandPath())
	}
}

// opIDArg accepts exactly one well-formed operation id.
func opIDArg(cmd *cobra.Command, a []string) error {
	if err := args(1, 1, "one OPERATION_ID")(cmd, a); err != nil {
		return err
	}
	return checkOpID(a[0])
}

func checkOpID(id string) error {
	if !opIDPattern.MatchString(id) {
		return fmt.Errorf("%q is not an operation id (op_{type}_{yyyymmdd}_{hhmmss}_{8 hex}, e.g. op_training_20261125_120000_1a2b3c4d; ktrdr ops list shows them)", id)
	}
	return nil
}

func checkTimeframe(what, tf string) error {
	if _, err := marketdata.ParseTimeframe(tf); err != nil {
		return fmt.Errorf("%s %q: want one of %s", what, tf, strings.Join(timeframeNames(), " "))
	}
	return nil
}

func checkSymbol(what, s string) error {
	if _, err := marketdata.ValidateSymbol(s); err != nil {
		return fmt.Errorf("%s: %v", what, err)
	}
	return nil
}

// checkWindow checks --start and --end as the API reads them.
func checkWindow(start, end string) error {
	now := time.Now()
	var s, e time.Time
	var err error
	if start != "" {
		if s, err = marketdata.ParseBound(start, false, now); err != nil {
			return fmt.Errorf("--start: %v", err)
		}
	}
	if end != "" {
		if e, err = marketdata.ParseBound(end, true, now); err != nil {
			return fmt.Errorf("--end: %v", err)
		}
	}
	if start != "" && end != "" && s.After(e) {
		return fmt.Errorf("--start %s is after --end %s", start, end)
	}
	return nil
}

func oneOf(flag, v string, choices ...string) error {
	for _, c := range choices {
		if v == c {
			return nil
		}
	}
	return fmt.Errorf("%s %q: want %s", flag, v, strings.Join(choices, ", "))
}

func timeframeNames() []string {
	out := make([]string, len(marketdata.Timeframes))
	for i, tf := range marketdata.Timeframes {
		out[i] = string(tf)
	}
	return out
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// --- shell completion (never traced: no telemetry is set up) ---

// completionClient is an untraced client with a short timeout: completion
// must answer at once, and silently give nothing when the API is away.
func completionClient(cmd *cobra.Command) *apiclient.Client {
	base := strings.TrimRight(flagString(cmd, "url"), "/")
	if base == "" {
		base = apiclient.DefaultURL
	}
	plain := &http.Client{Timeout: 2 * time.Second}
	return &apiclient.Client{BaseURL: base, HTTP: plain, Poll: plain}
}

type completeFunc = func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective)

func fixedCompletion(choices ...string) completeFunc {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return choices, cobra.ShellCompDirectiveNoFileComp
	}
}

func completeTimeframes(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return timeframeNames(), cobra.ShellCompDirectiveNoFileComp
}

func strategyNames(cmd *cobra.Command) []string {
	list, err := completionClient(cmd).Strategies(cmd.Context())
	if err != nil {
		return nil
	}
	var names []string
	for _, s := range list {
		names = append(names, s.Name)
	}
	return names
}

// completeStrategyArg completes a STRATEGY first argument.
func completeStrategyArg(cmd *cobra.Command, a []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(a) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return strategyNames(cmd), cobra.ShellCompDirectiveNoFileComp
}

func completeStrategyFlag(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
	return strategyNames(cmd), cobra.ShellCompDirectiveNoFileComp
}

// completeSymbolTimeframe completes SYMBOL TIMEFRAME: symbols the API's
// host serves (load) or has stored (stored), then timeframes.
func completeSymbolTimeframe(stored bool) completeFunc {
	return func(cmd *cobra.Command, a []string, _ string) ([]string, cobra.ShellCompDirective) {
		switch len(a) {
		case 0:
			c := completionClient(cmd)
			var out []string
			if stored {
				data, _ := c.Data(cmd.Context())
				seen := map[string]bool{}
				for _, d := range data {
					if !seen[d.Symbol] {
						seen[d.Symbol] = true
						out = append(out, d.Symbol)
					}
				}
			} else {
				syms, _ := c.Symbols(cmd.Context())
				for _, s := range syms {
					if !s.Any {
						out = append(out, s.Symbol)
					}
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		case 1:
			return timeframeNames(), cobra.ShellCompDirectiveNoFileComp
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeOpID completes an operation id from the most recent ones (only
// the active ones when active is set).
func completeOpID(active bool) completeFunc {
	return func(cmd *cobra.Command, a []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(a) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		list, err := completionClient(cmd).Operations(cmd.Context(), apiclient.OperationFilter{Limit: 50})
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, op := range list.Operations {
			if !active || !op.Status.Terminal() {
				out = append(out, op.ID+"\t"+string(op.Type)+" "+string(op.Status))
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// isTerminal tells whether w is a terminal (progress is one updating line
// there, and a line per step elsewhere). Tests replace it.
var isTerminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
