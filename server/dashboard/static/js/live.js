// The live stream: server-sent events from /api/v1/stream, read with fetch()
// rather than EventSource because EventSource cannot send the Authorization
// header (a session cookie would go along with either). Reconnects with jittered backoff and tells subscribers by event name.

import { apiUrl, session } from './api.js';

const listeners = new Map();
const statusListeners = new Set();
let controller = null;
let status = 'idle';
let lastEventAt = 0;

export function on(type, fn) {
  if (!listeners.has(type)) listeners.set(type, new Set());
  listeners.get(type).add(fn);
  return () => listeners.get(type)?.delete(fn);
}

export function onStatus(fn) {
  statusListeners.add(fn);
  fn(status, lastEventAt);
  return () => statusListeners.delete(fn);
}

function setStatus(next) {
  status = next;
  for (const fn of statusListeners) fn(status, lastEventAt);
}

function emit(type, data) {
  lastEventAt = Date.now();
  for (const fn of listeners.get(type) ?? []) {
    try {
      fn(data, type);
    } catch (err) {
      console.warn('live listener failed', type, err);
    }
  }
  for (const fn of listeners.get('*') ?? []) fn(data, type);
}

/** Parses one SSE block ("event: x\ndata: {...}") per the HTML spec's field rules. */
function dispatchBlock(block) {
  let type = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return;
  const text = data.join('\n');
  let parsed = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* plain text event */
  }
  // Some servers put the type inside the JSON of a default "message" event.
  if (type === 'message' && parsed && typeof parsed === 'object' && typeof parsed.type === 'string') {
    emit(parsed.type, parsed.data ?? parsed);
  } else {
    emit(type, parsed);
  }
}

export function start() {
  if (controller) return;
  controller = new AbortController();
  void run(controller.signal);
}

export function stop() {
  controller?.abort();
  controller = null;
  setStatus('idle');
}

async function run(signal) {
  let attempt = 0;
  while (!signal.aborted) {
    setStatus(attempt === 0 ? 'connecting' : 'reconnecting');
    try {
      const res = await fetch(apiUrl('/stream'), {
        // Without a token the session cookie goes along (same origin).
        headers: { accept: 'text/event-stream', ...(session.token() ? { authorization: `Bearer ${session.token()}` } : {}) },
        signal,
        cache: 'no-store',
      });
      if (res.status === 401 || res.status === 403) {
        setStatus('unauthorized');
        return;
      }
      if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
      setStatus('live');
      attempt = 0;
      emit('open', {});
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n?/g, '\n');
        let cut;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          dispatchBlock(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
        }
      }
    } catch (err) {
      if (signal.aborted) return;
    }
    attempt++;
    setStatus('reconnecting');
    const wait = Math.min(15_000, 500 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random() / 2);
    await new Promise((r) => setTimeout(r, wait));
  }
}
