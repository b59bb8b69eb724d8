// The dashboard's only way to the collector: the public /api/v1, with the
// session cookie of a username/password sign-in (HttpOnly: this code never
// sees it) or an API token. A token lives in sessionStorage, so it is gone
// when the tab closes and is never sent anywhere but this origin.

const TOKEN_KEY = 'hashwatt.token';
const BASE = '/api/v1';

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export const session = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  set: (token) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

let onUnauthorized = () => {};
/** Called when the collector says the token is no longer valid. */
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

function headers(extra = {}) {
  const token = session.token();
  return { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...extra };
}

/** Builds /api/v1/path?query, dropping empty query values. */
export function apiUrl(path, query = {}) {
  const url = new URL(`${BASE}${path}`, location.origin);
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
  return url.pathname + url.search;
}

async function errorFrom(res) {
  let body;
  try {
    body = await res.json();
  } catch {
    body = {};
  }
  const message = body.message ?? body.error?.message ?? (typeof body.error === 'string' ? body.error : null) ?? `${res.status} ${res.statusText}`;
  const code = body.code ?? body.error?.code ?? (typeof body.error === 'string' ? body.error : `HTTP_${res.status}`);
  return new ApiError(res.status, code, message, body.details ?? body.issues ?? body.error?.details);
}

export async function request(method, path, { query, body, raw = false, signal } = {}) {
  const res = await fetch(apiUrl(path, query), {
    method,
    headers: headers(body !== undefined ? { 'content-type': 'application/json' } : {}),
    body: body !== undefined ? JSON.stringify(body) : undefined,
    signal,
  });
  if (res.status === 401) {
    const err = await errorFrom(res);
    onUnauthorized(err);
    throw err;
  }
  if (!res.ok) throw await errorFrom(res);
  if (raw) return res;
  if (res.status === 204) return null;
  return res.json();
}

export const get = (path, query, opts = {}) => request('GET', path, { ...opts, query });
export const post = (path, body, query) => request('POST', path, { body, query });
export const put = (path, body, query) => request('PUT', path, { body, query });
export const del = (path, query) => request('DELETE', path, { query });

/** Lists come back either bare or wrapped ({sites:[…]}, {items:[…]}); take either. */
export function list(body, ...keys) {
  if (Array.isArray(body)) return body;
  for (const key of [...keys, 'items', 'data', 'results']) if (Array.isArray(body?.[key])) return body[key];
  return [];
}

/**
 * Downloads a response (e.g. CSV) that needs the bearer header: a plain link
 * cannot carry it, so fetch it and hand the browser a blob.
 */
export async function download(path, query, filename) {
  const res = await request('GET', path, { query, raw: true });
  const blob = await res.blob();
  const href = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = href;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
}
