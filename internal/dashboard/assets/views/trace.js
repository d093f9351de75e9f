// An operation's trace as a waterfall: one row per span in parent/child
// order, coloured by service, with its duration; a row opens to show the
// span's attributes, events and error. Read through the API
// (GET /api/v1/operations/{id}/trace), which asks the configured query URL.

import { h, setText, replace, clear, fmtMicros, fmtTime, dl, TERMINAL } from '../dom.js';
import { api, systemConfig, traceLink } from '../api.js';

const SERVICE_COLORS = ['#1f6fb2', '#2a9d8f', '#e07a1f', '#8e5ab5', '#d1495b', '#5c6f7e', '#b5892a', '#3d7a3d'];

function tagValue(tags, key) {
  const t = (tags || []).find((kv) => kv.key === key);
  return t ? t.value : undefined;
}

function isError(span) {
  return tagValue(span.tags, 'error') === true || tagValue(span.tags, 'otel.status_code') === 'ERROR';
}

function valueText(kv) {
  if (kv.value === undefined || kv.value === null) return '';
  return typeof kv.value === 'object' ? JSON.stringify(kv.value) : String(kv.value);
}

// order returns the spans depth-first, children by start time, with depth.
export function order(trace) {
  const spans = trace.spans || [];
  const ids = new Set(spans.map((sp) => sp.spanID));
  const children = new Map();
  const roots = [];
  for (const sp of spans) {
    const ref = (sp.references || []).find((r) => r.refType === 'CHILD_OF' && r.traceID === sp.traceID) ||
      (sp.references || []).find((r) => r.refType === 'CHILD_OF');
    const parent = ref && ids.has(ref.spanID) ? ref.spanID : null;
    if (parent) {
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(sp);
    } else roots.push(sp);
  }
  const byStart = (a, b) => a.startTime - b.startTime;
  const out = [];
  const walk = (sp, depth) => {
    out.push({ span: sp, depth });
    for (const c of (children.get(sp.spanID) || []).sort(byStart)) walk(c, depth + 1);
  };
  for (const r of roots.sort(byStart)) walk(r, 0);
  return out;
}

function kvTable(caption, kvs) {
  if (!kvs || !kvs.length) return null;
  return h('table', { class: 'kv-table' }, h('caption', { text: caption }),
    h('tbody', {}, kvs.map((kv) => h('tr', {}, h('th', { scope: 'row', text: kv.key }), h('td', { text: valueText(kv) })))));
}

function spanDetail(sp, proc, t0) {
  const err = isError(sp);
  const events = [...(sp.logs || [])].sort((a, b) => a.timestamp - b.timestamp);
  return [
    dl([
      ['service', proc ? proc.serviceName : sp.processID],
      ['kind', tagValue(sp.tags, 'span.kind')],
      ['starts at', `+${fmtMicros(sp.startTime - t0)}`],
      ['duration', fmtMicros(sp.duration)],
      ['span id', h('span', { class: 'mono', text: sp.spanID })],
      ['status', err ? h('span', { class: 'neg', text: `error${tagValue(sp.tags, 'otel.status_description') ? ': ' + tagValue(sp.tags, 'otel.status_description') : ''}` }) : undefined],
    ]),
    kvTable('Attributes', sp.tags),
    events.length ? h('div', { class: 'events' }, h('h4', { text: `Events (${events.length})` }), h('ol', {}, events.map((ev) => {
      const name = (ev.fields || []).find((f) => f.key === 'event');
      const rest = (ev.fields || []).filter((f) => f !== name);
      return h('li', {}, h('span', { class: 'mono muted', text: `+${fmtMicros(Math.max(0, ev.timestamp - sp.startTime))} ` }),
        h('strong', { text: name ? valueText(name) : 'event' }), ' ',
        h('span', { class: 'event-fields', text: rest.map((f) => `${f.key}=${valueText(f)}`).join('  ') }));
    }))) : null,
    proc ? h('details', {}, h('summary', { text: 'Process' }), kvTable('Process attributes', proc.tags)) : null,
  ];
}

