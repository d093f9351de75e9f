package mcpserver

// The input and output of every tool. Inputs are what an agent sends: their
// jsonschema tags are the descriptions it reads, and bounds, enums and
// defaults are added to the inferred schema in tools.go. Outputs are the
// structured results; free-form parts (metrics, params, results) are `any`
// so their schema accepts what the API answers.

// NoInput is the input of a tool without arguments.
type NoInput struct{}

// ---- health ----

// HealthOut is the result of health.
type HealthOut struct {
	Status     string        `json:"status" jsonschema:"ok when the API answered its health check"`
	APIURL     string        `json:"api_url" jsonschema:"the ktrdr API this server talks to"`
	Service    string        `json:"service" jsonschema:"the API's service name"`
	Version    string        `json:"version" jsonschema:"the API's version"`
	InstanceID string        `json:"instance_id" jsonschema:"the API process's instance id"`
	Workers    []WorkerCount `json:"workers" jsonschema:"registered workers counted by type and state (training workers run start_training, backtest workers start_backtest)"`
}

// WorkerCount is how many workers of a type are in a state.
type WorkerCount struct {
	Type  string `json:"worker_type" jsonschema:"training or backtest"`
	State string `json:"state" jsonschema:"idle, busy or lost"`
	Count int    `json:"count" jsonschema:"number of workers"`
}

// ---- symbols ----

// SymbolsOut is the result of list_symbols.
type SymbolsOut struct {
	Symbols []SymbolOut `json:"symbols" jsonschema:"what the market-data host can serve; start_data_load fetches from it"`
	Loaded  []LoadedOut `json:"loaded" jsonschema:"series already loaded into the backend; get_market_data reads these"`
}

// SymbolOut is one symbol (or symbol pattern) the market-data host serves.
type SymbolOut struct {
	Symbol     string   `json:"symbol" jsonschema:"the symbol, or a pattern such as SYN* when any_symbol is true"`
	AnySymbol  bool     `json:"any_symbol,omitempty" jsonschema:"true when any symbol matching the pattern is served (synthetic bars)"`
	Timeframes []string `json:"timeframes" jsonschema:"timeframes served"`
	Provider   string   `json:"provider" jsonschema:"the data provider"`
}

// LoadedOut is one series stored in the backend.
type LoadedOut struct {
	Symbol    string `json:"symbol" jsonschema:"symbol"`
	Timeframe string `json:"timeframe" jsonschema:"timeframe"`
	First     string `json:"first" jsonschema:"time of the first stored bar (RFC 3339)"`
	Last      string `json:"last" jsonschema:"time of the last stored bar (RFC 3339)"`
	Rows      int    `json:"rows" jsonschema:"number of stored bars"`
}

// ---- strategies ----

// StrategiesOut is the result of list_strategies.
type StrategiesOut struct {
	Strategies []StrategyOut `json:"strategies" jsonschema:"every strategy the API knows"`
}

// StrategyOut summarises one strategy.
type StrategyOut struct {
	Name        string   `json:"name" jsonschema:"the name to pass to get_strategy, start_training and start_backtest"`
	Description string   `json:"description,omitempty" jsonschema:"what the strategy does"`
	Kind        string   `json:"kind" jsonschema:"model (a neural network: train it before backtesting) or rule (a rule-based baseline: backtest directly)"`
	Rule        string   `json:"rule,omitempty" jsonschema:"the rule type of a rule-based strategy"`
	Symbols     []string `json:"symbols" jsonschema:"the symbols it trades by default"`
	Timeframes  []string `json:"timeframes" jsonschema:"its timeframes (the first is the base timeframe)"`
	Indicators  int      `json:"indicators" jsonschema:"number of indicators"`
	Features    int      `json:"features" jsonschema:"number of model input features"`
	Valid       bool     `json:"valid" jsonschema:"false when the strategy file has problems (see error)"`
	Error       string   `json:"error,omitempty" jsonschema:"why the strategy is invalid"`
}

// StrategyIn names a strategy.
type StrategyIn struct {
	Name string `json:"name" jsonschema:"strategy name, as listed by list_strategies (e.g. rsi_mean_reversion)"`
}

