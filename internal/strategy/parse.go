package strategy

import (
	"bytes"
	"errors"
	"io"
	"math"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ktrdr/ktrdr/internal/fuzzy"
	"github.com/ktrdr/ktrdr/internal/indicators"
	"github.com/ktrdr/ktrdr/internal/marketdata"
)

var (
	nameRE      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	featureIDRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,63}$`)
	setNameRE   = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$`)
)

// Limits beyond which a value is surely a typo (and would only make a
// worker allocate absurd amounts).
const (
	maxHiddenUnits = 1 << 16
	maxLayers      = 64
	maxLookback    = 1000
	maxEpochs      = 100000
	maxBatchSize   = 1 << 20
)

// Enumerations.
var (
	symbolModes    = []string{"single_symbol", "multi_symbol"}
	timeframeModes = []string{"single_timeframe", "multi_timeframe"}
	activations    = []string{"relu", "tanh", "sigmoid", "leaky_relu"}
	sourceNames    = []string{"open", "high", "low", "close", "volume", "hl2", "hlc3", "ohlc4"}
)

// Parse reads a v2 strategy file, validates it and applies defaults. On any
// content problem (YAML syntax errors included, with path "") it returns a
// *ValidationError listing all of them and a nil strategy. Warnings (unknown
// keys, ignored values) are returned in both cases.
func Parse(data []byte) (*Strategy, []Warning, error) {
	s, warns, probs := parse(data)
	if len(probs) > 0 {
		return nil, warns, &ValidationError{Problems: probs}
	}
	return s, warns, nil
}

// parse always returns a strategy, partially filled when there are
// problems (the catalog shows what it can of an invalid file).
func parse(data []byte) (*Strategy, []Warning, []Problem) {
	p := &parser{}
	s := &Strategy{Raw: bytes.Clone(data)}
	if s.Raw == nil {
		s.Raw = []byte{}
	}
	root := p.document(data)
	if root != nil {
		p.strategy(root, s)
	}
	return s, p.warnings, p.problems
}

