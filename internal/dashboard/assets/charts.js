// Small hand-written SVG line charts. A chart is drawn at its container's
// width in CSS pixels (so text stays readable on a phone) and redrawn when
// that width changes.

import { h, s, clear } from './dom.js';

export const COLORS = ['#1f6fb2', '#d1495b', '#2a9d8f', '#8e5ab5', '#e07a1f', '#5c6f7e'];

// niceTicks returns about n round values spanning [min, max].
export function niceTicks(min, max, n = 5) {
  if (!(max > min)) return [min];
  const span = max - min;
  const mag = Math.pow(10, Math.floor(Math.log10(span / Math.max(1, n - 1))));
  // The finest round step that gives at most n + 1 ticks.
  const step = [1, 2, 2.5, 5, 10, 20].map((m) => m * mag).find((st) => span / st <= n + 1) || 20 * mag;
  const out = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toFixed(12)));
  return out;
}

// downsample keeps, for every pixel column, the first, lowest, highest and
// last point: the line looks the same with far fewer points.
function downsample(points, x0, x1, columns) {
  if (points.length <= columns * 2) return points;
  const out = [];
  const span = x1 - x0 || 1;
  let bucket = -1;
  let group = [];
  const flush = () => {
    if (!group.length) return;
    let lo = group[0];
    let hi = group[0];
    for (const p of group) {
      if (p[1] < lo[1]) lo = p;
      if (p[1] > hi[1]) hi = p;
    }
    const keep = [group[0], lo, hi, group[group.length - 1]].sort((a, b) => a[0] - b[0]);
    for (const p of keep) if (out[out.length - 1] !== p) out.push(p);
    group = [];
  };
  for (const p of points) {
    const b = Math.floor(((p[0] - x0) / span) * columns);
    if (b !== bucket) {
      flush();
      bucket = b;
    }
    group.push(p);
  }
  flush();
  return out;
}

function timeFormatter(x0, x1) {
  const days = (x1 - x0) / 86400000;
  return (v) => {
    const iso = new Date(v).toISOString();
    if (days > 365 * 2) return iso.slice(0, 7);
    if (days > 3) return iso.slice(0, 10);
    return iso.slice(5, 16).replace('T', ' ');
  };
}

function timeTicks(x0, x1, n) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(x0 + ((x1 - x0) * i) / (n - 1));
  return out;
}