// StrategyDetailOut is the result of get_strategy.
type StrategyDetailOut struct {
	Name          string          `json:"name" jsonschema:"strategy name"`
	Description   string          `json:"description" jsonschema:"what the strategy does"`
	Version       string          `json:"version" jsonschema:"the strategy's version"`
	Hypothesis    string          `json:"hypothesis" jsonschema:"the trading hypothesis it tests"`
	Symbols       []string        `json:"symbols" jsonschema:"default symbols"`
	Timeframes    []string        `json:"timeframes" jsonschema:"timeframes"`
	BaseTimeframe string          `json:"base_timeframe" jsonschema:"the timeframe decisions are made at"`
	Indicators    []IndicatorUse  `json:"indicators" jsonschema:"the indicators it computes"`
	Features      []string        `json:"features" jsonschema:"model input feature names"`
	Hash          string          `json:"strategy_hash" jsonschema:"hash of the strategy; a model fits it only when trained on the same hash"`
	Warnings      []StrategyIssue `json:"warnings" jsonschema:"non-fatal problems"`
	YAML          string          `json:"yaml" jsonschema:"the strategy file"`
}

// IndicatorUse is one indicator of a strategy.
type IndicatorUse struct {
	Name      string             `json:"name" jsonschema:"indicator name"`
	FeatureID string             `json:"feature_id" jsonschema:"the feature id it produces"`
	Source    string             `json:"source,omitempty" jsonschema:"the price it reads (close by default)"`
	Params    map[string]float64 `json:"params,omitempty" jsonschema:"its parameters"`
}

// StrategyIssue is a warning about a strategy, by path.
type StrategyIssue struct {
	Path    string `json:"path" jsonschema:"where in the YAML"`
	Message string `json:"message" jsonschema:"the problem"`
}

// ---- indicators ----

// IndicatorsOut is the result of list_indicators.
type IndicatorsOut struct {
	Indicators []IndicatorOut `json:"indicators" jsonschema:"every indicator a strategy can use"`
}

// IndicatorOut is one indicator of the catalog.
type IndicatorOut struct {
	Name        string         `json:"name" jsonschema:"the name a strategy uses"`
	Aliases     []string       `json:"aliases,omitempty" jsonschema:"other accepted names"`
	Description string         `json:"description" jsonschema:"what it computes"`
	UsesSource  bool           `json:"uses_source" jsonschema:"true when it reads a configurable price source"`
	Outputs     []string       `json:"outputs" jsonschema:"its output columns"`
	Params      []IndicatorArg `json:"params" jsonschema:"numeric parameters"`
}

// IndicatorArg is one numeric parameter of an indicator.
type IndicatorArg struct {
	Name    string  `json:"name" jsonschema:"parameter name"`
	Default float64 `json:"default" jsonschema:"default value"`
	Min     float64 `json:"min" jsonschema:"smallest allowed value"`
	Max     float64 `json:"max,omitempty" jsonschema:"largest allowed value; absent when unbounded"`
	Integer bool    `json:"integer" jsonschema:"true when it must be an integer"`
	Doc     string  `json:"doc,omitempty" jsonschema:"what it means"`
}

// ---- models ----

// ModelsIn filters list_models.
type ModelsIn struct {
	Strategy string `json:"strategy,omitempty" jsonschema:"only models of this strategy; omit for every model"`
	Limit    int    `json:"limit,omitempty" jsonschema:"at most this many models, newest first"`
}

// ModelsOut is the result of list_models.
type ModelsOut struct {
	Models []ModelOut `json:"models" jsonschema:"trained models, newest first"`
	Total  int        `json:"total" jsonschema:"how many models match in all"`
}

// ModelOut summarises one trained model version.
type ModelOut struct {
	Name             string   `json:"name" jsonschema:"{strategy}/{timeframe}_v{version}"`
	Strategy         string   `json:"strategy" jsonschema:"the strategy it was trained for"`
	Timeframe        string   `json:"timeframe" jsonschema:"its base timeframe"`
	Version          int      `json:"version" jsonschema:"version number; pass it as model_version to start_backtest"`
	CreatedAt        string   `json:"created_at" jsonschema:"when it was stored (RFC 3339)"`
	Features         int      `json:"features" jsonschema:"number of input features"`
	TestAccuracy     float64  `json:"test_accuracy" jsonschema:"accuracy on the held-out test split (0-1)"`
	MajorityBaseline float64  `json:"majority_baseline" jsonschema:"accuracy of always predicting the majority class on the test split"`
	Epochs           int      `json:"epochs" jsonschema:"epochs trained"`
	Symbols          []string `json:"symbols" jsonschema:"symbols it was trained on"`
	DataStart        string   `json:"data_start" jsonschema:"first bar of its training data"`
	DataEnd          string   `json:"data_end" jsonschema:"last bar of its training data"`
	OperationID      string   `json:"operation_id,omitempty" jsonschema:"the training operation that made it"`
	TraceID          string   `json:"trace_id,omitempty" jsonschema:"that operation's trace"`
}

// ---- workers ----

