import { fileURLToPath } from 'node:url';
import { generateKeyPairSync } from 'node:crypto';
import { connectMqtt } from '../shared/mqtt/connect.js';
import { coalesceWrites } from '../shared/mqtt/coalesce-writes.js';
import { ed25519Signer } from '../shared/signing/ed25519-signer.js';

/**
 * The fan-out bench's bare baseline, in its own process: what the messaging of
 * a fan-out costs a program that does nothing else. One MQTT.js client,
 * connected as the collector is (MQTT 5, persistent session, writes coalesced),
 * signs 1,000 control-sized messages with the collector's signer, publishes
 * them at QoS 1 (one per site, to the same simulated agents) and takes the
 * QoS 1 answer each sends back, as the agents answer a control with
 * `accepted`. Its CPU per 1,000 messages, measured in the same
 * round as the collector's, is the floor the collector's figure is read
 * against: the ratio holds still when the machine's speed does not.
 */
export interface BareOptions {
  url: string;
  prefix: string;
  sites: number;
}

export const bareTopic = (prefix: string, site: number) => `${prefix}-bare/${site}/control`;
export const bareReplyTopic = (prefix: string, site: number) => `${prefix}-bare/${site}/report`;

async function main(o: BareOptions): Promise<void> {
  const client = await connectMqtt({ url: o.url, clientId: `${o.prefix}-bare`, clean: false, properties: { sessionExpiryInterval: 60 }, reconnectPeriod: 0 });
  coalesceWrites(client);
  await client.subscribeAsync(`${o.prefix}-bare/+/report`, { qos: 1 });
  const sign = ed25519Signer(generateKeyPairSync('ed25519').privateKey);
  let replies = 0;
  let onReply: (() => void) | undefined;
  client.on('message', (_topic, payload) => {
    JSON.parse(payload.toString('utf8')); // what the collector does to every report first
    replies++;
    onReply?.();
  });
  process.on('message', async (m: { cmd: string; bytes?: number }) => {
    if (m.cmd === 'stop') {
      await client.endAsync();
      process.exit(0);
    }
    if (m.cmd !== 'round') return;
    replies = 0;
    const cpu0 = process.cpuUsage();
    const t0 = Date.now();
    const filler = 'x'.repeat(Math.max(0, (m.bytes ?? 900) - 120));
    let acked = 0;
    const done = new Promise<void>((resolve) => {
      const check = () => { if (acked === o.sites && replies === o.sites) resolve(); };
      onReply = check;
      for (let i = 0; i < o.sites; i++) {
        const body = `{"site":"s${i}","revision":${t0},"issuedAt":${t0},"reason":"${filler}"}`;
        const sig = sign(Buffer.from(body, 'utf8')).toString('base64');
        client.publish(bareTopic(o.prefix, i), `${body.slice(0, -1)},"sig":"${sig}"}`, { qos: 1 }, () => { acked++; check(); });
      }
    });
    const timeout = setTimeout(() => process.send?.({ bare: true, error: `after 60 s: ${acked} PUBACKs, ${replies} replies of ${o.sites} each` }), 60_000);
    await done;
    clearTimeout(timeout);
    const cpu = process.cpuUsage(cpu0);
    process.send?.({ bare: true, cpuMs: (cpu.user + cpu.system) / 1000, wallMs: Date.now() - t0 });
  });
  process.send?.({ ready: true });
}

// Only when forked as the child (the agents import this file's topic names, and are forked with --child too).
if (process.argv[2] === '--child' && process.argv[1] === fileURLToPath(import.meta.url)) {
  process.on('disconnect', () => process.exit(1)); // the bench died: do not linger on the broker
  main(JSON.parse(process.argv[3]!) as BareOptions).catch((err: unknown) => {
    process.stderr.write(`bare baseline failed: ${String(err)}\n`);
    process.exit(1);
  });
}
