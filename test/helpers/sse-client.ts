/** One server-sent event as a client reads it: its `event:` name and parsed `data:`. */
export interface SseMessage {
  type: string;
  data: any;
}

/**
 * A real HTTP client on an SSE endpoint: `messages` fills as they arrive,
 * until `stop()`. `connected` settles once the response headers came (the
 * server has registered the client), so a test can cause what it then awaits.
 */
export function sseClient(url: string, headers: Record<string, string> = {}): { messages: SseMessage[]; connected: Promise<void>; stop(): void } {
  const messages: SseMessage[] = [];
  const ac = new AbortController();
  const connected = (async () => {
    const res = await fetch(url, { signal: ac.signal, headers });
    if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`);
    const reader = res.body!.getReader();
    void (async () => {
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
        if (done) return;
        buf += Buffer.from(value).toString('utf8');
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const type = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (type && data) messages.push({ type, data: JSON.parse(data) });
        }
      }
    })();
  })();
  connected.catch(() => undefined); // a caller that does not await it still sees the failure in what it waits for
  return { messages, connected, stop: () => ac.abort() };
}
