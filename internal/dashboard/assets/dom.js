// Small DOM helpers and formatters shared by the views. No framework: views
// build elements with h() and update text in place with setText().

const SVG_NS = 'http://www.w3.org/2000/svg';

// h('tag', {class, text, on: {click}, attrs...}, ...children) builds an element.
// Attribute values that are null, undefined or false are left out.
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  applyProps(el, props);
  append(el, children);
  return el;
}

// s() is h() for SVG elements.
export function s(tag, props = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  applyProps(el, props);
  append(el, children);
  return el;
}

function applyProps(el, props) {
  for (const [k, v] of Object.entries(props || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'text') el.textContent = String(v);
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === 'style') {
      // CSSOM, not a style attribute: allowed by the page's CSP.
      for (const [prop, val] of Object.entries(v)) {
        if (prop.startsWith('--')) el.style.setProperty(prop, val);
        else el.style[prop] = val;
      }
    }
    else if (k === 'class') el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// setText changes an element's text only when it differs (no layout churn).
export function setText(el, text) {
  const t = text === null || text === undefined ? '' : String(text);
  if (el.textContent !== t) el.textContent = t;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export function replace(el, ...children) {
  clear(el);
  return append(el, children);
}

// ---- formatters ----

export function fmtNum(v, digits = 2) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  if (typeof v !== 'number') return String(v);
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  return v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function fmtPct(v, digits = 1) {
  if (v === null || v === undefined || typeof v !== 'number') return '—';
  return (v * 100).toFixed(digits) + '%';
}

export function fmtMoney(v) {
  if (v === null || v === undefined || typeof v !== 'number') return '—';
  return v.toLocaleString('en-US', { maximumFractionDigits: 2, minimumFractionDigits: 2 });
}

// fmtDuration: seconds → "850 ms", "12.3 s", "4m 05s", "2h 03m".
export function fmtDuration(sec) {
  if (sec === null || sec === undefined || !Number.isFinite(sec)) return '—';
  if (sec < 1) return Math.round(sec * 1000) + ' ms';
  if (sec < 60) return sec.toFixed(sec < 10 ? 2 : 1) + ' s';
  const m = Math.floor(sec / 60);
  if (m < 60) return `${m}m ${String(Math.floor(sec % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

// fmtMicros: span durations in microseconds.
export function fmtMicros(us) {
  if (us < 1000) return us + ' µs';
  if (us < 1e6) return (us / 1000).toFixed(us < 10000 ? 2 : 1) + ' ms';
  return fmtDuration(us / 1e6);
}

export function fmtAge(iso, now = Date.now()) {
  if (!iso) return '—';
  const sec = Math.max(0, (now - Date.parse(iso)) / 1000);
  if (sec < 60) return Math.floor(sec) + 's ago';
  if (sec < 3600) return Math.floor(sec / 60) + 'm ago';
  if (sec < 86400) return Math.floor(sec / 3600) + 'h ago';
  return Math.floor(sec / 86400) + 'd ago';
}

export function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z').replace(/:00Z$/, 'Z');
}

export function fmtDate(iso) {
  if (!iso) return '—';
  return String(iso).slice(0, 10);
}

export const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

export function statusBadge(status) {
  return h('span', { class: `badge status-${status}`, text: status });
}

// progressBar returns {el, set(pct)} for an accessible bar.
export function progressBar(label) {
  const fill = h('span', { class: 'fill' });
  const el = h('span', { class: 'bar', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': 0, 'aria-label': label }, fill);
  return {
    el,
    set(pct) {
      const p = Math.max(0, Math.min(100, Number(pct) || 0));
      const v = String(Math.round(p));
      if (el.getAttribute('aria-valuenow') !== v) el.setAttribute('aria-valuenow', v);
      const w = p + '%';
      if (fill.style.width !== w) fill.style.width = w;
    },
  };
}

// dl builds a definition list from [term, value] pairs, skipping empty values.
export function dl(pairs, cls = 'kv') {
  return h('dl', { class: cls }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v]) => [h('dt', { text: k }), h('dd', {}, v)]));
}

// td with a label for the stacked (phone) layout of responsive tables.
export function td(label, ...children) {
  return h('td', { 'data-label': label }, ...children);
}

export function opLink(id) {
  return h('a', { href: `#/operations/${encodeURIComponent(id)}`, class: 'mono', text: id });
}

export function prettyKey(k) {
  return String(k).replace(/_/g, ' ');
}
