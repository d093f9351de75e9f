package cli

// Rendering: tables (text/tabwriter, stable columns, times as UTC
// "2006-01-02 15:04", numbers rounded for reading) and JSON (the API's
// shapes, indented). Every function here is pure: golden tests feed them
// fixed inputs.

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ktrdr/ktrdr/internal/api"
	"github.com/ktrdr/ktrdr/internal/apiclient"
	"github.com/ktrdr/ktrdr/internal/backtesting"
	"github.com/ktrdr/ktrdr/internal/dataload"
	"github.com/ktrdr/ktrdr/internal/labels"
	"github.com/ktrdr/ktrdr/internal/marketdata"
	"github.com/ktrdr/ktrdr/internal/models"
	"github.com/ktrdr/ktrdr/internal/operations"
	"github.com/ktrdr/ktrdr/internal/registry"
	"github.com/ktrdr/ktrdr/internal/strategy"
	"github.com/ktrdr/ktrdr/internal/training"
)

// timeLayout is how every time is shown (in UTC, like the data).
const timeLayout = "2006-01-02 15:04"

// show prints v as JSON with -o json, else renders it for people.
func (e *env) show(v any, render func(w io.Writer)) error {
	if e.json {
		return printJSON(e.out, v)
	}
	render(e.out)
	return nil
}

func printJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }

// row writes one tab-separated row.
func row(tw io.Writer, cells ...string) { fmt.Fprintln(tw, strings.Join(cells, "\t")) }

// --- value formatting ---

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(timeLayout)
}

func fmtTimePtr(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return fmtTime(*t)
}

func fmtDate(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	t = t.UTC()
	if t.Hour() == 0 && t.Minute() == 0 {
		return t.Format(time.DateOnly)
	}
	return t.Format(timeLayout)
}

// fmtPct renders a fraction as a percentage: 0.1234 → "12.34%".
func fmtPct(f float64) string { return fmtFloat(f*100, 2) + "%" }

// fmtPct1 renders a fraction as a percentage with one decimal.
func fmtPct1(f float64) string { return fmtFloat(f*100, 1) + "%" }

func fmtFloat(f float64, decimals int) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "-"
	}
	s := strconv.FormatFloat(f, 'f', decimals, 64)
	if strings.Trim(s, "-0.") == "" {
		s = strings.TrimPrefix(s, "-") // no "-0.00"
	}
	return s
}

// fmtMoney renders an amount with thousands separators and cents.
func fmtMoney(f float64) string {
	s := fmtFloat(f, 2)
	if s == "-" {
		return s
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	out := b.String() + "." + frac
	if neg {
		out = "-" + out
	}
	return out
}

// fmtPrice renders a price with as many decimals as it needs, up to 4.
func fmtPrice(f float64) string {
	if math.Abs(f) >= 1 {
		return fmtFloat(f, 2)
	}
	return fmtFloat(f, 4)
}

func fmtDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "-"
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Round(time.Second).Seconds()))
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	d = d.Round(time.Minute)
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// fmtAge is how long before now t was, for heartbeats: "3s ago".
func fmtAge(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return fmtDuration(max(now.Sub(t), 0)) + " ago"
}

func fmtProgress(p operations.Progress, status operations.Status) string {
	if status == operations.StatusPending {
		return "-"
	}
	return fmtFloat(p.Percentage, 0) + "%"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func joinOrDash(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, ",")
}

// --- operations ---

func renderOps(w io.Writer, l api.ListResponse) {
	if len(l.Operations) == 0 {
		fmt.Fprintln(w, "no operations")
		return
	}
	tw := newTable(w)
	row(tw, "ID", "TYPE", "STATUS", "PROGRESS", "STEP", "WORKER", "CREATED")
	for _, op := range l.Operations {
		status := string(op.Status)
		if op.CancelRequested && !op.Status.Terminal() {
			status += " (cancelling)"
		}
		row(tw, op.ID, string(op.Type), status, fmtProgress(op.Progress, op.Status), orDash(op.Progress.CurrentStep), orDash(op.WorkerID), fmtTime(op.CreatedAt))
	}
	tw.Flush()
	if l.Total > len(l.Operations) {
		fmt.Fprintf(w, "showing %d-%d of %d (--limit, --offset for more)\n", l.Offset+1, l.Offset+len(l.Operations), l.Total)
	}
}

