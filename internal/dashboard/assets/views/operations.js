// Operations: the live list, filtered by type and status, with cancel.

import { h, setText, replace, fmtAge, statusBadge, progressBar, td, opLink, TERMINAL } from '../dom.js';
import { api } from '../api.js';

const TYPES = ['data_load', 'training', 'backtesting', 'dummy'];
const STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled'];
const LIMIT = 50;

// Filters survive navigation within the page.
const filters = { type: '', status: '' };

function select(id, label, values, value, onChange) {
  const sel = h('select', { id, name: id, on: { change: () => onChange(sel.value) } },
    h('option', { value: '', text: 'all' }), values.map((v) => h('option', { value: v, text: v.replace('_', ' ') })));
  sel.value = value;
  return h('div', { class: 'field inline' }, h('label', { for: id, text: label }), sel);
}

export async function cancelOperation(id, ctx) {
  try {
    await api(`/api/v1/operations/${encodeURIComponent(id)}`, { method: 'DELETE' });
    ctx.toast(`Cancel requested for ${id}`, 'info');
  } catch (e) {
    ctx.toast(`Cancel of ${id} failed: ${e.message}`);
  }
}

export function render(root, _params, _query, ctx) {
  document.title = 'Operations · ktrdr';
  const summary = h('p', { class: 'muted', id: 'ops-summary', text: 'Loading…' });
  const tbody = h('tbody', { id: 'ops-body' });
  const table = h('table', { class: 'grid responsive', id: 'ops-table' },
    h('caption', { class: 'visually-hidden', text: 'Operations, newest first' }),
    h('thead', {}, h('tr', {}, ['Operation', 'Type', 'Status', 'Progress', 'Worker', 'Age', ''].map((t) => h('th', { scope: 'col', text: t })))),
    tbody);
  const rows = new Map();
  let p;
  const onFilter = (key) => (v) => {
    filters[key] = v;
    p.now();
  };
  root.append(
    h('div', { class: 'toolbar' },
      h('h1', { text: 'Operations' }),
      h('div', { class: 'filters', role: 'group', 'aria-label': 'Filter operations' },
        select('filter-type', 'Type', TYPES, filters.type, onFilter('type')),
        select('filter-status', 'Status', STATUSES, filters.status, onFilter('status'))),
      h('a', { class: 'button primary', href: '#/start', text: 'Start an operation' })),
    summary,
    h('div', { class: 'table-wrap' }, table));

  const makeRow = (op) => {
    const bar = progressBar(`progress of ${op.operation_id}`);
    const cells = {
      type: h('span'), status: h('span'), pct: h('span', { class: 'pct' }), step: h('span', { class: 'step muted' }),
      worker: h('span'), age: h('span'), actions: h('span', { class: 'actions' }),
    };
    const cancel = h('button', { type: 'button', class: 'danger small', text: 'Cancel', 'aria-label': `Cancel ${op.operation_id}` });
    cancel.addEventListener('click', async () => {
      cancel.disabled = true;
      setText(cancel, 'Cancelling…');
      await cancelOperation(op.operation_id, ctx);
      p.now();
    });
    const tr = h('tr', { 'data-id': op.operation_id },
      td('Operation', opLink(op.operation_id)),
      td('Type', cells.type),
      td('Status', cells.status),
      td('Progress', h('span', { class: 'stack' }, h('span', { class: 'progress' }, bar.el, cells.pct), cells.step)),
      td('Worker', cells.worker),
      td('Age', cells.age),
      td('', cells.actions));
    return { tr, bar, cells, cancel, status: null, worker: null };
  };

  const update = (row, op) => {
    setText(row.cells.type, op.operation_type.replace('_', ' '));
    if (row.status !== op.status) {
      replace(row.cells.status, statusBadge(op.status));
      row.status = op.status;
    }
    const pct = op.progress ? op.progress.percentage : 0;
    row.bar.set(pct);
    setText(row.cells.pct, `${Math.round(pct)}%`);
    setText(row.cells.step, op.progress && op.progress.current_step ? op.progress.current_step : '');
    if (row.worker !== (op.worker_id || '')) {
      row.worker = op.worker_id || '';
      replace(row.cells.worker, op.worker_id ? h('a', { href: '#/workers', class: 'mono', text: op.worker_id }) : h('span', { class: 'muted', text: '—' }));
    }
    setText(row.cells.age, fmtAge(op.created_at));
    const cancellable = !TERMINAL.has(op.status);
    if (cancellable && !row.cells.actions.contains(row.cancel)) row.cells.actions.append(row.cancel);
    if (!cancellable && row.cells.actions.contains(row.cancel)) row.cancel.remove();
    if (op.cancel_requested && cancellable) {
      row.cancel.disabled = true;
      setText(row.cancel, 'Cancelling…');
    }
  };

  let first = true;
  const refresh = async () => {
    const q = new URLSearchParams({ limit: String(LIMIT) });
    if (filters.type) q.set('type', filters.type);
    if (filters.status) q.set('status', filters.status);
    // The first load is an ordinary traced request; refreshes are polls.
    const res = await api(`/api/v1/operations?${q}`, { poll: !first, signal: ctx.signal });
    first = false;
    const seen = new Set();
    let prev = null;
    for (const op of res.operations) {
      seen.add(op.operation_id);
      let row = rows.get(op.operation_id);
      if (!row) {
        row = makeRow(op);
        rows.set(op.operation_id, row);
      }
      update(row, op);
      // Keep rows in the API's order, moving only what is out of place.
      const want = prev ? prev.nextSibling : tbody.firstChild;
      if (want !== row.tr) tbody.insertBefore(row.tr, want);
      prev = row.tr;
    }
    for (const [id, row] of rows) {
      if (!seen.has(id)) {
        row.tr.remove();
        rows.delete(id);
      }
    }
    const filtered = filters.type || filters.status ? ' matching the filter' : '';
    setText(summary, res.total === 0
      ? `No operations${filtered} yet.`
      : `${res.total} operation${res.total === 1 ? '' : 's'}${filtered}` + (res.total > LIMIT ? `, newest ${LIMIT} shown` : ''));
  };
  p = ctx.poll(refresh);
  p.now();
}
