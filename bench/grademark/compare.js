#!/usr/bin/env node
// The reference side of ktrdr's SMA-crossover baseline: the same strategy run
// by grademark (https://github.com/Grademark/grademark, MIT), the npm
// JavaScript backtester, to check ktrdr's engine trade by trade
// (grademark_test.go) and to time it (bench/backtest).
//
//   NODE_PATH=$(scripts/ensure-grademark.sh)/node_modules \
//     node bench/grademark/compare.js [--time] [--rounds N] [--fast 10] [--slow 30] [bars.json]
//
// Input (the file, or stdin without one): a JSON array of bars
// [{"time": t, "open": o, "high": h, "low": l, "close": c, "volume": v}, ...]
// in time order; time is passed through untouched (ktrdr writes Unix
// milliseconds). Output: one JSON object on stdout,
//   {"bars": n, "fast": 10, "slow": 30, "trades": [{"entry_time", "entry_price",
//    "exit_time", "exit_price", "exit_reason", "holding_period"}, ...]}
// and with --time also "rounds" (bars/s of each of N backtest() calls, default
// 3) and "bars_per_sec" (the best of them). Only the backtest() call is timed:
// parsing, the moving averages and building the DataFrame are not.
//
// The strategy: SMA(fast) and SMA(slow) of the closes, computed here with
// plain loops, in the same summation order as ktrdr's indicators.SMA (a
// running sum: add the new close, divide, subtract the oldest), so both sides
// compare bit-identical averages and a crossover cannot flip on a 1-ulp
// difference. Entry: fast crosses above slow (fast > slow on the bar, fast <=
// slow on the bar before); exit: fast crosses below (fast < slow, fast >=
// slow before). Long only, one unit, no fees, no slippage (grademark has
// neither).
//
// grademark 0.3.0's conventions (build/lib/backtest.js), which this relies on:
//   - Rules are evaluated on a bar with the bar's data (closed bar); an
//     enterPosition()/exitPosition() from a rule fills at the NEXT bar's open
//     (entry/exit time = that bar's time).
//   - It is a 4-state machine None -> Enter -> Position -> Exit -> None: the
//     entry rule only runs when flat (None), the exit rule only when in a
//     position (Position). On the bar where an entry fills (Enter) no rule
//     runs, and on the bar where an exit fills (Exit) no rule runs either, so
//     a crossover on a fill bar is never seen.
//   - lookbackPeriod bars are kept in a ring buffer (CBuffer); rules start on
//     the first bar where it is full (here bar 1). The `lookback` DataFrame is
//     built from the ring's raw storage, so once the ring has wrapped its rows
//     are NOT in time order (with lookbackPeriod 2 they alternate between
//     [prev, cur] and [cur, prev]). The previous bar is therefore found by its
//     index, not by position.
//   - A position still open after the last bar is closed at the last bar's
//     close, time = the last bar's time, exitReason "finalize". An
//     enterPosition() on the last bar never fills.
//   - holdingPeriod counts the bars strictly between the entry fill bar and
//     an exit-rule fill bar (the fill bars themselves are not counted), and
//     entry bar+1 .. last bar for "finalize".
'use strict';

const fs = require('fs');
const { DataFrame } = require('data-forge');
const { backtest } = require('grademark');

function parseArgs(argv) {
    const a = { time: false, rounds: 3, fast: 10, slow: 30, file: null };
    for (let k = 0; k < argv.length; k++) {
        const v = argv[k];
        const num = () => {
            const n = Number(argv[++k]);
            if (!Number.isInteger(n) || n < 1) throw new Error(`${v} needs a positive integer`);
            return n;
        };
        if (v === '--time') a.time = true;
        else if (v === '--rounds') a.rounds = num();
        else if (v === '--fast') a.fast = num();
        else if (v === '--slow') a.slow = num();
        else if (v.startsWith('--')) throw new Error(`unknown flag ${v}`);
        else if (a.file === null) a.file = v;
        else throw new Error('more than one input file');
    }
    return a;
}

// sma is ktrdr's indicators.SMA: NaN for the first period-1 bars, then a
// running sum in the same order of operations.
function sma(x, period) {
    const n = x.length;
    const out = new Float64Array(n).fill(NaN);
    if (period < 1 || period > n) return out;
    let sum = 0;
    for (let i = 0; i < period - 1; i++) sum += x[i];
    for (let i = period - 1; i < n; i++) {
        sum += x[i];
        out[i] = sum / period;
        sum -= x[i - period + 1];
    }
    return out;
}

// previous returns the bar before `bar` from a 2-bar lookback, whatever
// order grademark's ring buffer left the rows in.
function previous(bar, lookback) {
    const rows = lookback.toArray();
    const prev = rows[0].i === bar.i - 1 ? rows[0] : rows[1];
    if (prev.i !== bar.i - 1) throw new Error(`lookback at bar ${bar.i} holds bars ${rows.map(r => r.i)}`);
    return prev;
}

const strategy = {
    lookbackPeriod: 2, // the bar and the one before
    entryRule(enterPosition, { bar, lookback }) {
        const p = previous(bar, lookback);
        if (bar.fast > bar.slow && p.fast <= p.slow) enterPosition(); // NaN (warm-up) compares false
    },
    exitRule(exitPosition, { bar, lookback }) {
        const p = previous(bar, lookback);
        if (bar.fast < bar.slow && p.fast >= p.slow) exitPosition();
    },
};

function main() {
    const args = parseArgs(process.argv.slice(2));
    const raw = JSON.parse(fs.readFileSync(args.file === null ? 0 : args.file, 'utf8'));
    if (!Array.isArray(raw) || raw.length === 0) throw new Error('input must be a non-empty JSON array of bars');
    const close = raw.map(b => b.close);
    const fast = sma(close, args.fast);
    const slow = sma(close, args.slow);
    const rows = raw.map((b, i) => ({
        time: b.time, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume,
        i, fast: fast[i], slow: slow[i],
    }));

    const rounds = [];
    let trades;
    for (let r = 0; r < (args.time ? args.rounds : 1); r++) {
        const df = new DataFrame(rows);
        const t0 = process.hrtime.bigint();
        trades = backtest(strategy, df);
        const sec = Number(process.hrtime.bigint() - t0) / 1e9;
        rounds.push(rows.length / sec);
    }
    const out = {
        bars: rows.length,
        fast: args.fast,
        slow: args.slow,
        trades: trades.map(t => ({
            entry_time: t.entryTime,
            entry_price: t.entryPrice,
            exit_time: t.exitTime,
            exit_price: t.exitPrice,
            exit_reason: t.exitReason,
            holding_period: t.holdingPeriod,
        })),
    };
    if (args.time) {
        out.rounds = rounds;
        out.bars_per_sec = Math.max(...rounds);
    }
    process.stdout.write(JSON.stringify(out) + '\n');
}

try {
    main();
} catch (e) {
    process.stderr.write(`compare.js: ${e && e.stack || e}\n`);
    process.exit(1);
}