func renderOp(w io.Writer, op *operations.Operation) {
	tw := newTable(w)
	status := string(op.Status)
	if op.CancelRequested && !op.Status.Terminal() {
		status += " (cancel requested)"
	}
	row(tw, "ID", op.ID)
	row(tw, "Type", string(op.Type))
	row(tw, "Status", status)
	worker := orDash(op.WorkerID)
	if op.WorkerType != "" {
		worker += " (" + op.WorkerType + ")"
	}
	row(tw, "Worker", worker)
	row(tw, "Created", fmtTime(op.CreatedAt))
	row(tw, "Started", fmtTimePtr(op.StartedAt))
	row(tw, "Completed", fmtTimePtr(op.CompletedAt))
	if op.StartedAt != nil && op.CompletedAt != nil {
		row(tw, "Duration", fmtDuration(op.CompletedAt.Sub(*op.StartedAt)))
	}
	progress := fmtProgress(op.Progress, op.Status)
	if op.Progress.CurrentStep != "" {
		progress += " " + op.Progress.CurrentStep
	}
	row(tw, "Progress", progress)
	if op.Attempts > 1 {
		row(tw, "Attempts", strconv.Itoa(op.Attempts))
	}
	row(tw, "Trace", orDash(op.TraceID))
	for i, p := range paramLines(op.Params) {
		label := ""
		if i == 0 {
			label = "Params"
		}
		row(tw, label, p)
	}
	if s := resultSummary(op); s != "" {
		row(tw, "Result", s)
	}
	if op.Error != nil {
		row(tw, "Error", *op.Error)
	}
	tw.Flush()
}

// paramLines renders an operation's parameters as "key: value" lines,
// sorted by key, leaving out embedded documents (the strategy's YAML).
func paramLines(raw json.RawMessage) []string {
	var m map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil {
		if len(raw) > 0 && string(raw) != "null" {
			return []string{truncate(compactJSON(raw), 120)}
		}
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		if !strings.HasSuffix(k, "_yaml") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		v := m[k]
		var s string
		if json.Unmarshal(v, &s) != nil {
			s = compactJSON(v)
		}
		if s == "" || s == "null" {
			continue
		}
		out = append(out, k+": "+truncate(s, 100))
	}
	return out
}

func compactJSON(raw json.RawMessage) string {
	var b strings.Builder
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	enc, _ := json.Marshal(v)
	b.Write(enc)
	return b.String()
}

// resultSummary is one line about an operation's result, by its type.
func resultSummary(op *operations.Operation) string {
	if len(op.Result) == 0 || string(op.Result) == "null" {
		return ""
	}
	switch op.Type {
	case operations.TypeTraining:
		var r training.Result
		if json.Unmarshal(op.Result, &r) == nil && r.Model != "" {
			m := r.TestMetrics
			return fmt.Sprintf("model %s: test accuracy %s vs majority baseline %s (%d features, %d epochs)",
				r.Model, fmtPct1(m.TestAccuracy), fmtPct1(m.MajorityBaseline), r.Features, m.Epochs)
		}
	case operations.TypeBacktesting:
		var r backtesting.Result
		if json.Unmarshal(op.Result, &r) == nil && r.Strategy != "" {
			m := r.Metrics
			return fmt.Sprintf("total return %s, sharpe %s, max drawdown %s, %d trade%s",
				fmtPct(m.TotalReturn), fmtFloat(m.Sharpe, 2), fmtPct(m.MaxDrawdown), m.NumTrades, plural(m.NumTrades))
		}
	case operations.TypeDataLoad:
		var r dataload.Result
		if json.Unmarshal(op.Result, &r) == nil {
			return fmt.Sprintf("%d rows added, %d rows stored (%s → %s)", r.RowsAdded, r.RowsTotal, fmtDatePtr(r.First), fmtDatePtr(r.Last))
		}
	}
	return truncate(compactJSON(op.Result), 160)
}

