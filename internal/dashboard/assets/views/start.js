// Start forms: data load, training, backtest. The API validates; its answer
// {"error": {"code", "message", "field"}} is shown next to the field it names.

import { h, replace, setText } from '../dom.js';
import { api } from '../api.js';

const TIMEFRAMES = ['1m', '5m', '15m', '30m', '1h', '4h', '1d', '1w'];

const FORMS = [
  {
    key: 'data_load', title: 'Load data', submit: 'Load data', endpoint: '/api/v1/data/load',
    intro: 'Fetch bars from the market-data host into the API\'s store.',
    fields: [
      { name: 'symbol', label: 'Symbol', value: 'SPX', help: 'SPX (the real daily sample), SYN… (synthetic) or a CSV you provided' },
      { name: 'timeframe', label: 'Timeframe', type: 'select', options: TIMEFRAMES.map((t) => [t, t]), value: '1d' },
      { name: 'mode', label: 'Mode', type: 'select', value: 'tail', options: [['tail', 'tail: after the last stored bar'], ['full', 'full: the whole range again'], ['backfill', 'backfill: before the first'], ['local', 'local: what is stored']] },
      { name: 'start', label: 'Start', placeholder: 'YYYY-MM-DD', help: 'optional' },
      { name: 'end', label: 'End', placeholder: 'YYYY-MM-DD', help: 'optional' },
    ],
  },
  {
    key: 'training', title: 'Train a model', submit: 'Start training', endpoint: '/api/v1/training/start',
    intro: 'Train a strategy\'s model on a training worker; it is stored as a new model version.',
    fields: [
      { name: 'strategy', label: 'Strategy', type: 'strategy' },
      { name: 'symbols', label: 'Symbols', list: true, placeholder: 'the strategy\'s', help: 'optional, comma-separated' },
      { name: 'timeframes', label: 'Timeframes', list: true, placeholder: 'the strategy\'s', help: 'optional, comma-separated' },
      { name: 'start', label: 'Start', placeholder: 'YYYY-MM-DD', help: 'optional' },
      { name: 'end', label: 'End', placeholder: 'YYYY-MM-DD', help: 'optional' },
      { name: 'seed', label: 'Seed', type: 'number', integer: true, placeholder: '42', help: 'same seed and bars give the same weights' },
    ],
  },
  {
    key: 'backtest', title: 'Backtest', submit: 'Start backtest', endpoint: '/api/v1/backtests/start',
    intro: 'Simulate a strategy (with its trained model, unless it is rule-based) on a backtest worker.',
    fields: [
      { name: 'strategy', label: 'Strategy', type: 'strategy' },
      { name: 'model_version', label: 'Model version', placeholder: 'latest', help: 'latest, 3 or v3; empty for rule-based strategies' },
      { name: 'symbol', label: 'Symbol', placeholder: 'the strategy\'s' },
      { name: 'timeframe', label: 'Timeframe', type: 'select', options: [['', 'the strategy\'s'], ...TIMEFRAMES.map((t) => [t, t])] },
      { name: 'start', label: 'Start', placeholder: 'YYYY-MM-DD', help: 'optional' },
      { name: 'end', label: 'End', placeholder: 'YYYY-MM-DD', help: 'optional' },
      { name: 'initial_capital', label: 'Initial capital', type: 'number', placeholder: '100000' },
      { name: 'commission', label: 'Commission', type: 'number', placeholder: '0.001', help: 'fraction of traded value' },
      { name: 'slippage', label: 'Slippage', type: 'number', placeholder: '0.0005', help: 'fraction, against the trader' },
      { name: 'fill', label: 'Fill', type: 'select', options: [['', 'next open (default)'], ['next_open', 'next open'], ['close', 'close']] },
      { name: 'position_size', label: 'Position size', type: 'number', placeholder: '1', help: 'fraction of equity per entry' },
    ],
  },
];

let strategiesPromise = null;
function strategies(signal) {
  if (!strategiesPromise) {
    strategiesPromise = api('/api/v1/strategies', { signal }).then((r) => r.strategies || []).catch((e) => {
      strategiesPromise = null;
      throw e;
    });
  }
  return strategiesPromise;
}

function fieldId(form, name) {
  return `${form.key}-${name}`;
}

function control(form, f, strategyList) {
  const id = fieldId(form, f.name);
  const common = { id, name: f.name, 'aria-describedby': `${id}-help ${id}-error` };
  if (f.type === 'select') {
    const sel = h('select', common, f.options.map(([v, label]) => h('option', { value: v, text: label })));
    sel.value = f.value || '';
    return sel;
  }
  if (f.type === 'strategy') {
    const sel = h('select', { ...common, required: true }, strategyList.map((st) => h('option', {
      value: st.name, text: st.valid === false ? `${st.name} (invalid)` : st.name, title: st.description || null,
    })));
    return sel;
  }
  return h('input', {
    ...common, type: f.type === 'number' ? 'number' : 'text', step: f.type === 'number' ? (f.integer ? '1' : 'any') : null,
    inputmode: f.type === 'number' ? (f.integer ? 'numeric' : 'decimal') : null, placeholder: f.placeholder || null,
    value: f.value || null, autocomplete: 'off', spellcheck: 'false',
  });
}