// draw renders spec into an <svg> of the given width.
function draw(spec, width) {
  const height = spec.height || 220;
  const m = { l: 60, r: 14, t: 12, b: 30 };
  const pw = Math.max(40, width - m.l - m.r);
  const ph = Math.max(40, height - m.t - m.b);
  const series = spec.series.map((se) => ({ ...se, points: se.points.filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1])) }));
  const all = series.flatMap((se) => se.points);
  const svg = s('svg', {
    class: 'chart-svg', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img',
    'aria-label': spec.label, id: spec.id, 'data-points': all.length,
  });
  svg.append(s('title', { text: spec.label }));
  if (!all.length) {
    svg.append(s('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle', class: 'chart-empty', text: spec.empty || 'no data yet' }));
    return svg;
  }
  let x0 = Math.min(...all.map((p) => p[0]));
  let x1 = Math.max(...all.map((p) => p[0]));
  let y0 = Math.min(...all.map((p) => p[1]));
  let y1 = Math.max(...all.map((p) => p[1]));
  if (spec.refY !== undefined) {
    y0 = Math.min(y0, spec.refY);
    y1 = Math.max(y1, spec.refY);
  }
  if (spec.yMin !== undefined) y0 = Math.min(y0, spec.yMin);
  if (spec.yMax !== undefined) y1 = Math.max(y1, spec.yMax);
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) {
    y0 -= Math.abs(y0) * 0.05 || 1;
    y1 += Math.abs(y1) * 0.05 || 1;
  }
  const pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  const X = (v) => m.l + ((v - x0) / (x1 - x0)) * pw;
  const Y = (v) => m.t + ph - ((v - y0) / (y1 - y0)) * ph;

  const grid = s('g', { class: 'chart-grid' });
  const yFmt = spec.yFormat || ((v) => String(v));
  for (const v of niceTicks(y0, y1, ph > 150 ? 5 : 4)) {
    if (v < y0 || v > y1) continue;
    grid.append(s('line', { x1: m.l, x2: m.l + pw, y1: Y(v), y2: Y(v) }));
    grid.append(s('text', { x: m.l - 6, y: Y(v) + 4, 'text-anchor': 'end', text: yFmt(v) }));
  }
  const nx = Math.max(3, Math.min(6, Math.floor(pw / 90)));
  let xTicks;
  let xFmt = spec.xFormat;
  if (spec.xType === 'time') {
    xTicks = timeTicks(x0, x1, nx);
    xFmt = xFmt || timeFormatter(x0, x1);
  } else {
    xTicks = niceTicks(x0, x1, nx).filter((v) => v >= x0 && v <= x1 && (!spec.integerX || Number.isInteger(v)));
    xFmt = xFmt || ((v) => String(v));
  }
  xTicks.forEach((v, i) => {
    const anchor = spec.xType === 'time' ? (i === 0 ? 'start' : i === xTicks.length - 1 ? 'end' : 'middle') : 'middle';
    grid.append(s('text', { x: X(v), y: m.t + ph + 18, 'text-anchor': anchor, text: xFmt(v) }));
  });
  grid.append(s('line', { class: 'axis', x1: m.l, x2: m.l + pw, y1: m.t + ph, y2: m.t + ph }));
  svg.append(grid);
  if (spec.refY !== undefined) {
    svg.append(s('line', { class: 'chart-ref', x1: m.l, x2: m.l + pw, y1: Y(spec.refY), y2: Y(spec.refY) }));
  }
  series.forEach((se, i) => {
    if (!se.points.length) return;
    const pts = downsample(se.points, x0, x1, pw);
    const d = pts.map((p, j) => `${j ? 'L' : 'M'}${X(p[0]).toFixed(1)} ${Y(p[1]).toFixed(1)}`).join('');
    svg.append(s('path', {
      class: ['chart-line', se.dashed && 'dashed'], d, fill: 'none', stroke: se.color || COLORS[i % COLORS.length],
      'data-series': se.name,
    }));
    if (se.points.length <= 60 && spec.dots !== false) {
      for (const p of se.points) svg.append(s('circle', { cx: X(p[0]), cy: Y(p[1]), r: 2.5, fill: se.color || COLORS[i % COLORS.length] }));
    }
  });
  return svg;
}

function legend(spec) {
  if (spec.series.length < 2 && !spec.legend) return null;
  return h('figcaption', { class: 'legend' }, spec.series.map((se, i) => h('span', { class: 'legend-item' },
    h('span', { class: ['swatch', se.dashed && 'dashed'], style: { borderColor: se.color || COLORS[i % COLORS.length] }, 'aria-hidden': 'true' }),
    se.name)));
}

// mountChart draws spec into container and keeps it fitted to the
// container's width. It returns {update(spec), destroy()}.
export function mountChart(container, spec) {
  let current = spec;
  let lastWidth = 0;
  let frame = 0;
  const fig = h('figure', { class: 'chart' });
  clear(container).append(fig);
  const render = () => {
    frame = 0;
    const width = Math.floor(container.clientWidth) || 600;
    lastWidth = width;
    clear(fig).append(draw(current, width));
    const lg = legend(current);
    if (lg) fig.append(lg);
  };
  render();
  const ro = new ResizeObserver(() => {
    const width = Math.floor(container.clientWidth);
    if (width && width !== lastWidth && !frame) frame = requestAnimationFrame(render);
  });
  ro.observe(container);
  return {
    update(next) {
      current = next;
      render();
    },
    destroy() {
      ro.disconnect();
      if (frame) cancelAnimationFrame(frame);
    },
  };
}