// document decodes exactly one YAML document into a node tree.
func (p *parser) document(data []byte) (root *yaml.Node) {
	defer func() {
		if r := recover(); r != nil { // the YAML library must never take us down
			root = nil
			p.fail("", "yaml: cannot parse: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.fail("", "empty document")
		} else {
			p.fail("", "%v", err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		p.fail("", "%v", err)
		return nil
	default:
		p.fail("", "more than one YAML document (---): a strategy file holds one")
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || isNull(doc.Content[0]) {
		p.fail("", "empty document")
		return nil
	}
	root = resolve(doc.Content[0])
	if root == nil || root.Kind != yaml.MappingNode {
		p.fail("", "a strategy must be a mapping of sections (name, training_data, indicators, ...), got %s", describe(root))
		return nil
	}
	return root
}

// feature is a declared indicator, by feature_id.
type feature struct {
	def   indicators.Definition
	known bool // def is valid (the indicator name was recognised)
	path  string
}

func (p *parser) strategy(root *yaml.Node, s *Strategy) {
	top := p.object(root, "", "name", "description", "version", "hypothesis", "scope",
		"training_data", "deployment", "indicators", "fuzzy_sets", "model", "decisions", "training", "rules")

	if top.get("name") == nil {
		p.fail("name", "required")
	} else if name, ok := p.str(top.get("name"), "name"); ok {
		s.Name = name
		p.check(nameRE.MatchString(name), "name",
			"%q is not a valid name: 1-64 letters, digits, '_', '.', '-', starting with a letter or digit", name)
	}
	s.Description = p.getString(top, "description", "")
	s.Version = p.getString(top, "version", "")
	s.Hypothesis = p.getString(top, "hypothesis", "")
	s.Scope = p.getString(top, "scope", "universal")

	p.trainingData(top, s)
	if n := top.get("deployment"); n != nil {
		if resolve(n).Kind != yaml.MappingNode {
			p.fail("deployment", "must be a mapping, got %s", describe(n))
		} else if m, ok := p.plain(n, "deployment", 0).(map[string]any); ok {
			s.Deployment = m
		}
	}
	s.Rule = p.rule(top.get("rules"))
	// A rule-based strategy needs no features; when it declares some they
	// are still checked.
	features := p.indicators(top, s, s.Rule == nil)
	p.fuzzySets(top, s, features, s.Rule == nil)
	p.model(top.get("model"), &s.Model)
	p.decisions(top.get("decisions"), &s.Decisions)
	p.training(top.get("training"), &s.Training)

	// Default history: enough bars for the slowest indicator plus the lags.
	// (Only for a valid strategy: WarmUp expects resolved parameters.)
	if s.HistoryRequired < 0 {
		s.HistoryRequired = 0
		if len(p.problems) == 0 {
			warm := 0
			for _, ind := range s.Indicators {
				if d, ok := indicators.Lookup(ind.Name); ok && d.WarmUp != nil {
					warm = max(warm, d.WarmUp(ind.Params))
				}
			}
			s.HistoryRequired = warm + s.Model.LookbackPeriods + 1
		}
	}
}

func (p *parser) trainingData(top object, s *Strategy) {
	td := p.object(top.get("training_data"), "training_data", "symbols", "timeframes", "history_required")
	if !td.present {
		if !td.bad {
			p.fail("training_data", "required (symbols and timeframes to train on)")
		}
		s.HistoryRequired = -1
		return
	}

	// symbols
	so := p.object(td.get("symbols"), "training_data.symbols", "mode", "list", "symbol")
	switch {
	case so.present:
		var nodes []*yaml.Node
		var paths []string
		listN, symN := so.get("list"), so.get("symbol")
		switch {
		case listN != nil && symN != nil:
			p.fail(so.path, "give either symbol or list, not both")
		case listN != nil:
			items, ok := p.list(listN, so.at("list"))
			if ok && len(items) == 0 {
				p.fail(so.at("list"), "must name at least one symbol")
			}
			for i, it := range items {
				nodes, paths = append(nodes, it), append(paths, at(so.at("list"), i))
			}
		case symN != nil:
			nodes, paths = append(nodes, symN), append(paths, so.at("symbol"))
		default:
			p.fail(so.path, "needs list (or symbol)")
		}
		seen := map[string]string{}
		for i, n := range nodes {
			raw, ok := p.str(n, paths[i])
			if !ok {
				continue
			}
			sym, err := marketdata.ValidateSymbol(raw)
			if err != nil {
				p.fail(paths[i], "%v", err)
				continue
			}
			if prev, dup := seen[sym]; dup {
				p.fail(paths[i], "duplicate symbol %q (also %s)", sym, prev)
				continue
			}
			seen[sym] = paths[i]
			s.Symbols = append(s.Symbols, sym)
		}
		s.SymbolMode = p.mode(so, len(nodes), "symbol", symbolModes)
	case !so.bad:
		p.fail(so.path, "required")
	}

	// timeframes
	to := p.object(td.get("timeframes"), "training_data.timeframes", "mode", "list", "timeframe", "base_timeframe")
	switch {
	case to.present:
		var nodes []*yaml.Node
		var paths []string
		listN, tfN := to.get("list"), to.get("timeframe")
		switch {
		case listN != nil && tfN != nil:
			p.fail(to.path, "give either timeframe or list, not both")
		case listN != nil:
			items, ok := p.list(listN, to.at("list"))
			if ok && len(items) == 0 {
				p.fail(to.at("list"), "must name at least one timeframe")
			}
			for i, it := range items {
				nodes, paths = append(nodes, it), append(paths, at(to.at("list"), i))
			}
		case tfN != nil:
			nodes, paths = append(nodes, tfN), append(paths, to.at("timeframe"))
		default:
			p.fail(to.path, "needs list (or timeframe)")
		}
		for i, n := range nodes {
			tf, ok := p.timeframe(n, paths[i])
			if !ok {
				continue
			}
			if slices.Contains(s.Timeframes, tf) {
				p.fail(paths[i], "duplicate timeframe %q", tf)
				continue
			}
			s.Timeframes = append(s.Timeframes, tf)
		}
		s.TimeframeMode = p.mode(to, len(nodes), "timeframe", timeframeModes)
		if n := to.get("base_timeframe"); n != nil {
			if tf, ok := p.timeframe(n, to.at("base_timeframe")); ok {
				if len(s.Timeframes) > 0 && !slices.Contains(s.Timeframes, tf) {
					p.fail(to.at("base_timeframe"), "%q is not one of the timeframes %v", tf, s.Timeframes)
				}
				s.BaseTimeframe = tf
			}
		} else if len(s.Timeframes) > 0 {
			s.BaseTimeframe = s.Timeframes[0]
		}
	case !to.bad:
		p.fail(to.path, "required")
	}

	s.HistoryRequired = -1 // computed after the indicators
	if n := td.get("history_required"); n != nil {
		if h, ok := p.integer(n, td.at("history_required")); ok {
			if h < 0 {
				p.fail(td.at("history_required"), "must be >= 0, got %d", h)
			} else {
				s.HistoryRequired = h
			}
		}
	}
}

func (p *parser) timeframe(n *yaml.Node, path string) (marketdata.Timeframe, bool) {
	raw, ok := p.str(n, path)
	if !ok {
		return "", false
	}
	tf, err := marketdata.ParseTimeframe(raw)
	if err != nil {
		p.fail(path, "%v", err)
		return "", false
	}
	return tf, true
}

// mode checks a single_x/multi_x mode against the number of items given,
// inferring it when absent.
func (p *parser) mode(o object, count int, what string, modes []string) string {
	single, multi := modes[0], modes[1]
	def := single
	if count > 1 {
		def = multi
	}
	m := p.getEnum(o, "mode", def, modes...)
	if count == 0 {
		return m
	}
	switch {
	case m == single && count != 1:
		p.fail(o.at("mode"), "%s needs exactly one %s, got %d", single, what, count)
	case m == multi && count < 2:
		p.fail(o.at("mode"), "%s needs at least two %ss, got %d", multi, what, count)
	}
	return m
}

func (p *parser) indicators(top object, s *Strategy, required bool) map[string]*feature {
	features := map[string]*feature{}
	items, ok := p.list(top.get("indicators"), "indicators")
	if !ok {
		if top.get("indicators") == nil && required {
			p.fail("indicators", "required: at least one indicator")
		}
		return features
	}
	if len(items) == 0 && required {
		p.fail("indicators", "required: at least one indicator")
	}
	for i, item := range items {
		path := at("indicators", i)
		es, ok := p.entries(item, path)
		if !ok {
			if isNull(item) {
				p.fail(path, "must be a mapping, got %s", describe(item))
			}
			continue
		}
		vals := map[string]*yaml.Node{}
		var params []entry
		for _, e := range es {
			switch e.key {
			case "name", "feature_id", "source":
				if !isNull(e.val) {
					vals[e.key] = e.val
				}
			default:
				params = append(params, e)
			}
		}

		var def indicators.Definition
		known := false
		if n := vals["name"]; n == nil {
			p.fail(join(path, "name"), "required")
		} else if name, ok := p.str(n, join(path, "name")); ok {
			if def, known = indicators.Lookup(name); !known {
				p.fail(join(path, "name"), "unknown indicator %q", name)
			}
		}

		fid := ""
		if n := vals["feature_id"]; n == nil {
			p.fail(join(path, "feature_id"), "required (the name fuzzy_sets refer to, e.g. rsi_14)")
		} else if v, ok := p.str(n, join(path, "feature_id")); ok {
			switch prev, dup := features[v]; {
			case !featureIDRE.MatchString(v):
				p.fail(join(path, "feature_id"), "%q is not a valid feature_id: 1-64 letters, digits, '_', '-', starting with a letter", v)
			case dup:
				p.fail(join(path, "feature_id"), "duplicate feature_id %q (also %s)", v, prev.path)
			default:
				fid = v
				features[v] = &feature{def: def, known: known, path: path}
			}
		}
		if !known {
			continue
		}

		ind := Indicator{Name: def.Name, FeatureID: fid}
		if def.UsesSource {
			ind.Source = "close"
		}
		if n := vals["source"]; n != nil {
			if src, ok := p.str(n, join(path, "source")); ok {
				switch {
				case !def.UsesSource:
					p.warn(join(path, "source"), "ignored: %s does not take a source", def.Name)
				case !validSource(src):
					p.fail(join(path, "source"), "unknown source %q (want %s)", src, strings.Join(sourceNames, ", "))
				case strings.TrimSpace(src) != "":
					ind.Source = strings.ToLower(strings.TrimSpace(src))
				}
			}
		}
		ind.Params = p.params(def, params, path)
		s.Indicators = append(s.Indicators, ind)
	}
	return features
}

// validSource asks the indicators package whether name is a price source
// (case-insensitive; "" means close).
func validSource(name string) bool {
	var in indicators.Input
	_, err := indicators.Source(in, name)
	return err == nil
}

// params checks an indicator's parameters and resolves them with defaults.
// Each parameter is first checked on its own against the definition, so
// that every bad one is reported, then all together (for constraints such
// as fast < slow).
func (p *parser) params(def indicators.Definition, given []entry, path string) map[string]float64 {
	vals := map[string]float64{}
	var names []string
	for _, pd := range def.Params {
		names = append(names, pd.Name)
	}
	bad := false
	for _, e := range given {
		ppath := join(path, e.key)
		pd, ok := findParam(def, e.key)
		if !ok {
			known := "it takes none"
			if len(names) > 0 {
				known = "known: " + strings.Join(names, ", ")
			}
			p.warn(ppath, "unknown parameter for %s (ignored; %s)", def.Name, known)
			continue
		}
		v, ok := p.number(e.val, ppath)
		if !ok {
			bad = true
			continue
		}
		if outOfRange(pd, v) {
			if _, err := def.Resolve(map[string]float64{e.key: v}); err != nil {
				p.failResolve(def, err, path)
				bad = true
				continue
			}
		}
		vals[e.key] = v
	}
	if bad {
		return vals
	}
	resolved, err := def.Resolve(vals)
	if err != nil {
		p.failResolve(def, err, path)
		return vals
	}
	return resolved
}

func findParam(def indicators.Definition, name string) (indicators.Param, bool) {
	for _, pd := range def.Params {
		if pd.Name == name {
			return pd, true
		}
	}
	return indicators.Param{}, false
}

// outOfRange reports whether v breaks pd's own bounds (as opposed to a
// constraint between parameters).
func outOfRange(pd indicators.Param, v float64) bool {
	return v < pd.Min || (pd.Max != 0 && v > pd.Max) || (pd.Integer && v != math.Trunc(v))
}

// failResolve records a Resolve error at the parameter it names ("period:
// must be ..."), else at the indicator.
func (p *parser) failResolve(def indicators.Definition, err error, path string) {
	msg := err.Error()
	for _, pd := range def.Params {
		if rest, ok := strings.CutPrefix(msg, pd.Name+": "); ok {
			p.fail(join(path, pd.Name), "%s", rest)
			return
		}
	}
	p.fail(path, "%s", msg)
}

func (p *parser) fuzzySets(top object, s *Strategy, features map[string]*feature, required bool) {
	n := top.get("fuzzy_sets")
	es, ok := p.entries(n, "fuzzy_sets")
	if !ok {
		if n == nil && required {
			p.fail("fuzzy_sets", "required: at least one fuzzy set")
		}
		return
	}
	type ref struct{ fid, out string }
	keys := map[ref]string{}       // feature output -> path that declared it
	columns := map[string]string{} // feature name without timeframe -> path
	for _, e := range es {
		path := join("fuzzy_sets", e.key)
		fid, out, _ := strings.Cut(e.key, ".")
		ff := FuzzyFeature{Key: e.key, FeatureID: fid, Output: out}
		f, declared := features[fid]
		switch {
		case !declared:
			p.fail(path, "unknown feature_id %q: declare it in indicators", fid)
		case f.known && out != "":
			switch i := slices.Index(f.def.Outputs, out); {
			case i < 0:
				p.fail(path, "%s has no output %q (outputs: %s)", f.def.Name, out, strings.Join(f.def.Outputs, ", "))
			case i == 0:
				ff.Output = "" // the primary output, named explicitly
			}
		}
		r := ref{fid, ff.Output}
		if prev, dup := keys[r]; dup && declared {
			p.fail(path, "same indicator output as %s", prev)
		}
		keys[r] = path

		sets, ok := p.entries(e.val, path)
		if !ok && isNull(e.val) {
			p.fail(path, "needs at least one fuzzy set")
		}
		if ok && len(sets) == 0 {
			p.fail(path, "needs at least one fuzzy set")
		}
		for _, se := range sets {
			spath := join(path, se.key)
			if !setNameRE.MatchString(se.key) {
				p.fail(spath, "%q is not a valid set name: 1-64 letters, digits, '_', '-'", se.key)
			}
			set, ok := p.fuzzySet(se.val, spath)
			if !ok {
				continue
			}
			set.Name = se.key
			col := FeatureName("", e.key, se.key)
			if prev, dup := columns[col]; dup {
				p.fail(spath, "feature name %q clashes with %s", strings.TrimPrefix(col, "_"), prev)
			}
			columns[col] = spath
			ff.Sets = append(ff.Sets, set)
		}
		if declared && len(ff.Sets) > 0 {
			s.FuzzySets = append(s.FuzzySets, ff)
		}
	}
	if len(es) == 0 && required {
		p.fail("fuzzy_sets", "required: at least one fuzzy set")
	}
}

// rule reads the optional rules section of a rule-based strategy.
func (p *parser) rule(n *yaml.Node) *Rule {
	ro := p.object(n, "rules", "type", "ma", "fast_period", "slow_period", "period", "oversold", "overbought")
	if !ro.present {
		return nil
	}
	r := &Rule{Type: p.getEnum(ro, "type", "", RuleMACrossover, RuleRSIThreshold)}
	switch r.Type {
	case "":
		p.fail(ro.at("type"), "required: %s or %s", RuleMACrossover, RuleRSIThreshold)
	case RuleMACrossover:
		r.MA = p.getEnum(ro, "ma", "sma", "sma", "ema")
		r.FastPeriod = p.getInt(ro, "fast_period", 10)
		r.SlowPeriod = p.getInt(ro, "slow_period", 30)
		p.check(r.FastPeriod >= 1, ro.at("fast_period"), "must be an integer >= 1, got %d", r.FastPeriod)
		p.check(r.SlowPeriod > r.FastPeriod, ro.at("slow_period"), "must be greater than fast_period (%d), got %d", r.FastPeriod, r.SlowPeriod)
	case RuleRSIThreshold:
		r.Period = p.getInt(ro, "period", 14)
		r.Oversold = p.getFloat(ro, "oversold", 30)
		r.Overbought = p.getFloat(ro, "overbought", 70)
		p.check(r.Period >= 2, ro.at("period"), "must be an integer >= 2, got %d", r.Period)
		p.check(r.Oversold > 0 && r.Oversold < 100, ro.at("oversold"), "must be in (0, 100), got %v", r.Oversold)
		p.check(r.Overbought > r.Oversold && r.Overbought < 100, ro.at("overbought"), "must be in (oversold, 100), got %v", r.Overbought)
	}
	return r
}

func (p *parser) fuzzySet(n *yaml.Node, path string) (FuzzySet, bool) {
	if r := resolve(n); r == nil || r.Kind != yaml.MappingNode {
		p.fail(path, "must be a mapping {type: ..., parameters: [...]}, got %s", describe(n))
		return FuzzySet{}, false
	}
	o := p.object(n, path, "type", "parameters")
	var set FuzzySet
	ok := true
	if t := o.get("type"); t == nil {
		p.fail(o.at("type"), "required (%s)", strings.Join(fuzzy.Kinds, ", "))
		ok = false
	} else if v, good := p.str(t, o.at("type")); !good {
		ok = false
	} else if fuzzy.NumParams(v) == 0 {
		p.fail(o.at("type"), "unknown membership function %q (want %s)", v, strings.Join(fuzzy.Kinds, ", "))
		ok = false
	} else {
		set.Type = v
	}
	pn := o.get("parameters")
	if pn == nil {
		p.fail(o.at("parameters"), "required (a list of numbers)")
		return set, false
	}
	items, good := p.list(pn, o.at("parameters"))
	if !good {
		return set, false
	}
	for i, it := range items {
		v, good := p.number(it, at(o.at("parameters"), i))
		if !good {
			ok = false
			continue
		}
		set.Parameters = append(set.Parameters, v)
	}
	if !ok {
		return set, false
	}
	f, err := fuzzy.New(set.Type, set.Parameters)
	if err != nil {
		p.fail(o.at("parameters"), "%v", err)
		return set, false
	}
	set.Func = f
	return set, true
}

func (p *parser) model(n *yaml.Node, m *Model) {
	mo := p.object(n, "model", "type", "architecture", "features", "training")
	m.Type = p.getEnum(mo, "type", "mlp", "mlp")

	arch := p.object(mo.get("architecture"), "model.architecture",
		"hidden_layers", "activation", "output_activation", "dropout")
	m.HiddenLayers = []int{32, 16}
	if hn := arch.get("hidden_layers"); hn != nil {
		hpath := arch.at("hidden_layers")
		if items, ok := p.list(hn, hpath); ok {
			switch {
			case len(items) == 0:
				p.fail(hpath, "must list at least one layer size")
			case len(items) > maxLayers:
				p.fail(hpath, "at most %d layers, got %d", maxLayers, len(items))
			default:
				layers := make([]int, 0, len(items))
				for i, it := range items {
					if v, ok := p.integer(it, at(hpath, i)); ok {
						if v < 1 || v > maxHiddenUnits {
							p.fail(at(hpath, i), "must be an integer in 1..%d, got %d", maxHiddenUnits, v)
							continue
						}
						layers = append(layers, v)
					}
				}
				if len(layers) == len(items) {
					m.HiddenLayers = layers
				}
			}
		}
	}
	m.Activation = p.getEnum(arch, "activation", "relu", activations...)
	m.OutputActivation = p.getEnum(arch, "output_activation", "softmax", "softmax")
	m.Dropout = p.getFloat(arch, "dropout", 0.2)
	p.check(m.Dropout >= 0 && m.Dropout < 1, arch.at("dropout"), "must be in [0, 1), got %v", m.Dropout)

	feat := p.object(mo.get("features"), "model.features",
		"include_price_context", "lookback_periods", "scale_features")
	m.IncludePriceContext = p.getBool(feat, "include_price_context", false)
	m.LookbackPeriods = p.getInt(feat, "lookback_periods", 0)
	p.check(m.LookbackPeriods >= 0 && m.LookbackPeriods <= maxLookback, feat.at("lookback_periods"),
		"must be an integer in 0..%d, got %d", maxLookback, m.LookbackPeriods)
	if m.LookbackPeriods < 0 || m.LookbackPeriods > maxLookback {
		m.LookbackPeriods = 0
	}
	m.ScaleFeatures = p.getBool(feat, "scale_features", true)

	tr := p.object(mo.get("training"), "model.training",
		"learning_rate", "batch_size", "epochs", "optimizer", "early_stopping")
	m.LearningRate = p.getFloat(tr, "learning_rate", 0.001)
	p.check(m.LearningRate > 0, tr.at("learning_rate"), "must be > 0, got %v", m.LearningRate)
	m.BatchSize = p.getInt(tr, "batch_size", 32)
	p.check(m.BatchSize >= 1 && m.BatchSize <= maxBatchSize, tr.at("batch_size"),
		"must be an integer in 1..%d, got %d", maxBatchSize, m.BatchSize)
	m.Epochs = p.getInt(tr, "epochs", 50)
	p.check(m.Epochs >= 1 && m.Epochs <= maxEpochs, tr.at("epochs"),
		"must be an integer in 1..%d, got %d", maxEpochs, m.Epochs)
	m.Optimizer = p.getEnum(tr, "optimizer", "adam", "adam", "sgd")

	es := p.object(tr.get("early_stopping"), "model.training.early_stopping", "enabled", "patience", "min_delta")
	if es.present {
		enabled := p.getBool(es, "enabled", true)
		stop := &EarlyStopping{
			Patience: p.getInt(es, "patience", 10),
			MinDelta: p.getFloat(es, "min_delta", 0.0001),
		}
		p.check(stop.Patience >= 1, es.at("patience"), "must be an integer >= 1, got %d", stop.Patience)
		p.check(stop.MinDelta >= 0, es.at("min_delta"), "must be >= 0, got %v", stop.MinDelta)
		if enabled {
			m.EarlyStopping = stop
		}
	}
}

func (p *parser) decisions(n *yaml.Node, d *Decisions) {
	do := p.object(n, "decisions", "output_format", "confidence_threshold", "position_awareness", "filters", "allow_short")
	d.OutputFormat = p.getEnum(do, "output_format", "classification", "classification")
	d.ConfidenceThreshold = p.getFloat(do, "confidence_threshold", 0.6)
	p.check(d.ConfidenceThreshold >= 0 && d.ConfidenceThreshold <= 1, do.at("confidence_threshold"),
		"must be in [0, 1], got %v", d.ConfidenceThreshold)
	d.PositionAwareness = p.getBool(do, "position_awareness", true)
	d.AllowShort = p.getBool(do, "allow_short", false)
	fo := p.object(do.get("filters"), "decisions.filters", "min_signal_separation", "volume_filter")
	d.MinSignalSeparation = p.getInt(fo, "min_signal_separation", 0)
	p.check(d.MinSignalSeparation >= 0, fo.at("min_signal_separation"), "must be >= 0, got %d", d.MinSignalSeparation)
	d.VolumeFilter = p.getBool(fo, "volume_filter", false)
}

func (p *parser) training(n *yaml.Node, t *Training) {
	to := p.object(n, "training", "method", "labels", "data_split")
	t.Method = p.getEnum(to, "method", "supervised", "supervised")

	lo := p.object(to.get("labels"), "training.labels", "source", "zigzag_threshold", "label_lookahead", "min_swing_length")
	t.LabelSource = p.getEnum(lo, "source", "zigzag", "zigzag")
	t.ZigzagThreshold = p.getFloat(lo, "zigzag_threshold", 0.03)
	p.check(t.ZigzagThreshold > 0 && t.ZigzagThreshold < 1, lo.at("zigzag_threshold"),
		"must be in (0, 1) (a fraction: 0.03 = 3%%), got %v", t.ZigzagThreshold)
	t.LabelLookahead = p.getInt(lo, "label_lookahead", 20)
	p.check(t.LabelLookahead >= 1, lo.at("label_lookahead"), "must be an integer >= 1, got %d", t.LabelLookahead)
	t.MinSwingLength = p.getInt(lo, "min_swing_length", 1)
	p.check(t.MinSwingLength >= 1, lo.at("min_swing_length"), "must be an integer >= 1, got %d", t.MinSwingLength)

	so := p.object(to.get("data_split"), "training.data_split", "train", "validation", "test")
	if !so.present {
		t.TrainSplit, t.ValidationSplit, t.TestSplit = 0.7, 0.15, 0.15
		return
	}
	// A data_split that is given is taken as a whole: missing parts are 0.
	before := len(p.problems)
	part := func(key string) float64 {
		v := p.getFloat(so, key, 0)
		p.check(v >= 0 && v <= 1, so.at(key), "must be in [0, 1], got %v", v)
		return v
	}
	t.TrainSplit, t.ValidationSplit, t.TestSplit = part("train"), part("validation"), part("test")
	ok := len(p.problems) == before
	if t.TrainSplit <= 0 && ok {
		p.fail(so.at("train"), "must be > 0")
		ok = false
	}
	if sum := t.TrainSplit + t.ValidationSplit + t.TestSplit; ok && math.Abs(sum-1) > 1e-6 {
		p.fail(so.path, "train + validation + test must be 1, got %v", sum)
	}
}