export function render(root, [id], _query, ctx) {
  document.title = `Trace of ${id} · ktrdr`;
  const meta = h('p', { class: 'muted', id: 'trace-meta', text: 'Loading the trace…' });
  const links = h('div', { class: 'actions' });
  const legend = h('ul', { class: 'legend services', id: 'trace-services', 'aria-label': 'Services' });
  const list = h('ol', { class: 'waterfall', id: 'waterfall', 'aria-label': 'Spans' });
  const notice = h('div', { role: 'status' });
  root.append(
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/operations', text: 'Operations' }), ' / ',
      h('a', { href: `#/operations/${encodeURIComponent(id)}`, class: 'mono', text: id }), ' / trace'),
    h('div', { class: 'toolbar' }, h('h1', { text: 'Trace' }), links),
    meta, notice, legend,
    h('div', { class: 'wf-head', 'aria-hidden': 'true' }, h('span', { text: 'Span' }), h('span', { class: 'wf-axis', id: 'wf-axis' })),
    list);

  const expanded = new Set();
  const colors = new Map();
  let shown = '';
  let first = true;
  let misses = 0;

  const draw = (trace) => {
    const rows = order(trace);
    const key = `${rows.length}:${rows.map((r) => r.span.duration).join(',')}`;
    if (key === shown) return;
    shown = key;
    const procs = trace.processes || {};
    const t0 = Math.min(...rows.map((r) => r.span.startTime));
    const t1 = Math.max(...rows.map((r) => r.span.startTime + r.span.duration));
    const total = Math.max(1, t1 - t0);
    const services = [];
    for (const r of rows) {
      const name = procs[r.span.processID] ? procs[r.span.processID].serviceName : r.span.processID;
      if (!colors.has(name)) colors.set(name, SERVICE_COLORS[colors.size % SERVICE_COLORS.length]);
      if (!services.includes(name)) services.push(name);
    }
    const errors = rows.filter((r) => isError(r.span)).length;
    setText(meta, `${rows.length} spans · ${services.length} services · ${fmtMicros(total)} · started ${fmtTime(new Date(t0 / 1000).toISOString())}` +
      (errors ? ` · ${errors} with errors` : ''));
    replace(legend, services.map((name) => h('li', { class: 'legend-item', 'data-service': name },
      h('span', { class: 'swatch solid', style: { background: colors.get(name) }, 'aria-hidden': 'true' }), name)));
    replace(root.querySelector('#wf-axis'), [0, 0.25, 0.5, 0.75, 1].map((f) => h('span', { text: fmtMicros(Math.round(total * f)) })));
    clear(list);
    rows.forEach(({ span: sp, depth }, i) => {
      const proc = procs[sp.processID];
      const service = proc ? proc.serviceName : sp.processID;
      const err = isError(sp);
      const detailId = `span-${sp.spanID}`;
      const left = ((sp.startTime - t0) / total) * 100;
      const width = Math.max(0.3, (sp.duration / total) * 100);
      const open = expanded.has(sp.spanID);
      const detail = h('div', { class: 'wf-detail', id: detailId, hidden: !open });
      if (open) detail.append(...spanDetail(sp, proc, t0).filter(Boolean));
      const label = h('span', { class: 'wf-label', style: { '--depth': String(Math.min(depth, 12)) } },
        h('span', { class: 'svc-dot', style: { background: colors.get(service) }, 'aria-hidden': 'true' }),
        h('span', { class: 'wf-name', text: sp.operationName }),
        err ? h('span', { class: 'wf-err', text: 'error' }) : null,
        h('span', { class: 'wf-svc', text: service }));
      const barEl = h('span', { class: ['wf-bar', err && 'error'], style: { left: `${Math.min(left, 99.7)}%`, width: `${width}%`, background: err ? '' : colors.get(service) } });
      const row = h('button', {
        type: 'button', class: ['wf-row', err && 'error'], 'aria-expanded': open ? 'true' : 'false', 'aria-controls': detailId,
        'data-service': service, 'data-span': sp.operationName,
      }, label, h('span', { class: 'wf-track' }, barEl, h('span', { class: 'wf-dur', text: fmtMicros(sp.duration) })));
      row.addEventListener('click', () => {
        const nowOpen = detail.hidden;
        detail.hidden = !nowOpen;
        row.setAttribute('aria-expanded', nowOpen ? 'true' : 'false');
        if (nowOpen) {
          expanded.add(sp.spanID);
          if (!detail.firstChild) detail.append(...spanDetail(sp, proc, t0).filter(Boolean));
        } else expanded.delete(sp.spanID);
      });
      list.append(h('li', { class: 'wf-item', 'data-index': i }, row, detail));
    });
  };

  const refresh = async () => {
    const op = await api(`/api/v1/operations/${encodeURIComponent(id)}`, { poll: !first, signal: ctx.signal });
    if (first) {
      const ext = traceLink(await systemConfig(), op.trace_id);
      if (ext) links.append(h('a', { class: 'button', href: ext.href, target: '_blank', rel: 'noopener', id: 'trace-external', text: ext.label }));
    }
    let loaded = false;
    try {
      // The first request may wait a few seconds for the spans to be exported.
      const res = await api(`/api/v1/operations/${encodeURIComponent(id)}/trace${first ? '?wait=5' : ''}`, { poll: !first, signal: ctx.signal });
      clear(notice);
      draw(res.trace);
      loaded = true;
    } catch (e) {
      if (e.status === 503 || e.status === 400) {
        replace(notice, h('p', { class: 'notice error', text: e.message }));
        setText(meta, 'No trace to show.');
        p.stop();
        return;
      }
      if (e.status !== 404) throw e;
      misses++;
      replace(notice, h('p', { class: 'notice', text: `${e.message} (retrying)` }));
    } finally {
      first = false;
    }
    // Spans keep arriving while the operation runs and for a few seconds
    // after it ends (batch export); then the trace is final.
    const endedAgo = op.completed_at ? (Date.now() - Date.parse(op.completed_at)) / 1000 : 0;
    if (TERMINAL.has(op.status) && endedAgo > 15 && (loaded || misses > 5)) p.stop();
  };
  const p = ctx.poll(refresh, 2000);
  p.now();
}