func fmtDatePtr(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return fmtDate(*t)
}

// --- workers ---

func renderWorkers(w io.Writer, list []registry.Worker, now time.Time) {
	if len(list) == 0 {
		fmt.Fprintln(w, "no workers registered (ktrdr up starts one of each type)")
		return
	}
	tw := newTable(w)
	row(tw, "ID", "TYPE", "STATE", "OPERATION", "PROGRESS", "URL", "HEARTBEAT", "REGISTERED")
	for _, wk := range list {
		progress := "-"
		if wk.Progress != nil {
			progress = fmtFloat(wk.Progress.Percentage, 0) + "%"
			if wk.Progress.CurrentStep != "" {
				progress += " " + wk.Progress.CurrentStep
			}
		}
		row(tw, wk.ID, wk.Type, wk.State, orDash(wk.CurrentOperationID), progress, wk.URL, fmtAge(wk.LastHeartbeat, now), fmtTime(wk.RegisteredAt))
	}
	tw.Flush()
}

// --- strategies ---

func renderStrategies(w io.Writer, list []strategy.Summary) {
	if len(list) == 0 {
		fmt.Fprintln(w, "no strategies")
		return
	}
	tw := newTable(w)
	row(tw, "NAME", "KIND", "SYMBOLS", "TIMEFRAMES", "INDICATORS", "FEATURES", "DESCRIPTION")
	for _, s := range list {
		kind := "model"
		if s.Rule != "" {
			kind = "rule:" + s.Rule
		}
		desc := truncate(s.Description, 60)
		if !s.Valid {
			kind, desc = "invalid", truncate("INVALID: "+s.Error, 80)
		}
		row(tw, s.Name, kind, joinOrDash(s.Symbols), joinOrDash(s.Timeframes), strconv.Itoa(s.Indicators), strconv.Itoa(s.Features), orDash(desc))
	}
	tw.Flush()
}

