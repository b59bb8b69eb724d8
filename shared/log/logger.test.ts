import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from './logger.js';

test('secrets are redacted at the top level and inside nested objects', () => {
  const lines: string[] = [];
  const destination = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
  const log = createLogger({ level: 'info', destination }).child({ component: 'test' });
  log.info({ password: 'hunter2', broker: { url: 'mqtt://x', password: 'p4ss', token: 't0k' }, config: { miners: { password: 'root' } }, privateKey: 'PEM' }, 'configured');
  const entry = JSON.parse(lines[0]!);
  assert.equal(entry.msg, 'configured');
  assert.equal(entry.component, 'test');
  assert.equal(entry.password, '[redacted]');
  assert.equal(entry.broker.password, '[redacted]');
  assert.equal(entry.broker.token, '[redacted]');
  assert.equal(entry.broker.url, 'mqtt://x');
  assert.equal(entry.config.miners.password, '[redacted]');
  assert.equal(entry.privateKey, '[redacted]');
  assert.doesNotMatch(lines[0]!, /hunter2|p4ss|t0k|root/);
});
