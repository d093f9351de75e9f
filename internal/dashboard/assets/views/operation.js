// One operation: status and progress, parameters, the error of a failure,
// per-epoch charts for a training, metrics, equity curve and trades for a
// backtest. Polls until the operation ends.

import { h, setText, replace, clear, fmtNum, fmtPct, fmtMoney, fmtTime, fmtDuration, fmtDate, statusBadge, progressBar, dl, td, TERMINAL, prettyKey } from '../dom.js';
import { api, systemConfig, traceLink } from '../api.js';
import { mountChart, COLORS } from '../charts.js';
import { cancelOperation } from './operations.js';

function paramValue(v) {
  if (Array.isArray(v)) return v.join(', ');
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function renderParams(box, params) {
  if (!params || typeof params !== 'object') {
    replace(box, h('p', { class: 'muted', text: 'none' }));
    return;
  }
  const pairs = Object.entries(params).filter(([k]) => k !== 'strategy_yaml').map(([k, v]) => [prettyKey(k), paramValue(v)]);
  replace(box, dl(pairs));
  if (params.strategy_yaml) {
    box.append(h('details', { class: 'yaml' }, h('summary', { text: 'Strategy YAML as trained' }), h('pre', { text: params.strategy_yaml })));
  }
}

function renderGenericResult(box, result) {
  if (!result || typeof result !== 'object') return;
  const pairs = Object.entries(result).map(([k, v]) => [prettyKey(k), typeof v === 'object' && v !== null
    ? h('pre', { class: 'inline-json', text: JSON.stringify(v, null, 1) }) : paramValue(v)]);
  replace(box, h('h2', { text: 'Result' }), dl(pairs));
}

function trainingResult(op) {
  const r = op.result || {};
  const m = r.test_metrics || {};
  const backtest = `#/start/backtest?${new URLSearchParams({ strategy: r.strategy || '', model_version: String(r.model_version || ''), timeframe: r.timeframe || '' })}`;
  return h('section', { class: 'card', id: 'training-result' },
    h('h2', { text: 'Model' }),
    dl([
      ['model', r.model],
      ['test accuracy', fmtPct(m.test_accuracy)],
      ['majority baseline', m.majority_baseline !== undefined ? `${fmtPct(m.majority_baseline)} (${m.majority_class})` : undefined],
      ['test loss', fmtNum(m.test_loss, 4)],
      ['train / val accuracy', m.train_accuracy !== undefined ? `${fmtPct(m.train_accuracy)} / ${fmtPct(m.val_accuracy)}` : undefined],
      ['epochs', m.epochs !== undefined ? `${m.epochs} (best ${m.best_epoch}${m.stopped_early ? ', stopped early' : ''})` : undefined],
    ]),
    r.strategy ? h('p', {}, h('a', { class: 'button primary', href: backtest, id: 'backtest-model', text: `Backtest ${r.model}` })) : null);
}

const BT_METRICS = [
  ['total_return', 'Total return', fmtPct],
  ['annualized_return', 'Annualized return', fmtPct],
  ['sharpe', 'Sharpe', (v) => fmtNum(v, 2)],
  ['sortino', 'Sortino', (v) => fmtNum(v, 2)],
  ['max_drawdown', 'Max drawdown', fmtPct],
  ['num_trades', 'Trades', (v) => fmtNum(v, 0)],
  ['win_rate', 'Win rate', fmtPct],
  ['profit_factor', 'Profit factor', (v) => fmtNum(v, 2)],
  ['final_equity', 'Final equity', fmtMoney],
  ['exposure', 'Exposure', fmtPct],
  ['total_fees', 'Fees', fmtMoney],
  ['annualized_volatility', 'Volatility', fmtPct],
];

function backtestResult(box, bt, ctx) {
  const r = bt.result;
  const m = r.metrics || {};
  const tiles = h('div', { class: 'tiles', id: 'backtest-metrics' }, BT_METRICS.map(([k, label, f]) => h('div', { class: 'tile' },
    h('span', { class: 'tile-label', text: label }),
    h('span', { class: ['tile-value', typeof m[k] === 'number' && k.includes('return') && (m[k] < 0 ? 'neg' : 'pos')], text: f(m[k]) }))));
  const chartBox = h('div', { class: 'chart-box' });
  const trades = r.trades || [];
  const SHOWN = window.matchMedia('(max-width: 700px)').matches ? 10 : 25;
  const tradeRows = trades.map((t, i) => h('tr', { hidden: i >= SHOWN },
    td('Side', t.side), td('Entry', fmtTime(t.entry_time)), td('Exit', fmtTime(t.exit_time)),
    td('Entry price', fmtNum(t.entry_price, 2)), td('Exit price', fmtNum(t.exit_price, 2)), td('Quantity', fmtNum(t.quantity, 3)),
    td('P&L', h('span', { class: t.pnl < 0 ? 'neg' : 'pos', text: fmtMoney(t.pnl) })), td('Return', `${fmtNum(t.return_pct, 2)}%`),
    td('Bars', String(t.holding_bars)), td('Exit reason', t.exit_reason)));
  replace(box,
    h('section', { class: 'card' },
      h('h2', { text: 'Backtest metrics' }),
      h('p', { class: 'muted', text: `${r.symbol} ${r.timeframe} · ${fmtDate(r.start)} → ${fmtDate(r.end)} · ${r.bars} bars` + (r.model ? ` · model ${r.model}` : '') }),
      tiles),
    h('section', { class: 'card' },
      h('h2', { text: 'Equity curve' }),
      chartBox,
      r.equity_total > (r.equity_curve || []).length ? h('p', { class: 'muted', text: `first ${r.equity_curve.length} of ${r.equity_total} points` }) : null),
    h('section', { class: 'card' },
      h('h2', { text: 'Trades' }),
      h('p', { class: 'muted', text: r.trades_total > trades.length ? `first ${trades.length} of ${r.trades_total} trades` : `${trades.length} trades` }),
      trades.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'grid responsive compact', id: 'trades-table' },
        h('caption', { class: 'visually-hidden', text: 'Trades of the backtest' }),
        h('thead', {}, h('tr', {}, ['Side', 'Entry', 'Exit', 'Entry price', 'Exit price', 'Quantity', 'P&L', 'Return', 'Bars', 'Exit reason'].map((t) => h('th', { scope: 'col', text: t })))),
        h('tbody', {}, tradeRows))) : null,
      trades.length > SHOWN ? h('p', {}, h('button', {
        type: 'button', class: 'small', id: 'trades-more', text: `Show all ${trades.length} trades`,
        on: { click: (ev) => { for (const tr of tradeRows) tr.hidden = false; ev.target.remove(); } },
      })) : null));
  const initial = m.initial_capital || (r.config && r.config.initial_capital);
  const chart = mountChart(chartBox, {
    id: 'equity-curve', label: `Equity curve of ${bt.operation_id}`, xType: 'time', refY: initial, height: 280,
    yFormat: (v) => fmtNum(v, 0), dots: false,
    series: [{ name: 'equity', color: COLORS[0], points: (r.equity_curve || []).map((p) => [Date.parse(p.time), p.equity]) }],
  });
  ctx.onCleanup(() => chart.destroy());
}