func renderStrategy(w io.Writer, v api.StrategyView) {
	tw := newTable(w)
	row(tw, "Name", v.Name)
	row(tw, "Version", orDash(v.Version))
	row(tw, "Description", orDash(v.Description))
	row(tw, "Hypothesis", orDash(v.Hypothesis))
	row(tw, "Symbols", joinOrDash(v.Symbols))
	row(tw, "Timeframes", joinOrDash(v.Timeframes)+" (base "+orDash(v.Base)+")")
	row(tw, "Hash", v.Hash)
	row(tw, "Features", strconv.Itoa(len(v.Features)))
	tw.Flush()
	if len(v.Indicators) > 0 {
		fmt.Fprintln(w)
		tw = newTable(w)
		row(tw, "INDICATOR", "FEATURE ID", "SOURCE", "PARAMS")
		for _, ind := range v.Indicators {
			keys := make([]string, 0, len(ind.Params))
			for k := range ind.Params {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			var ps []string
			for _, k := range keys {
				ps = append(ps, k+"="+strconv.FormatFloat(ind.Params[k], 'g', -1, 64))
			}
			row(tw, ind.Name, ind.FeatureID, orDash(ind.Source), orDash(strings.Join(ps, " ")))
		}
		tw.Flush()
	}
	if len(v.Features) > 0 {
		fmt.Fprintf(w, "\nfeatures (%d, in model input order):\n", len(v.Features))
		for _, f := range v.Features {
			fmt.Fprintln(w, "  "+f)
		}
	}
	renderWarnings(w, v.Warnings)
}

func renderWarnings(w io.Writer, warns []strategy.Warning) {
	if len(warns) == 0 {
		return
	}
	fmt.Fprintf(w, "\nwarnings (%d):\n", len(warns))
	for _, wr := range warns {
		fmt.Fprintln(w, "  "+wr.String())
	}
}

// --- models ---

func renderModels(w io.Writer, list []models.Info) {
	if len(list) == 0 {
		fmt.Fprintln(w, "no models (ktrdr train STRATEGY makes one)")
		return
	}
	tw := newTable(w)
	row(tw, "NAME", "CREATED", "FEATURES", "TEST ACC", "BASELINE", "EPOCHS", "DATA", "SAMPLES")
	for _, m := range list {
		row(tw, m.Name, fmtTime(m.CreatedAt), strconv.Itoa(m.Features), fmtPct1(m.Metrics.TestAccuracy), fmtPct1(m.Metrics.MajorityBaseline),
			strconv.Itoa(m.Metrics.Epochs), dataRange(m.Data), strconv.Itoa(m.Data.Samples))
	}
	tw.Flush()
}

// dataRange is "SPX 1d 2020-01-02..2024-12-31".
func dataRange(d models.DataSummary) string {
	return joinOrDash(d.Symbols) + " " + joinOrDash(d.Timeframes) + " " + fmtDate(d.Start) + ".." + fmtDate(d.End)
}

func renderModel(w io.Writer, a *models.Artifact) {
	tw := newTable(w)
	row(tw, "Name", models.Name(a.Strategy, a.Timeframe, a.Version))
	row(tw, "Created", fmtTime(a.CreatedAt))
	row(tw, "Strategy hash", orDash(a.StrategyHash))
	arch := a.Architecture
	hidden := make([]string, len(arch.Hidden))
	for i, h := range arch.Hidden {
		hidden[i] = strconv.Itoa(h)
	}
	row(tw, "Architecture", fmt.Sprintf("%d inputs → %s %s → %d outputs (dropout %s)",
		arch.Inputs, orDash(strings.Join(hidden, "-")), orDash(arch.Activation), arch.Outputs, fmtFloat(arch.Dropout, 2)))
	row(tw, "Features", strconv.Itoa(len(a.Features)))
	row(tw, "Labels", fmt.Sprintf("%s, threshold %s, lookahead %d bars", orDash(a.Labels.Source), fmtPct1(a.Labels.Threshold), a.Labels.Lookahead))
	row(tw, "Data", dataRange(a.Data)+fmt.Sprintf(", %d bars", a.Data.Bars))
	row(tw, "Samples", fmt.Sprintf("%d (train %d, validation %d, test %d)", a.Data.Samples, a.Data.Train, a.Data.Validation, a.Data.Test))
	if len(a.Data.LabelCount) == 3 {
		row(tw, "Label counts", fmt.Sprintf("BUY %d, HOLD %d, SELL %d", a.Data.LabelCount[0], a.Data.LabelCount[1], a.Data.LabelCount[2]))
	}
	row(tw, "Seed", strconv.FormatUint(a.Seed, 10))
	row(tw, "Operation", orDash(a.OperationID))
	row(tw, "Trace", orDash(a.TraceID))
	tw.Flush()
	fmt.Fprintln(w)
	renderMetrics(w, a.Metrics)
}

// renderMetrics is a model's test scores: accuracy against the majority
// baseline, per-class precision and recall, and the confusion matrix.
func renderMetrics(w io.Writer, m models.Metrics) {
	diff := (m.TestAccuracy - m.MajorityBaseline) * 100
	verdict := "beats the baseline"
	if diff <= 0 {
		verdict = "does NOT beat the baseline"
	}
	fmt.Fprintf(w, "test accuracy %s vs majority baseline %s (always %s): %s%s points, %s\n",
		fmtPct1(m.TestAccuracy), fmtPct1(m.MajorityBaseline), orDash(m.MajorityClass), sign(diff), fmtFloat(diff, 1), verdict)
	epochs := fmt.Sprintf("%d epochs, best %d", m.Epochs, m.BestEpoch)
	if m.StoppedEarly {
		epochs += ", stopped early"
	}
	fmt.Fprintf(w, "train accuracy %s, validation %s, test loss %s (%s)\n",
		fmtPct1(m.TrainAccuracy), fmtPct1(m.ValAccuracy), fmtFloat(m.TestLoss, 4), epochs)
	if len(m.Precision) > 0 {
		fmt.Fprintln(w)
		tw := newTable(w)
		row(tw, "CLASS", "PRECISION", "RECALL", "F1", "SUPPORT")
		for i := range m.Precision {
			row(tw, className(i), fmtFloat(m.Precision[i], 3), fmtFloat(at(m.Recall, i), 3), fmtFloat(at(m.F1, i), 3), strconv.Itoa(atInt(m.Support, i)))
		}
		tw.Flush()
	}
	if len(m.Confusion) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "confusion matrix (rows: true class, columns: predicted)")
		tw := newTable(w)
		head := []string{""}
		for j := range m.Confusion[0] {
			head = append(head, className(j))
		}
		row(tw, head...)
		for i, r := range m.Confusion {
			cells := []string{className(i)}
			for _, n := range r {
				cells = append(cells, strconv.Itoa(n))
			}
			row(tw, cells...)
		}
		tw.Flush()
	}
}

