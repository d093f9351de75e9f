// Live updates by polling, only while the tab is visible: a hidden tab costs
// the backend nothing. Each tick waits for the previous one to finish, so a
// slow answer never piles requests up.

import { isAbort } from './api.js';

export const POLL_MS = 1500;

const live = { el: null, text: null, failing: false };

function showLive(state, text) {
  if (!live.el) {
    live.el = document.getElementById('live');
    live.text = document.getElementById('live-text');
  }
  if (!live.el) return;
  if (live.el.dataset.state !== state) live.el.dataset.state = state;
  if (live.text.textContent !== text) live.text.textContent = text;
}

export function markLive(ok, err) {
  if (document.visibilityState !== 'visible') {
    showLive('paused', 'paused (tab hidden)');
    return;
  }
  live.failing = !ok;
  if (ok) showLive('ok', 'live');
  else showLive('error', err && err.status ? `API error ${err.status}: retrying` : 'API unreachable: retrying');
}

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState !== 'visible') showLive('paused', 'paused (tab hidden)');
  else showLive(live.failing ? 'error' : 'ok', live.failing ? 'API unreachable: retrying' : 'live');
});

// poller(fn, ms) calls fn every ms while the document is visible, right away
// when the tab becomes visible again, and stops for good on stop(). fn's
// errors mark the page as disconnected; the next tick tries again.
export function poller(fn, ms = POLL_MS) {
  let timer = null;
  let running = false;
  let stopped = false;

  const schedule = () => {
    if (stopped || timer || running || document.visibilityState !== 'visible') return;
    timer = setTimeout(tick, ms);
  };
  const tick = async () => {
    timer = null;
    if (stopped || running || document.visibilityState !== 'visible') return;
    running = true;
    try {
      await fn();
      markLive(true);
    } catch (e) {
      if (!isAbort(e)) markLive(false, e);
    } finally {
      running = false;
    }
    schedule();
  };
  const onVisibility = () => {
    if (document.visibilityState === 'visible') {
      if (!timer && !running) tick();
    } else if (timer) {
      clearTimeout(timer);
      timer = null;
    }
  };
  document.addEventListener('visibilitychange', onVisibility);
  schedule();
  return {
    // now runs a tick at once (e.g. after the user cancelled something).
    now() {
      if (stopped || running) return;
      if (timer) clearTimeout(timer);
      timer = null;
      tick();
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      document.removeEventListener('visibilitychange', onVisibility);
    },
  };
}
