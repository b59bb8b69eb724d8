import { readFile } from 'node:fs/promises';
import { createPrivateKey } from 'node:crypto';
import { EXIT, parseCommandArgs, type Command } from '../cli/command.js';
import { AppError } from '../errors.js';
import { idProblem } from '../protocol/ids.js';
import { loadPublicKey } from '../signing/key-files.js';
import { runAgentSuite } from './agent-suite.js';
import { runCollectorSuite } from './collector-suite.js';
import { renderTable, type Outcome } from './results.js';

const COMMON = `  --broker URL        MQTT broker (mqtt://, mqtts://, ws://)
  --site S --agent A  the agent's ids
  --username U        broker username for the kit (read and write both sides' topics)
  --password P        broker password (or HASHWATT_CONFORMANCE_PASSWORD)
  --timeout-s N       deadline for each awaited message (default 30)
  --json              print the results as JSON instead of a table
  -h, --help          show this help

Exit codes: 0 every requirement passed (skips allowed), 1 a requirement failed,
2 bad usage.`;

const AGENT_HELP = `Usage: hashwatt conformance agent --broker URL --site S --agent A --key PEM [options]

Plays the collector's side against an agent implementation and prints a
pass/fail table, one row per requirement with its docs/protocol.md section:
state, birth and Will; telemetry shape and seq rules; replay after an outage
(the kit takes over the agent's MQTT client id twice, which drops the agent's
connection); acknowledgements; unsigned, forged, other-site, expired and stale
controls (expects the documented refusals); a valid control (a max_kw cap of
1,000,000 kW, which puts no miner to sleep) reported received, accepted,
holding; restore with mode none, reported released.

Run it against an agent on a test broker or site: nothing else may act as
its collector meanwhile, and it leaves a retained mode none control with a
higher revision on the agent's control topic.

Options:
  --key PEM           Ed25519 private key whose public key the agent trusts
  --agent-client-id ID  the agent's MQTT client id (default hashwatt-agent-{site}-{agent})
${COMMON}`;

const COLLECTOR_HELP = `Usage: hashwatt conformance collector --broker URL --site S --agent A [options]

Plays an agent against a collector implementation and prints a pass/fail
table, one row per requirement with its docs/protocol.md section: collector
state; acks after storage; no ack past a missing seq; duplicates; refusal of
invalid payloads without stopping ingestion; a new session; and, with
--public-key, the signature of a control published for the agent.

Uses the site and agent ids given (the collector must serve that site) and a
new session number, so it never mixes with a real agent's data, but its
telemetry is stored like any other.

Options:
  --public-key PEM    the collector's public signing key (checks a published control)
  --client-id ID      the kit's client id as the agent (default hashwatt-agent-{site}-{agent})
  --gap-window-s N    how long an ack past a missing seq must stay away (default 2; keep it
                      below the collector's gap timeout)
${COMMON}`;

const COMMON_OPTIONS = {
  broker: { type: 'string' },
  site: { type: 'string' },
  agent: { type: 'string' },
  username: { type: 'string' },
  password: { type: 'string' },
  'timeout-s': { type: 'string' },
  json: { type: 'boolean' },
} as const;

function common(values: Record<string, unknown>) {
  const broker = values.broker as string | undefined;
  const site = values.site as string | undefined;
  const agent = values.agent as string | undefined;
  if (!broker || !site || !agent) throw new AppError('USAGE', 'conformance needs --broker URL --site S --agent A');
  for (const [what, id] of [['site', site], ['agent', agent]] as const) {
    const problem = idProblem(id);
    if (problem) throw new AppError('USAGE', `--${what} "${id}" ${problem}`);
  }
  const timeoutS = values['timeout-s'] === undefined ? 30 : Number(values['timeout-s']);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new AppError('USAGE', `--timeout-s must be a positive number, got "${String(values['timeout-s'])}"`);
  const password = (values.password as string | undefined) ?? process.env.HASHWATT_CONFORMANCE_PASSWORD;
  return {
    broker: { url: broker, ...(values.username ? { username: values.username as string } : {}), ...(password ? { password } : {}) },
    site,
    agent,
    timeoutMs: timeoutS * 1000,
  };
}

function print(outcomes: Outcome[], json: boolean): number {
  process.stdout.write(json ? `${JSON.stringify(outcomes, null, 2)}\n` : renderTable(outcomes));
  return outcomes.some((o) => o.verdict === 'fail') ? EXIT.FAILURE : EXIT.OK;
}

const progress = (line: string) => process.stderr.write(`conformance: ${line}\n`);

export const agentConformanceCommand: Command = {
  path: ['conformance', 'agent'],
  summary: "Check an agent implementation against the protocol, playing the collector's side",
  help: AGENT_HELP,
  async run(argv) {
    const { values } = parseCommandArgs(argv, { ...COMMON_OPTIONS, key: { type: 'string' }, 'agent-client-id': { type: 'string' } }, false);
    const c = common(values);
    if (!values.key) throw new AppError('USAGE', 'conformance agent needs --key PEM: the private key whose public key the agent trusts');
    let privateKey;
    try {
      privateKey = createPrivateKey(await readFile(values.key, 'utf8'));
    } catch (err) {
      throw new AppError('USAGE', `--key ${values.key}: not a readable private key PEM (${(err as Error).message})`, { cause: err });
    }
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new AppError('USAGE', `--key ${values.key} is a ${privateKey.asymmetricKeyType} key; controls are signed with Ed25519`);
    const outcomes = await runAgentSuite({ ...c, privateKey, agentClientId: values['agent-client-id'] ?? `hashwatt-agent-${c.site}-${c.agent}`, progress });
    return print(outcomes, values.json ?? false);
  },
};

export const collectorConformanceCommand: Command = {
  path: ['conformance', 'collector'],
  summary: "Check a collector implementation against the protocol, playing an agent's side",
  help: COLLECTOR_HELP,
  async run(argv) {
    const { values } = parseCommandArgs(argv, { ...COMMON_OPTIONS, 'public-key': { type: 'string' }, 'client-id': { type: 'string' }, 'gap-window-s': { type: 'string' } }, false);
    const c = common(values);
    const gapS = values['gap-window-s'] === undefined ? 2 : Number(values['gap-window-s']);
    if (!Number.isFinite(gapS) || gapS <= 0) throw new AppError('USAGE', `--gap-window-s must be a positive number, got "${String(values['gap-window-s'])}"`);
    const publicKey = values['public-key'] ? await loadPublicKey(values['public-key']) : undefined;
    const outcomes = await runCollectorSuite({ ...c, clientId: values['client-id'] ?? `hashwatt-agent-${c.site}-${c.agent}`, ...(publicKey ? { publicKey } : {}), gapWindowMs: gapS * 1000, progress });
    return print(outcomes, values.json ?? false);
  },
};