// className names a class of the per-class metrics (labels' order).
func className(i int) string {
	if i >= 0 && i < labels.NumClasses {
		return labels.Class(i).String()
	}
	return strconv.Itoa(i)
}

func at(s []float64, i int) float64 {
	if i < len(s) {
		return s[i]
	}
	return math.NaN()
}

func atInt(s []int, i int) int {
	if i < len(s) {
		return s[i]
	}
	return 0
}

func sign(f float64) string {
	if f > 0 && fmtFloat(f, 1) != "0.0" {
		return "+"
	}
	return ""
}

// renderTrainingSummary is the end of a watched training.
func renderTrainingSummary(w io.Writer, r training.Result) {
	fmt.Fprintf(w, "model %s: %d features, %d samples (%s)\n", r.Model, r.Features, r.Data.Samples, dataRange(r.Data))
	line := fmt.Sprintf("trained in %s, seed %d", fmtDuration(time.Duration(r.Seconds*float64(time.Second))), r.Seed)
	if r.SamplesPerS > 0 {
		line += fmt.Sprintf(", %s samples/s", fmtFloat(r.SamplesPerS, 0))
	}
	fmt.Fprintln(w, line)
	renderMetrics(w, r.TestMetrics)
	for _, wr := range r.Warnings {
		fmt.Fprintln(w, "warning: "+wr)
	}
}

// --- backtests ---