export function render(root, [id], _query, ctx) {
  document.title = `${id} · ktrdr`;
  const badge = h('span', { id: 'op-status' });
  const actions = h('div', { class: 'actions' });
  const bar = progressBar(`progress of ${id}`);
  const pct = h('span', { class: 'pct', id: 'op-pct' });
  const step = h('span', { class: 'muted', id: 'op-step' });
  const details = h('div');
  const errorBox = h('section', { class: 'card error-card', id: 'op-error', hidden: true });
  const specific = h('div', { id: 'op-specific' });
  const params = h('div');
  const result = h('div', { class: 'card', hidden: true });
  const cancel = h('button', { type: 'button', class: 'danger', id: 'op-cancel', text: 'Cancel' });
  cancel.addEventListener('click', async () => {
    cancel.disabled = true;
    setText(cancel, 'Cancelling…');
    await cancelOperation(id, ctx);
    p.now();
  });
  const traceA = h('a', { class: 'button', href: `#/operations/${encodeURIComponent(id)}/trace`, id: 'op-trace-link', text: 'Trace waterfall' });
  actions.append(traceA);
  root.append(
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/operations', text: 'Operations' }), ' / ', h('span', { class: 'mono', text: id })),
    h('div', { class: 'toolbar' }, h('h1', {}, h('span', { id: 'op-type', text: 'Operation' }), ' ', h('code', { class: 'op-id', text: id })), badge, actions),
    h('div', { class: 'cards two' },
      h('section', { class: 'card' }, h('h2', { text: 'Progress' }), h('p', { class: 'progress big' }, bar.el, pct), step),
      h('section', { class: 'card' }, h('h2', { text: 'Details' }), details)),
    errorBox,
    specific,
    h('section', { class: 'card' }, h('h2', { text: 'Parameters' }), params),
    result);

  let first = true;
  let op = null;
  let cursor = 0;
  const epochs = [];
  let lossChart = null;
  let accChart = null;
  let trainingBox = null;
  let btLoaded = false;
  let paramsShown = false;

  const drawTraining = () => {
    if (!trainingBox) {
      const lossBox = h('div', { class: 'chart-box', id: 'loss-chart' });
      const accBox = h('div', { class: 'chart-box', id: 'accuracy-chart' });
      const resultBox = h('div', { id: 'training-result-box' });
      trainingBox = { lossBox, accBox, resultBox, table: h('tbody'), count: h('span') };
      replace(specific,
        h('section', { class: 'card' },
          h('h2', {}, 'Training ', h('span', { class: 'muted small', id: 'epoch-count' }, trainingBox.count)),
          h('div', { class: 'charts two' },
            h('div', {}, h('h3', { text: 'Loss per epoch' }), lossBox),
            h('div', {}, h('h3', { text: 'Accuracy per epoch' }), accBox)),
          h('details', {}, h('summary', { text: 'Per-epoch table' }), h('div', { class: 'table-wrap' }, h('table', { class: 'grid compact responsive' },
            h('thead', {}, h('tr', {}, ['Epoch', 'Loss', 'Accuracy', 'Val loss', 'Val accuracy'].map((t) => h('th', { scope: 'col', text: t })))),
            trainingBox.table)))),
        resultBox);
      const empty = 'waiting for the first epoch';
      lossChart = mountChart(lossBox, { label: 'Loss per epoch', series: [], empty, integerX: true });
      accChart = mountChart(accBox, { label: 'Accuracy per epoch', series: [], empty, integerX: true });
      ctx.onCleanup(() => {
        lossChart.destroy();
        accChart.destroy();
      });
    }
    const pts = (k) => epochs.filter((e) => typeof e[k] === 'number').map((e) => [e.epoch, e[k]]);
    lossChart.update({ label: 'Loss per epoch', integerX: true, yFormat: (v) => fmtNum(v, 3), empty: 'waiting for the first epoch', series: [
      { name: 'loss', color: COLORS[0], points: pts('loss') }, { name: 'val loss', color: COLORS[1], dashed: true, points: pts('val_loss') }] });
    accChart.update({ label: 'Accuracy per epoch', integerX: true, yFormat: (v) => fmtPct(v, 0), empty: 'waiting for the first epoch', series: [
      { name: 'accuracy', color: COLORS[2], points: pts('accuracy') }, { name: 'val accuracy', color: COLORS[3], dashed: true, points: pts('val_accuracy') }] });
    const last = epochs[epochs.length - 1];
    setText(trainingBox.count, last ? `epoch ${last.epoch}${last.epochs ? ` of up to ${last.epochs}` : ''}` : '');
  };

  const refresh = async () => {
    try {
      op = await api(`/api/v1/operations/${encodeURIComponent(id)}`, { poll: !first, signal: ctx.signal });
    } catch (e) {
      if (e.status >= 400 && e.status < 500) {
        // No such operation (or not an id): nothing to poll for.
        p.stop();
        replace(root, h('h1', { text: 'Operation not found' }), h('p', { class: 'notice error', role: 'alert', text: e.message }),
          h('p', {}, h('a', { href: '#/operations', text: 'Back to operations' })));
        return;
      }
      throw e;
    }
    const poll = !first;
    first = false;
    const done = TERMINAL.has(op.status);
    setText(root.querySelector('#op-type'), op.operation_type.replace('_', ' '));
    if (badge.dataset.status !== op.status) {
      badge.dataset.status = op.status;
      replace(badge, statusBadge(op.status));
    }
    const pr = op.progress || {};
    bar.set(pr.percentage);
    setText(pct, `${Math.round(pr.percentage || 0)}%`);
    const steps = pr.steps_total ? `step ${pr.steps_completed}/${pr.steps_total}` : '';
    setText(step, [pr.current_step, steps && !(pr.current_step || '').includes(steps) ? steps : ''].filter(Boolean).join(' · '));
    if (!done && !op.cancel_requested && !actions.contains(cancel)) actions.prepend(cancel);
    if ((done || op.cancel_requested) && actions.contains(cancel)) {
      if (done) cancel.remove();
      else {
        cancel.disabled = true;
        setText(cancel, 'Cancelling…');
      }
    }
    const cfg = await systemConfig();
    const ext = traceLink(cfg, op.trace_id);
    const took = op.started_at ? ((op.completed_at ? Date.parse(op.completed_at) : Date.now()) - Date.parse(op.started_at)) / 1000 : null;
    // Rebuilt only when something shown changed (a rebuilt link would swallow
    // a click); the running duration is updated in place.
    const detailsKey = JSON.stringify([op.worker_id, op.status, op.started_at, op.completed_at, op.attempts, op.trace_id, !!ext]);
    if (details.dataset.key !== detailsKey) {
      details.dataset.key = detailsKey;
      replace(details, dl([
        ['worker', op.worker_id ? h('a', { href: '#/workers', class: 'mono', text: op.worker_id }) : h('span', { class: 'muted', text: op.status === 'pending' ? 'waiting for a free worker' : '—' })],
        ['created', fmtTime(op.created_at)],
        ['started', op.started_at ? fmtTime(op.started_at) : undefined],
        ['completed', op.completed_at ? fmtTime(op.completed_at) : undefined],
        ['duration', op.started_at ? h('span', { id: 'op-duration' }) : undefined],
        ['attempts', op.attempts > 1 ? String(op.attempts) : undefined],
        ['trace', op.trace_id ? h('span', {}, h('a', { href: `#/operations/${encodeURIComponent(id)}/trace`, class: 'mono', text: op.trace_id }),
          ext ? [' ', h('a', { href: ext.href, target: '_blank', rel: 'noopener', id: 'op-external-trace', text: `(${ext.label.toLowerCase()})` })] : null) : undefined],
      ]));
    }
    const durationEl = details.querySelector('#op-duration');
    if (durationEl) setText(durationEl, fmtDuration(took));
    if (op.error) {
      errorBox.hidden = false;
      replace(errorBox, h('h2', { text: op.status === 'cancelled' ? 'Cancelled' : 'Error' }), h('pre', { class: 'error-text', id: 'op-error-text', text: op.error }));
    }
    if (!paramsShown) {
      renderParams(params, op.params);
      paramsShown = true;
    }
    if (op.operation_type === 'training') {
      if (!trainingBox) drawTraining();
      const m = await api(`/api/v1/operations/${encodeURIComponent(id)}/metrics?cursor=${cursor}`, { poll, signal: ctx.signal });
      if (m.metrics.length) {
        epochs.push(...m.metrics);
        cursor = m.new_cursor;
        drawTraining();
        trainingBox.table.append(...m.metrics.map((e) => h('tr', {}, td('Epoch', String(e.epoch)), td('Loss', fmtNum(e.loss, 4)),
          td('Accuracy', fmtPct(e.accuracy)), td('Val loss', fmtNum(e.val_loss, 4)), td('Val accuracy', fmtPct(e.val_accuracy)))));
      }
      if (op.status === 'completed' && op.result && !trainingBox.resultBox.firstChild) replace(trainingBox.resultBox, trainingResult(op));
    } else if (op.operation_type === 'backtesting') {
      if (op.status === 'completed' && !btLoaded) {
        const bt = await api(`/api/v1/backtests/${encodeURIComponent(id)}?equity_limit=20000&trades_limit=100`, { poll, signal: ctx.signal });
        btLoaded = true;
        if (bt.result) backtestResult(specific, bt, ctx);
      } else if (!done && !specific.firstChild) {
        replace(specific, h('section', { class: 'card' }, h('h2', { text: 'Backtest' }), h('p', { class: 'muted', text: 'Metrics, the equity curve and the trades appear when the backtest completes.' })));
      } else if (done && op.status !== 'completed') {
        clear(specific);
      }
    } else if (op.status === 'completed' && op.result && result.hidden) {
      result.hidden = false;
      renderGenericResult(result, op.result);
    }
    if (done) p.stop();
  };
  const p = ctx.poll(refresh);
  p.now();
}