// body collects the filled-in fields; empty ones are left to the API's defaults.
function body(form, el) {
  const out = {};
  for (const f of form.fields) {
    const input = el.elements.namedItem(f.name);
    const raw = (input.value || '').trim();
    if (raw === '') continue;
    if (f.list) out[f.name] = raw.split(/[\s,]+/).filter(Boolean);
    else if (f.type === 'number') out[f.name] = Number(raw);
    else out[f.name] = raw;
  }
  return out;
}

// fieldFor maps the API's field path (symbols[1], fuzzy_sets.x) to a form field.
function fieldFor(form, path) {
  if (!path) return null;
  const base = path.replace(/\[\d+\]$/, '').split(/[.[]/)[0];
  const names = form.fields.map((f) => f.name);
  for (const n of [base, `${base}s`, base.replace(/s$/, '')]) if (names.includes(n)) return n;
  return null;
}

function buildForm(form, strategyList, query, ctx) {
  const formError = h('p', { class: 'form-error', id: `${form.key}-form-error`, role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'primary', id: `${form.key}-submit`, text: form.submit });
  const el = h('form', { class: 'start-form', id: `${form.key}-form`, novalidate: true, 'aria-labelledby': `${form.key}-title` },
    form.fields.map((f) => {
      const id = fieldId(form, f.name);
      return h('div', { class: 'field', 'data-field': f.name },
        h('label', { for: id, text: f.label }),
        control(form, f, strategyList),
        h('small', { class: 'help', id: `${id}-help`, text: f.help || '' }),
        h('p', { class: 'field-error', id: `${id}-error`, 'aria-live': 'polite' }));
    }),
    formError,
    h('div', { class: 'form-actions' }, submit));
  // Prefill from the route (#/start/backtest?strategy=…&model_version=…).
  if (query && query.get('form') === form.key) {
    for (const [k, v] of query) {
      const input = el.elements.namedItem(k);
      if (input && k !== 'form') input.value = v;
    }
  }
  const clearErrors = () => {
    formError.hidden = true;
    setText(formError, '');
    for (const e of el.querySelectorAll('.field-error')) setText(e, '');
    for (const i of el.querySelectorAll('[aria-invalid]')) i.removeAttribute('aria-invalid');
  };
  el.addEventListener('input', (ev) => {
    const field = ev.target.closest('.field');
    if (!field) return;
    ev.target.removeAttribute('aria-invalid');
    setText(field.querySelector('.field-error'), '');
  });
  el.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors();
    submit.disabled = true;
    setText(submit, 'Starting…');
    try {
      // A user action: an ordinary traced request, the root of the operation's trace.
      const res = await api(form.endpoint, { method: 'POST', body: body(form, el) });
      ctx.navigate(`#/operations/${encodeURIComponent(res.operation_id)}`);
    } catch (e) {
      const name = fieldFor(form, e.field);
      if (name) {
        const input = el.elements.namedItem(name);
        input.setAttribute('aria-invalid', 'true');
        setText(el.querySelector(`#${fieldId(form, name)}-error`), e.message);
        input.focus();
      } else {
        formError.hidden = false;
        setText(formError, e.message || String(e));
      }
    } finally {
      submit.disabled = false;
      setText(submit, form.submit);
    }
  });
  return el;
}

export async function render(root, [kind], query, ctx) {
  document.title = 'Start · ktrdr';
  const grid = h('div', { class: 'forms' }, h('p', { class: 'muted', text: 'Loading strategies…' }));
  root.append(h('h1', { text: 'Start an operation' }), grid);
  let list;
  try {
    list = await strategies(ctx.signal);
  } catch (e) {
    if (e.name === 'AbortError') return;
    replace(grid, h('p', { class: 'notice error', role: 'alert', text: `Strategies could not be loaded: ${e.message}` }));
    return;
  }
  if (kind) query.set('form', kind);
  const sections = FORMS.map((form) => h('section', { class: ['card', 'form-card', kind === form.key && 'target'], id: `form-${form.key}` },
    h('h2', { id: `${form.key}-title`, text: form.title }),
    h('p', { class: 'muted', text: form.intro }),
    buildForm(form, list, query, ctx)));
  // The form the route names comes first (on a phone, no scrolling to it).
  sections.sort((a, b) => (b.id === `form-${kind}`) - (a.id === `form-${kind}`));
  replace(grid, sections);
}