// renderBacktestSummary is the key metrics of a backtest and its trade count.
func renderBacktestSummary(w io.Writer, r backtesting.Result) {
	fmt.Fprintf(w, "backtest %s on %s %s, %s → %s (%d bars, %s)\n", r.Strategy, r.Symbol, r.Timeframe, fmtDate(r.Start), fmtDate(r.End), r.Bars, orDash(r.Model))
	m := r.Metrics
	tw := newTable(w)
	row(tw, "METRIC", "VALUE")
	row(tw, "initial capital", fmtMoney(m.InitialCapital))
	row(tw, "final equity", fmtMoney(m.FinalEquity))
	row(tw, "total return", fmtPct(m.TotalReturn))
	row(tw, "annualized return", fmtPct(m.AnnualizedReturn))
	row(tw, "annualized volatility", fmtPct(m.AnnualizedVolatility))
	row(tw, "sharpe", fmtFloat(m.Sharpe, 2))
	row(tw, "sortino", fmtFloat(m.Sortino, 2))
	row(tw, "calmar", fmtFloat(m.Calmar, 2))
	row(tw, "max drawdown", fmt.Sprintf("%s (%d bars)", fmtPct(m.MaxDrawdown), m.MaxDrawdownDuration))
	row(tw, "trades", fmt.Sprintf("%d (%d won, %d lost)", m.NumTrades, m.Wins, m.Losses))
	row(tw, "win rate", fmtPct1(m.WinRate))
	pf := "- (no losing trade)"
	if m.ProfitFactor != nil {
		pf = fmtFloat(*m.ProfitFactor, 2)
	}
	row(tw, "profit factor", pf)
	row(tw, "avg win / avg loss", fmtMoney(m.AvgWin)+" / "+fmtMoney(m.AvgLoss))
	row(tw, "largest win / loss", fmtMoney(m.LargestWin)+" / "+fmtMoney(m.LargestLoss))
	row(tw, "avg holding", fmtFloat(m.AvgHoldingBars, 1)+" bars")
	row(tw, "exposure", fmtPct1(m.Exposure))
	row(tw, "fees", fmtMoney(m.TotalFees))
	tw.Flush()
	fmt.Fprintf(w, "%d trade%s", len(r.Trades), plural(len(r.Trades)))
	if len(r.Signals) > 0 {
		keys := make([]string, 0, len(r.Signals))
		for k := range r.Signals {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s %d", k, r.Signals[k]))
		}
		fmt.Fprintf(w, " from signals %s", strings.Join(parts, ", "))
	}
	fmt.Fprintln(w)
}

// --- data ---

func renderData(w io.Writer, list []apiclient.DataInfo) {
	if len(list) == 0 {
		fmt.Fprintln(w, "no data loaded (ktrdr data load SYMBOL TIMEFRAME)")
		return
	}
	tw := newTable(w)
	row(tw, "SYMBOL", "TIMEFRAME", "FIRST", "LAST", "ROWS")
	for _, d := range list {
		row(tw, d.Symbol, string(d.Timeframe), fmtTime(d.First), fmtTime(d.Last), strconv.Itoa(d.Rows))
	}
	tw.Flush()
}

func renderBars(w io.Writer, p apiclient.BarsPage) {
	if len(p.Bars) == 0 {
		fmt.Fprintf(w, "no %s %s bars in that window (%d in all)\n", p.Symbol, p.Timeframe, p.Total)
		return
	}
	tw := newTable(w)
	row(tw, "TIME", "OPEN", "HIGH", "LOW", "CLOSE", "VOLUME")
	for _, b := range p.Bars {
		row(tw, fmtTime(b.Time), fmtPrice(b.Open), fmtPrice(b.High), fmtPrice(b.Low), fmtPrice(b.Close), fmtFloat(b.Volume, 0))
	}
	tw.Flush()
	fmt.Fprintf(w, "%s %s: bars %d-%d of %d\n", p.Symbol, p.Timeframe, p.Offset+1, p.Offset+len(p.Bars), p.Total)
}

func renderDataLoadSummary(w io.Writer, symbol, timeframe string, r dataload.Result) {
	fmt.Fprintf(w, "loaded %s %s: %d rows added, %d rows stored (%s → %s)\n", symbol, timeframe, r.RowsAdded, r.RowsTotal, fmtDatePtr(r.First), fmtDatePtr(r.Last))
	if len(r.Fetched) > 0 {
		var ws []string
		for _, f := range r.Fetched {
			from, to := fmtDate(f.Start), fmtDate(f.End)
			if f.Start.IsZero() {
				from = "(start of data)"
			}
			if f.End.IsZero() {
				to = "(end of data)"
			}
			ws = append(ws, from+".."+to)
		}
		fmt.Fprintf(w, "fetched %d window%s: %s\n", len(r.Fetched), plural(len(r.Fetched)), strings.Join(ws, ", "))
	}
	if q := r.Quality; q != nil {
		gaps := q.Count(marketdata.RuleGap)
		fmt.Fprintf(w, "quality: %d rows checked, %d accepted, %d refused, %d gaps, %d other findings\n",
			q.Rows, q.Accepted, q.Refused, gaps, len(q.Findings)-gaps)
	}
}
