// Workers: the registry, live.

import { h, replace, setText, fmtAge, fmtTime, td, opLink, progressBar } from '../dom.js';
import { api } from '../api.js';

export function render(root, _params, _query, ctx) {
  document.title = 'Workers · ktrdr';
  const summary = h('p', { class: 'muted', text: 'Loading…' });
  const tbody = h('tbody', { id: 'workers-body' });
  root.append(
    h('h1', { text: 'Workers' }),
    summary,
    h('div', { class: 'table-wrap' }, h('table', { class: 'grid responsive', id: 'workers-table' },
      h('caption', { class: 'visually-hidden', text: 'Registered workers' }),
      h('thead', {}, h('tr', {}, ['Worker', 'Type', 'State', 'Current operation', 'Last heartbeat', 'Endpoint'].map((t) => h('th', { scope: 'col', text: t })))),
      tbody)));
  let first = true;
  const refresh = async () => {
    const res = await api('/api/v1/workers', { poll: !first, signal: ctx.signal });
    first = false;
    const list = res.workers || [];
    // Rebuilt only when something other than the heartbeat ages changed (a
    // rebuilt link would swallow a click); the ages are updated in place.
    const key = JSON.stringify(list.map((w) => [w.worker_id, w.worker_type, w.state, w.current_operation_id, w.progress && Math.round(w.progress.percentage), w.endpoint_url]));
    if (tbody.dataset.key === key) {
      for (const w of list) {
        const el = tbody.querySelector(`tr[data-id="${CSS.escape(w.worker_id)}"] time`);
        if (el) setText(el, fmtAge(w.last_heartbeat));
      }
      return;
    }
    tbody.dataset.key = key;
    const counts = {};
    for (const w of list) counts[w.state] = (counts[w.state] || 0) + 1;
    replace(summary, list.length
      ? `${list.length} worker${list.length === 1 ? '' : 's'}: ` + Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(', ')
      : 'No worker has registered. Start one with ktrdr serve worker --type training|backtest.');
    replace(tbody, list.map((w) => {
      let current = h('span', { class: 'muted', text: '—' });
      if (w.current_operation_id) {
        const bar = progressBar(`progress of ${w.current_operation_id}`);
        bar.set(w.progress ? w.progress.percentage : 0);
        current = h('span', { class: 'stack' }, opLink(w.current_operation_id), w.progress ? h('span', { class: 'progress' }, bar.el, h('span', { class: 'pct', text: `${Math.round(w.progress.percentage)}%` })) : null);
      }
      return h('tr', { 'data-id': w.worker_id },
        td('Worker', h('span', { class: 'mono', text: w.worker_id })),
        td('Type', w.worker_type),
        td('State', h('span', { class: `badge state-${w.state}`, text: w.state })),
        td('Current operation', current),
        td('Last heartbeat', h('time', { datetime: w.last_heartbeat, title: fmtTime(w.last_heartbeat), text: fmtAge(w.last_heartbeat) })),
        td('Endpoint', h('span', { class: 'mono wrap', text: w.endpoint_url })));
    }));
  };
  const p = ctx.poll(refresh);
  p.now();
}
