// Models: every stored version with its test metrics.

import { h, replace, fmtPct, fmtNum, fmtTime, td } from '../dom.js';
import { api } from '../api.js';

export function render(root, _params, _query, ctx) {
  document.title = 'Models · ktrdr';
  const summary = h('p', { class: 'muted', text: 'Loading…' });
  const tbody = h('tbody', { id: 'models-body' });
  root.append(
    h('div', { class: 'toolbar' }, h('h1', { text: 'Models' }), h('a', { class: 'button', href: '#/start/training', text: 'Train a model' })),
    summary,
    h('div', { class: 'table-wrap' }, h('table', { class: 'grid responsive', id: 'models-table' },
      h('caption', { class: 'visually-hidden', text: 'Model versions and their test metrics' }),
      h('thead', {}, h('tr', {}, ['Model', 'Created', 'Features', 'Test accuracy', 'Baseline', 'Test loss', 'Epochs', 'Training', ''].map((t) => h('th', { scope: 'col', text: t })))),
      tbody)));
  let first = true;
  let shown = '';
  const refresh = async () => {
    const res = await api('/api/v1/models', { poll: !first, signal: ctx.signal });
    first = false;
    const list = res.models || [];
    const key = list.map((m) => m.name).join(',');
    if (key === shown) return;
    shown = key;
    replace(summary, list.length ? `${list.length} model version${list.length === 1 ? '' : 's'}` : 'No model yet: train a strategy first.');
    replace(tbody, list.map((m) => {
      const x = m.metrics || {};
      const beat = typeof x.test_accuracy === 'number' && typeof x.majority_baseline === 'number' ? x.test_accuracy > x.majority_baseline : null;
      const bt = `#/start/backtest?${new URLSearchParams({ strategy: m.strategy, model_version: String(m.version), timeframe: m.timeframe })}`;
      return h('tr', { 'data-model': m.name },
        td('Model', h('span', { class: 'mono', text: m.name })),
        td('Created', fmtTime(m.created_at)),
        td('Features', String(m.features ?? '—')),
        td('Test accuracy', h('span', { class: beat === null ? '' : beat ? 'pos' : 'neg', text: fmtPct(x.test_accuracy) })),
        td('Baseline', x.majority_baseline !== undefined ? `${fmtPct(x.majority_baseline)} ${x.majority_class || ''}` : '—'),
        td('Test loss', fmtNum(x.test_loss, 4)),
        td('Epochs', x.epochs !== undefined ? `${x.epochs}${x.best_epoch ? ` (best ${x.best_epoch})` : ''}` : '—'),
        td('Training', m.operation_id ? h('a', { href: `#/operations/${encodeURIComponent(m.operation_id)}`, class: 'mono', text: m.operation_id }) : '—'),
        td('', h('a', { class: 'button small', href: bt, text: 'Backtest', 'aria-label': `Backtest ${m.name}` })));
    }));
  };
  const p = ctx.poll(refresh, 5000);
  p.now();
}
