// Data: the series the API has stored, and a price chart of one of them.

import { h, replace, fmtDate, fmtNum, td } from '../dom.js';
import { api } from '../api.js';
import { mountChart, COLORS } from '../charts.js';

export function render(root, _params, query, ctx) {
  document.title = 'Data · ktrdr';
  const summary = h('p', { class: 'muted', text: 'Loading…' });
  const tbody = h('tbody', { id: 'data-body' });
  const chartTitle = h('h2', { id: 'price-title', text: 'Price' });
  const chartBox = h('div', { class: 'chart-box', id: 'price-chart-box' });
  const chartCard = h('section', { class: 'card', hidden: true }, chartTitle, chartBox);
  root.append(
    h('div', { class: 'toolbar' }, h('h1', { text: 'Data' }), h('a', { class: 'button', href: '#/start/data_load', text: 'Load data' })),
    summary,
    h('div', { class: 'table-wrap' }, h('table', { class: 'grid responsive', id: 'data-table' },
      h('caption', { class: 'visually-hidden', text: 'Stored series' }),
      h('thead', {}, h('tr', {}, ['Symbol', 'Timeframe', 'First', 'Last', 'Rows', ''].map((t) => h('th', { scope: 'col', text: t })))),
      tbody)),
    chartCard);
  let chart = null;
  ctx.onCleanup(() => chart && chart.destroy());

  const show = async (sym, tf) => {
    chartCard.hidden = false;
    replace(chartTitle, `${sym} ${tf} close`);
    const res = await api(`/api/v1/data/${encodeURIComponent(sym)}/${encodeURIComponent(tf)}?limit=100000`, { signal: ctx.signal });
    const spec = {
      id: 'price-chart', label: `${sym} ${tf} close price`, xType: 'time', dots: false, yFormat: (v) => fmtNum(v, 2), height: 260,
      series: [{ name: 'close', color: COLORS[0], points: res.bars.map((b) => [Date.parse(b.time), b.close]) }],
    };
    if (chart) chart.update(spec);
    else chart = mountChart(chartBox, spec);
  };

  let first = true;
  let shown = '';
  const refresh = async () => {
    const res = await api('/api/v1/data', { poll: !first, signal: ctx.signal });
    const list = res.data || [];
    const key = JSON.stringify(list);
    const wasFirst = first;
    first = false;
    if (key === shown) return;
    shown = key;
    replace(summary, list.length ? `${list.length} series stored` : 'No data stored yet: load some first (training and backtests fetch their own bars).');
    replace(tbody, list.map((d) => h('tr', {},
      td('Symbol', h('strong', { text: d.symbol })), td('Timeframe', d.timeframe), td('First', fmtDate(d.first)), td('Last', fmtDate(d.last)),
      td('Rows', fmtNum(d.rows, 0)),
      td('', h('button', { type: 'button', class: 'small', text: 'Chart', 'aria-label': `Chart ${d.symbol} ${d.timeframe}`,
        on: { click: () => ctx.guard(() => show(d.symbol, d.timeframe), chartBox) } })))));
    if (wasFirst && list.length) {
      const want = list.find((d) => d.symbol === query.get('symbol') && d.timeframe === query.get('timeframe')) || list[0];
      await ctx.guard(() => show(want.symbol, want.timeframe), chartBox);
    }
  };
  const p = ctx.poll(refresh, 5000);
  p.now();
}
