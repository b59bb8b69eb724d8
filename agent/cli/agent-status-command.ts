import { EXIT, parseCommandArgs, type Command } from '../../shared/cli/command.js';
import { AppError } from '../../shared/errors.js';
import { loadConfigFile } from '../../shared/config/load-config.js';
import { AgentConfigSchema } from '../config/agent-config.js';
import { readStatusFile, type AgentStatus } from '../status/status-file.js';

const HELP = `Usage: hashwatt agent status --config <agent.yaml> [--json]

Shows what the agent using this config last did: the last poll (miner counts,
kW, hashrate), the broker connection, the outbox depth and the curtailment
control in force. Reads <dataDir>/status.json, so it works while the agent
runs as another process.

Options:
  --config <path>  agent config file
  --json           print the raw status document
  -h, --help       show this help`;

function ago(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s ago` : `${Math.round(s / 60)} min ago`;
}

export function formatStatus(s: AgentStatus, now = Date.now()): string {
  const p = s.lastPoll;
  const c = s.control;
  const lines = [
    `agent ${s.site}/${s.agent}  session ${s.session}  pid ${s.pid}  ${s.running ? 'running' : 'stopped'}  (updated ${ago(now - s.updatedAt)})`,
    `broker      ${s.broker.url}  ${s.broker.connected ? 'connected' : `DISCONNECTED${s.broker.lastError ? ` (${s.broker.lastError})` : ''}`}  reconnects ${Math.max(0, s.broker.connects - 1)}`,
    `collector   ${s.collectorOnline === null ? 'unknown' : s.collectorOnline ? 'online' : 'OFFLINE'}`,
    p
      ? `last poll   ${new Date(p.ts).toISOString()}  ${p.durationMs} ms  miners ${p.counts.total} (hashing ${p.counts.hashing}, idle ${p.counts.idle}, sleeping ${p.counts.sleeping}, offline ${p.counts.offline}, error ${p.counts.error})`
      : 'last poll   none yet',
    ...(p ? [`power       meter ${p.meterKw === null ? 'n/a' : `${p.meterKw} kW`}  miners ${p.minerKw} kW${p.estimatedKw ? ` (${p.estimatedKw} estimated)` : ''}  hashrate ${p.hashrateThs} TH/s`] : []),
    `polls       ${s.polls.cycles} cycles, ${s.polls.overruns} overruns`,
    `outbox      ${s.outbox.rows} messages, ${s.outbox.bytes} bytes${s.outbox.oldestAt ? `, oldest ${ago(now - s.outbox.oldestAt)}` : ''}; dropped ${s.outbox.droppedSample} samples, ${s.outbox.droppedDetail} detail`,
    c.revision === null
      ? 'control     none'
      : `control     revision ${c.revision} ${c.mode}  ${c.status}  miners asleep ${c.minersAsleep}${c.minersTargeted ? `  at a power target ${c.minersTargeted}` : ''}${c.targetKw !== null ? `  target ${c.targetKw} kW` : ''}${c.validUntil ? `  until ${new Date(c.validUntil).toISOString()}` : ''}`,
  ];
  return lines.join('\n');
}

export const command: Command = {
  path: ['agent', 'status'],
  summary: "Show a running agent's last poll, broker link, outbox and control",
  help: HELP,
  async run(argv) {
    const { values } = parseCommandArgs(argv, { config: { type: 'string', short: 'c' }, json: { type: 'boolean' } }, false);
    if (!values.config) throw new AppError('USAGE', 'missing --config <agent.yaml> (see hashwatt agent status --help)');
    const config = loadConfigFile(values.config, AgentConfigSchema);
    let status: AgentStatus;
    try {
      status = readStatusFile(config.dataDir);
    } catch (err) {
      process.stderr.write(`hashwatt: ${(err as Error).message}\n`);
      return EXIT.FAILURE;
    }
    process.stdout.write(`${values.json ? JSON.stringify(status, null, 2) : formatStatus(status)}\n`);
    return EXIT.OK;
  },
};