// WorkersOut is the result of list_workers.
type WorkersOut struct {
	Workers []WorkerOut `json:"workers" jsonschema:"every registered worker"`
}

// WorkerOut is one registered worker.
type WorkerOut struct {
	ID                 string  `json:"worker_id" jsonschema:"worker id"`
	Type               string  `json:"worker_type" jsonschema:"training or backtest"`
	State              string  `json:"state" jsonschema:"idle, busy or lost"`
	URL                string  `json:"endpoint_url" jsonschema:"where it listens"`
	CurrentOperationID string  `json:"current_operation_id,omitempty" jsonschema:"the operation it runs"`
	Progress           float64 `json:"progress_percentage,omitempty" jsonschema:"progress of that operation (0-100)"`
	LastHeartbeat      string  `json:"last_heartbeat" jsonschema:"its last heartbeat (RFC 3339)"`
}

// ---- market data ----

// MarketDataIn selects a page of stored bars.
type MarketDataIn struct {
	Symbol    string `json:"symbol" jsonschema:"symbol, e.g. SPX (must be loaded first: see list_symbols and start_data_load)"`
	Timeframe string `json:"timeframe" jsonschema:"bar timeframe"`
	Start     string `json:"start,omitempty" jsonschema:"first bar time, YYYY-MM-DD or RFC 3339 (UTC); omit for the beginning"`
	End       string `json:"end,omitempty" jsonschema:"last bar time, YYYY-MM-DD (that whole day) or RFC 3339; omit for the end"`
	Limit     int    `json:"limit,omitempty" jsonschema:"at most this many bars"`
	Offset    int    `json:"offset,omitempty" jsonschema:"skip this many bars of the window (for paging)"`
}

// MarketDataOut is a page of bars.
type MarketDataOut struct {
	Symbol     string   `json:"symbol" jsonschema:"symbol"`
	Timeframe  string   `json:"timeframe" jsonschema:"timeframe"`
	Total      int      `json:"total" jsonschema:"bars in the whole window"`
	Offset     int      `json:"offset" jsonschema:"index of the first bar returned"`
	NextOffset int      `json:"next_offset,omitempty" jsonschema:"offset of the next page; absent on the last page"`
	Bars       []BarOut `json:"bars" jsonschema:"the bars, oldest first"`
}

// BarOut is one OHLCV bar.
type BarOut struct {
	Time   string  `json:"time" jsonschema:"bar open time (RFC 3339, UTC)"`
	Open   float64 `json:"open" jsonschema:"open price"`
	High   float64 `json:"high" jsonschema:"high price"`
	Low    float64 `json:"low" jsonschema:"low price"`
	Close  float64 `json:"close" jsonschema:"close price"`
	Volume float64 `json:"volume" jsonschema:"volume"`
}

// ---- starting work ----

// DataLoadIn starts a data load.
type DataLoadIn struct {
	Symbol    string `json:"symbol" jsonschema:"symbol to load, e.g. SPX or any SYN* symbol for synthetic bars (list_symbols)"`
	Timeframe string `json:"timeframe" jsonschema:"bar timeframe"`
	Start     string `json:"start,omitempty" jsonschema:"window start, YYYY-MM-DD or RFC 3339 (UTC)"`
	End       string `json:"end,omitempty" jsonschema:"window end, YYYY-MM-DD (that whole day) or RFC 3339"`
	Mode      string `json:"mode,omitempty" jsonschema:"local: what is stored; tail: after the last stored bar (default); backfill: before the first; full: the whole window again"`
}

// TrainingIn starts a training.
type TrainingIn struct {
	Strategy   string   `json:"strategy" jsonschema:"strategy to train, as listed by list_strategies (e.g. rsi_mean_reversion)"`
	Symbols    []string `json:"symbols,omitempty" jsonschema:"override the strategy's symbols"`
	Timeframes []string `json:"timeframes,omitempty" jsonschema:"override the strategy's timeframes"`
	Start      string   `json:"start,omitempty" jsonschema:"training data start, YYYY-MM-DD or RFC 3339; omit for all the data"`
	End        string   `json:"end,omitempty" jsonschema:"training data end, YYYY-MM-DD or RFC 3339"`
	Seed       uint64   `json:"seed,omitempty" jsonschema:"random seed (default 42): same seed and same data give the same model"`
}

