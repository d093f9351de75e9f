// Package backtest is ktrdr's bar-by-bar backtesting engine: a single-instrument
// position manager that turns decisions (Buy, Sell, Hold) into fills, applies
// costs, records round-trip trades and a marked-to-market equity curve, and
// computes performance metrics. It also holds two rule-based signal generators
// (MACrossover, RSIThreshold) used as baselines for trained models.
//
// The engine is deterministic and pure: no I/O, no clock, no randomness. A run
// is one O(n) pass over the bars; Step does not allocate (the equity curve is
// preallocated to one point per bar), only the trade list grows.
//
// # Decisions and position awareness
//
// A Signal is a decision taken at a bar's close, from data up to and including
// that bar. The engine holds at most one position (long, short or flat) and
// never pyramids. Per action:
//
//	Action  long                         flat                    short
//	Buy     nothing                      open long               close short, then open long
//	Sell    close long, then open short  open short if           nothing
//	        if AllowShort                AllowShort
//	Hold    nothing                      nothing                 nothing
//
// A reversal is two fills at the same price, each paying its own commission
// (including CommissionPerTrade). An Action other than Buy or Sell is Hold;
// Signal.Confidence is carried for the caller and not used by the engine.
//
// # Fills
//
// FillClose (Config.Fill "close") executes a decision at the deciding bar's
// close. FillNextOpen ("next_open", the default) executes it at the next bar's
// open: the order is queued, and at the start of Step(i+1), before bar i+1's own
// decision, it is executed against the position held at that moment (which is
// the position at decision time, since nothing else can trade in between). A
// decision on the last bar with FillNextOpen is ignored, as there is no next
// bar. Trade.EntryBar/ExitBar and their times are those of the bar where the
// fill happened (i+1 for a next-open fill).
//
// Slippage is applied against the trader: buys (opening a long, closing a short)
// fill at p*(1+Slippage), sells (closing a long, opening a short) at
// p*(1-Slippage). Each fill pays Commission*qty*fillPrice + CommissionPerTrade.
//
// # Sizing and cash
//
// Entries only happen from flat, so the equity available to size with is the
// cash. Sizing "fraction" (the default, Fraction defaults to 1) buys or sells
//
//	qty = (Fraction*cash - CommissionPerTrade) / (fillPrice*(1+Commission))
//
// units (fractional units allowed), so that qty*fillPrice plus its commission
// is exactly the budget: a long never drives cash negative (qty is nudged down
// by an ulp if rounding would overshoot). Sizing "fixed" trades Quantity units.
// An entry is refused (no fill, no trade, no fee) when its cost qty*fillPrice +
// commission exceeds the cash, when the budget is not positive, or when qty is
// not a positive finite number. The same cash requirement applies to shorts (no
// leverage either way). A short credits its proceeds (minus commission) to
// cash and holds a negative position; equity = cash + position*close, which
// may become negative if the price rises far enough. Closing fills are never
// refused.
//
// # Equity curve and end of data
//
// Equity is marked at every bar's close, one EquityPoint per bar after that
// bar's fills. Finish steps any bars the caller has not stepped (with Hold),
// then closes an open position at the last bar's close (slippage and
// commission applied, ExitReason "end_of_data") and rewrites the last
// EquityPoint to reflect it (Position 0, Equity = Cash). Hence a Result always
// ends flat, and final equity = InitialCapital + sum of trade PnL (up to
// rounding).
//
// Trade.PnL is net of both commissions: for a long, (exit value - exit fee) -
// (entry value + entry fee); for a short, (entry value - entry fee) - (exit
// value + exit fee), where value = Quantity*fill price. ReturnPct = PnL /
// (entry value + entry fee) * 100 for both sides. HoldingBars = ExitBar -
// EntryBar.
//
// # Metrics
//
// With E_0..E_{n-1} the equity points (n = bars) and C the initial capital:
//
//	r_t                   E_t/E_{t-1} - 1, t = 1..n-1 (0 when E_{t-1} <= 0: a wiped-out account has no return)
//	TotalReturn           E_{n-1}/C - 1
//	AnnualizedReturn      (E_{n-1}/C)^(BarsPerYear/(n-1)) - 1; 0 when n < 2; -1 when E_{n-1} <= 0
//	AnnualizedVolatility  sample stddev(r) * sqrt(BarsPerYear); 0 with fewer than 2 returns
//	Sharpe                mean(r)/stddev(r) * sqrt(BarsPerYear), risk-free rate 0; 0 when stddev is 0
//	Sortino               mean(r)/sqrt(mean(min(r,0)^2)) * sqrt(BarsPerYear); 0 when no return is negative
//	MaxDrawdown           max over t of (peak_t - E_t)/peak_t, peak_t the running max of C, E_0..E_t
//	MaxDrawdownDuration   longest underwater stretch in bars, from a peak to the first point regaining it
//	                      (or to the last point); C counts as a peak one bar before E_0
//	Calmar                AnnualizedReturn/MaxDrawdown; 0 when there is no drawdown
//	Wins, Losses          trades with PnL > 0, PnL < 0 (a break-even trade is neither)
//	WinRate               Wins/NumTrades (0 without trades)
//	ProfitFactor          sum of winning PnL / |sum of losing PnL|; nil (JSON null) without a losing trade
//	AvgWin, LargestWin    mean and max PnL of winning trades (0 without)
//	AvgLoss, LargestLoss  mean and min PnL of losing trades, negative numbers (0 without)
//	AvgHoldingBars        mean HoldingBars over all trades
//	Exposure              fraction of equity points with a non-zero Position (the forced close at the end
//	                      makes the last point flat)
//	TotalFees             sum of Trade.Fees
//
// Every float in Metrics is finite, so a Result always marshals to JSON: an
// overflow (e.g. annualising a large gain over few bars) is clamped to
// ±math.MaxFloat64 and an undefined value is 0.
package backtest
