// The ktrdr dashboard: a hash router over a handful of views. Each view gets
// a context whose pollers, charts and requests end when the user navigates
// away, so a hidden or closed view costs the backend nothing.

import { h, replace } from './dom.js';
import { isAbort } from './api.js';
import { poller } from './poll.js';
import * as operations from './views/operations.js';
import * as operation from './views/operation.js';
import * as trace from './views/trace.js';
import * as start from './views/start.js';
import * as workers from './views/workers.js';
import * as data from './views/data.js';
import * as models from './views/models.js';

const routes = [
  { re: /^\/operations\/([^/]+)\/trace$/, view: trace, nav: 'operations' },
  { re: /^\/operations\/([^/]+)$/, view: operation, nav: 'operations' },
  { re: /^\/(?:operations)?$/, view: operations, nav: 'operations' },
  { re: /^\/start(?:\/([a-z_]+))?$/, view: start, nav: 'start' },
  { re: /^\/workers$/, view: workers, nav: 'workers' },
  { re: /^\/data$/, view: data, nav: 'data' },
  { re: /^\/models$/, view: models, nav: 'models' },
];

const main = document.getElementById('main');
let current = null;
let firstRoute = true;

function toast(message, kind = 'error') {
  const box = document.getElementById('toasts');
  const close = h('button', { type: 'button', class: 'toast-close', 'aria-label': 'Dismiss', text: '×' });
  const el = h('div', { class: `toast ${kind}` }, h('span', { text: message }), close);
  close.addEventListener('click', () => el.remove());
  box.append(el);
  while (box.children.length > 3) box.firstChild.remove();
  setTimeout(() => el.remove(), kind === 'error' ? 10000 : 4000);
}

function makeContext() {
  const controller = new AbortController();
  const cleanups = [];
  return {
    signal: controller.signal,
    toast,
    navigate(hash) {
      location.hash = hash;
    },
    // poll registers a poller that stops with the view.
    poll(fn, ms) {
      const p = poller(fn, ms);
      cleanups.push(() => p.stop());
      return p;
    },
    onCleanup(fn) {
      cleanups.push(fn);
    },
    // guard runs an async view step and reports its failure on the page
    // instead of leaving an unhandled rejection.
    async guard(fn, where) {
      try {
        return await fn();
      } catch (e) {
        if (!isAbort(e) && !controller.signal.aborted) {
          if (where) replace(where, h('p', { class: 'notice error', role: 'alert', text: e.message || String(e) }));
          else toast(e.message || String(e));
        }
        return undefined;
      }
    },
    destroy() {
      controller.abort();
      for (const fn of cleanups.splice(0)) {
        try {
          fn();
        } catch {
          /* a view's cleanup must not break navigation */
        }
      }
    },
  };
}

function route() {
  const raw = location.hash.replace(/^#/, '') || '/operations';
  const [path, query = ''] = raw.split('?');
  const match = routes.map((r) => ({ r, m: r.re.exec(path) })).find((x) => x.m);
  if (current) current.destroy();
  current = makeContext();
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (match && a.dataset.nav === match.r.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const container = h('div', { class: 'view' });
  replace(main, container);
  if (!match) {
    container.append(h('h1', { text: 'Not found' }), h('p', {}, 'No page here. ', h('a', { href: '#/operations', text: 'Back to operations' })));
    return;
  }
  const params = match.m.slice(1).map((p) => (p === undefined ? undefined : decodeURIComponent(p)));
  const ctx = current;
  Promise.resolve()
    .then(() => match.r.view.render(container, params, new URLSearchParams(query), ctx))
    .catch((e) => {
      if (!isAbort(e)) replace(container, h('p', { class: 'notice error', role: 'alert', text: e.message || String(e) }));
    });
  if (!firstRoute) main.focus({ preventScroll: true });
  firstRoute = false;
  window.scrollTo(0, 0);
}

window.addEventListener('hashchange', route);
window.addEventListener('unhandledrejection', (ev) => {
  if (isAbort(ev.reason)) ev.preventDefault();
});
route();