// BacktestIn starts a backtest.
type BacktestIn struct {
	Strategy           string   `json:"strategy" jsonschema:"strategy to backtest (list_strategies); a model strategy needs a trained model (list_models)"`
	Symbol             string   `json:"symbol,omitempty" jsonschema:"symbol; default: the strategy's first"`
	Timeframe          string   `json:"timeframe,omitempty" jsonschema:"timeframe; default: the strategy's base timeframe"`
	Start              string   `json:"start,omitempty" jsonschema:"first bar to trade, YYYY-MM-DD or RFC 3339"`
	End                string   `json:"end,omitempty" jsonschema:"last bar to trade, YYYY-MM-DD or RFC 3339"`
	ModelVersion       string   `json:"model_version,omitempty" jsonschema:"model version: latest (default), 3 or v3; not for rule-based strategies"`
	InitialCapital     *float64 `json:"initial_capital,omitempty" jsonschema:"starting cash (default 100000)"`
	Commission         *float64 `json:"commission,omitempty" jsonschema:"commission as a fraction of traded value, in [0, 1) (default 0.001)"`
	Slippage           *float64 `json:"slippage,omitempty" jsonschema:"slippage as a fraction of price against the trader, in [0, 1) (default 0.0005)"`
	CommissionPerTrade float64  `json:"commission_per_trade,omitempty" jsonschema:"fixed commission per fill (default 0)"`
	Fill               string   `json:"fill,omitempty" jsonschema:"next_open (default): a decision at a bar's close fills at the next bar's open; close: fills at that close"`
	PositionSize       float64  `json:"position_size,omitempty" jsonschema:"fraction of equity per entry, in (0, 1] (default 1)"`
}

// StartOut is the result of every start_* tool.
type StartOut struct {
	OperationID string `json:"operation_id" jsonschema:"the new operation; pass it to get_operation, cancel_operation, get_operation_trace"`
	Status      string `json:"status" jsonschema:"pending (queued for a worker) or running"`
	TraceID     string `json:"trace_id" jsonschema:"the operation's trace (also this tool call's trace)"`
}

// ---- operations ----

// OperationIn names an operation.
type OperationIn struct {
	OperationID string `json:"operation_id" jsonschema:"operation id as returned by a start_* tool or list_operations (op_{type}_{yyyymmdd_hhmmss}_{8 hex})"`
}

// OperationOut is an operation's state.
type OperationOut struct {
	OperationID     string  `json:"operation_id" jsonschema:"operation id"`
	Type            string  `json:"operation_type" jsonschema:"data_load, training, backtesting or dummy"`
	Status          string  `json:"status" jsonschema:"pending, running, completed, failed or cancelled"`
	Percentage      float64 `json:"progress_percentage" jsonschema:"progress (0-100)"`
	CurrentStep     string  `json:"current_step,omitempty" jsonschema:"what it is doing now"`
	WorkerID        string  `json:"worker_id,omitempty" jsonschema:"the worker running it"`
	CreatedAt       string  `json:"created_at" jsonschema:"RFC 3339"`
	StartedAt       string  `json:"started_at,omitempty" jsonschema:"RFC 3339"`
	CompletedAt     string  `json:"completed_at,omitempty" jsonschema:"RFC 3339"`
	Error           string  `json:"error,omitempty" jsonschema:"why it failed"`
	CancelRequested bool    `json:"cancel_requested,omitempty" jsonschema:"a cancel was asked and awaits the worker's confirmation"`
	TraceID         string  `json:"trace_id,omitempty" jsonschema:"its trace; get_operation_trace shows it"`
	Params          any     `json:"params,omitempty" jsonschema:"what was asked (the strategy YAML left out: get_strategy shows it)"`
	Result          any     `json:"result,omitempty" jsonschema:"the result once completed; long lists are cut (get_backtest_results pages a backtest's trades and equity)"`
	ResultOmitted   string  `json:"result_omitted,omitempty" jsonschema:"what was cut from the result to keep it short"`
}

// OperationsIn filters list_operations.
type OperationsIn struct {
	Status string `json:"status,omitempty" jsonschema:"only operations in this status"`
	Type   string `json:"type,omitempty" jsonschema:"only operations of this type"`
	Limit  int    `json:"limit,omitempty" jsonschema:"at most this many operations, newest first"`
	Offset int    `json:"offset,omitempty" jsonschema:"skip this many (for paging)"`
}

// OperationsOut is the result of list_operations.
type OperationsOut struct {
	Operations []OperationSummary `json:"operations" jsonschema:"operations, newest first"`
	Total      int                `json:"total" jsonschema:"how many match in all"`
	Offset     int                `json:"offset" jsonschema:"index of the first one returned"`
}

