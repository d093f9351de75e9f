// The dashboard's only way to the API. Refreshes pass {poll: true}: they
// carry X-Ktrdr-Poll (telemetry.PollHeader) and the API makes no spans for
// them. Everything else — first loads and what the user does — is traced.

export const POLL_HEADER = 'X-Ktrdr-Poll';

// ApiError is a non-2xx answer in the API's shape {"error": {code, message, field}}.
export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field || '';
  }
}

export async function api(path, { method = 'GET', body, poll = false, signal } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (poll) headers[POLL_HEADER] = '1';
  let resp;
  try {
    resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal, cache: 'no-store' });
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'unreachable', `the API did not answer ${method} ${path} (${e && e.message ? e.message : e})`, '');
  }
  const text = await resp.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!resp.ok) {
    const e = (data && data.error) || {};
    throw new ApiError(resp.status, e.code || `http_${resp.status}`, e.message || `${method} ${path} answered ${resp.status}`, e.field);
  }
  return data;
}

export function isAbort(e) {
  return e && e.name === 'AbortError';
}

// The page's configuration (trace links), fetched once.
let configPromise = null;
export function systemConfig() {
  if (!configPromise) {
    configPromise = api('/api/v1/system/config').catch(() => {
      configPromise = null;
      return { query_url: '', jaeger_ui_url: '' };
    });
  }
  return configPromise;
}

// traceLink is where a trace opens outside the dashboard: the Jaeger UI when
// one is configured, else the trace page the query URL serves (the embedded
// collector's); null when neither is known.
export function traceLink(cfg, traceID) {
  if (!traceID || !cfg) return null;
  const trim = (u) => u.replace(/\/+$/, '');
  if (cfg.jaeger_ui_url) return { href: `${trim(cfg.jaeger_ui_url)}/trace/${traceID}`, label: 'Open in Jaeger UI' };
  if (cfg.query_url) return { href: `${trim(cfg.query_url)}/trace/${traceID}`, label: 'Open in trace page' };
  return null;
}
