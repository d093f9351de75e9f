// Package strategy loads and validates ktrdr v2 strategy files (YAML) as
// users write them, and finds them by name in a Catalog.
//
// Parse is strict about everything the system acts on and lenient about the
// rest: a wrong value is a Problem at its YAML path
// ("indicators[2].name: unknown indicator \"foo\"",
// "fuzzy_sets.rsi_14.oversold.parameters: need 3 numbers, got 2"), and all
// problems are collected into one *ValidationError rather than stopping at
// the first. A key the format does not know is a Warning with its path and
// is ignored. Wrong YAML types (a string where a number goes, a mapping
// where a list goes) are problems too; nothing panics. Quoted numbers are
// strings. Anchors, aliases and merge keys (<<) work as in YAML.
//
// The sections, and the defaults applied when an optional part is absent:
//
//	name                  required, ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$
//	description, version, hypothesis   free text, default ""
//	scope                 free text, default "universal" (not acted on)
//	training_data         required
//	  symbols             {mode, list} or {mode, symbol}; mode single_symbol | multi_symbol,
//	                      inferred from the count when absent; symbols are upper-cased
//	  timeframes          {mode, list | timeframe, base_timeframe}; mode single_timeframe |
//	                      multi_timeframe (inferred); base_timeframe default the first one
//	  history_required    bars, default: the slowest indicator's warm-up + lookback_periods + 1
//	deployment            any mapping, kept in Strategy.Deployment, not acted on
//	indicators            required list; each {name, feature_id, source?, <params>...}:
//	                      name from the indicators catalog (aliases accepted), feature_id
//	                      unique (letters, digits, _ and -), source default close for
//	                      indicators that read one, params numbers checked by the catalog
//	fuzzy_sets            required; {<feature_id>[.<output>]: {<set>: {type, parameters}}}
//	model                 default mlp, hidden_layers [32, 16], relu, softmax, dropout 0.2,
//	                      no price context, lookback_periods 0, scale_features true,
//	                      learning_rate 0.001, batch_size 32, epochs 50, adam, no early stopping
//	  training.early_stopping   present = enabled (unless enabled: false); patience 10,
//	                      min_delta 0.0001
//	decisions             classification, confidence_threshold 0.6, position_awareness true,
//	                      filters.min_signal_separation 0, filters.volume_filter false,
//	                      allow_short false
//	training              supervised; labels: zigzag, zigzag_threshold 0.03,
//	                      label_lookahead 20, min_swing_length 1;
//	                      data_split 0.7/0.15/0.15 (a data_split that is given is taken
//	                      whole: its missing parts are 0, and the parts must sum to 1)
//
// Features: each set of each fuzzy_sets key gives one model input per
// timeframe, named by FeatureName: "{tf}_{feature_id}_{set}", or
// "{tf}_{feature_id}_{output}_{set}" for a non-primary output such as
// macd_12_26_9.histogram. Parse rejects files where two names would clash.
//
// FORMAT.md in this directory is the user-facing description of the format.
package strategy
