import type { Command } from '../shared/cli/command.js';

export interface CommandEntry {
  path: readonly string[];
  summary: string;
  load: () => Promise<{ command: Command }>;
}

/**
 * Every CLI command, loaded lazily so `hashwatt --help` and a small command like
 * `keys generate` do not pay for the collector's or the emulator's imports.
 */
export const COMMANDS: readonly CommandEntry[] = [
  { path: ['keys', 'generate'], summary: 'Generate an Ed25519 key pair for signing curtailment controls', load: () => import('../shared/signing/keys-command.js') },
  { path: ['credentials', 'add-agent'], summary: 'Create an agent broker identity: password or client certificate, password-file line and ACL block', load: () => import('../shared/credentials/credentials-command.js').then((m) => ({ command: m.addAgentCommand })) },
  { path: ['credentials', 'add-collector'], summary: 'Create the collector broker identity: password or client certificate', load: () => import('../shared/credentials/credentials-command.js').then((m) => ({ command: m.addCollectorCommand })) },
  { path: ['demo'], summary: 'Run the demo: collector, embedded broker, emulated fleet, dashboard', load: () => import('../server/cli/demo-command.js') },
  { path: ['sim'], summary: 'Emulate a fleet of miners (real miner APIs on loopback), a site meter and ground truth', load: () => import('../sim/cli/sim-command.js') },
  { path: ['agent'], summary: 'Run the edge agent (poll miners and meter, report, curtail)', load: () => import('../agent/cli/agent-command.js') },
  { path: ['agent', 'status'], summary: "Show a running agent's last poll, broker link, outbox and control", load: () => import('../agent/cli/agent-status-command.js') },
  { path: ['meter', 'read'], summary: 'Read the site meter once (Modbus TCP) and print power and imported energy', load: () => import('../agent/drivers/meters/meter-read-command.js') },
  { path: ['probe'], summary: 'Read one miner and print its normalized reading', load: () => import('../agent/cli/probe-command.js') },
  { path: ['scan'], summary: 'Find and identify miners in address ranges', load: () => import('../agent/cli/scan-command.js') },
  { path: ['miner', 'sleep'], summary: 'Put miners to sleep and confirm it from read-back', load: () => import('../agent/cli/miner-command.js').then((m) => ({ command: m.sleepCommand })) },
  { path: ['miner', 'wake'], summary: 'Wake miners and confirm they hash again', load: () => import('../agent/cli/miner-command.js').then((m) => ({ command: m.wakeCommand })) },
  { path: ['miner', 'power-target'], summary: 'Set a power target on miners and confirm the power settles', load: () => import('../agent/cli/miner-command.js').then((m) => ({ command: m.powerTargetCommand })) },
  { path: ['collector'], summary: 'Run the collector (ingest, store, compliance, curtailment, HTTP API)', load: () => import('../server/cli/collector-command.js') },
  { path: ['conformance', 'agent'], summary: "Check an agent implementation against the protocol, playing the collector's side", load: () => import('../shared/conformance/conformance-command.js').then((m) => ({ command: m.agentConformanceCommand })) },
  { path: ['conformance', 'collector'], summary: "Check a collector implementation against the protocol, playing an agent's side", load: () => import('../shared/conformance/conformance-command.js').then((m) => ({ command: m.collectorConformanceCommand })) },
  { path: ['users'], summary: 'Manage named users, roles and API tokens in the collector database', load: () => import('../server/cli/users-command.js') },
  { path: ['collector', 'backup'], summary: 'Back up the collector database while it runs (SQLite online backup)', load: () => import('../server/cli/collector-backup-command.js') },
  { path: ['collector', 'migrate-store'], summary: 'Copy the collector SQLite database into a new PostgreSQL database', load: () => import('../server/cli/collector-migrate-store-command.js') },
];