// OperationSummary is one operation of a list.
type OperationSummary struct {
	OperationID string  `json:"operation_id" jsonschema:"operation id"`
	Type        string  `json:"operation_type" jsonschema:"data_load, training, backtesting or dummy"`
	Status      string  `json:"status" jsonschema:"pending, running, completed, failed or cancelled"`
	Percentage  float64 `json:"progress_percentage" jsonschema:"progress (0-100)"`
	CreatedAt   string  `json:"created_at" jsonschema:"RFC 3339"`
	Error       string  `json:"error,omitempty" jsonschema:"why it failed"`
	TraceID     string  `json:"trace_id,omitempty" jsonschema:"its trace"`
}

// CancelOut is the result of cancel_operation.
type CancelOut struct {
	OperationID     string `json:"operation_id" jsonschema:"operation id"`
	Status          string `json:"status" jsonschema:"cancelled, or running until the worker confirms"`
	CancelRequested bool   `json:"cancel_requested" jsonschema:"the cancel awaits the worker's confirmation"`
}

// BacktestResultsIn pages a backtest's results.
type BacktestResultsIn struct {
	OperationID  string `json:"operation_id" jsonschema:"the backtesting operation (from start_backtest)"`
	TradesOffset int    `json:"trades_offset,omitempty" jsonschema:"index of the first trade to return"`
	TradesLimit  int    `json:"trades_limit,omitempty" jsonschema:"at most this many trades"`
	EquityOffset int    `json:"equity_offset,omitempty" jsonschema:"index of the first equity point to return"`
	EquityLimit  int    `json:"equity_limit,omitempty" jsonschema:"at most this many equity points"`
}

// BacktestResultsOut is a backtest's state and, once completed, its results.
type BacktestResultsOut struct {
	OperationID string           `json:"operation_id" jsonschema:"operation id"`
	Status      string           `json:"status" jsonschema:"pending, running, completed, failed or cancelled"`
	Percentage  float64          `json:"progress_percentage" jsonschema:"progress (0-100)"`
	Error       string           `json:"error,omitempty" jsonschema:"why it failed"`
	TraceID     string           `json:"trace_id,omitempty" jsonschema:"its trace"`
	Result      *BacktestSummary `json:"result,omitempty" jsonschema:"present once completed"`
}

// BacktestSummary is a completed backtest: metrics and one page each of
// trades and equity.
type BacktestSummary struct {
	Strategy          string `json:"strategy" jsonschema:"strategy"`
	Symbol            string `json:"symbol" jsonschema:"symbol"`
	Timeframe         string `json:"timeframe" jsonschema:"timeframe"`
	Model             string `json:"model" jsonschema:"the model ({strategy}/{tf}_v{N}) or rule:{type}"`
	Start             string `json:"start" jsonschema:"first traded bar"`
	End               string `json:"end" jsonschema:"last traded bar"`
	Bars              int    `json:"bars" jsonschema:"bars simulated"`
	Metrics           any    `json:"metrics" jsonschema:"total/annualized return, volatility, sharpe, sortino, calmar, max drawdown, trades, win rate, profit factor, exposure, fees"`
	Signals           any    `json:"signals,omitempty" jsonschema:"BUY/SELL decisions made"`
	Trades            []any  `json:"trades" jsonschema:"one page of trades"`
	TradesTotal       int    `json:"trades_total" jsonschema:"number of trades in all"`
	TradesOffset      int    `json:"trades_offset" jsonschema:"index of the first trade returned"`
	Equity            []any  `json:"equity_curve" jsonschema:"one page of the equity curve (time, equity, cash, position)"`
	EquityTotal       int    `json:"equity_total" jsonschema:"number of equity points in all"`
	EquityOffset      int    `json:"equity_offset" jsonschema:"index of the first equity point returned"`
	EquityDownsampled bool   `json:"equity_downsampled,omitempty" jsonschema:"the stored curve was downsampled evenly"`
}

// ---- traces ----

// TraceIn names an operation whose trace to show.
type TraceIn struct {
	OperationID string `json:"operation_id" jsonschema:"operation id (from a start_* tool or list_operations)"`
}

// TraceOut summarises an operation's trace; the text content is the tree.
type TraceOut struct {
	OperationID string   `json:"operation_id" jsonschema:"operation id"`
	TraceID     string   `json:"trace_id" jsonschema:"the operation's trace id"`
	Services    []string `json:"services" jsonschema:"services with spans in the trace"`
	Spans       int      `json:"spans" jsonschema:"number of spans"`
	Errors      int      `json:"errors" jsonschema:"number of spans with an error status"`
	Tree        string   `json:"tree" jsonschema:"the trace as a tree: one line per span with service, name, duration and key attributes"`
	Truncated   bool     `json:"truncated,omitempty" jsonschema:"the tree was cut to keep it short"`
}
