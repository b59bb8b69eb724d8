import { EXIT, type Command } from '../../shared/cli/command.js';

export const command: Command = {
  path: ['demo'],
  summary: 'Run the demo: collector, embedded broker, emulated fleet, dashboard',
  help: `Usage: hashwatt demo

Runs the collector with an embedded broker and SQLite, an emulated fleet and
the dashboard. Not available yet: the demo arrives with the collector.`,
  async run() {
    process.stderr.write('hashwatt demo: not available yet — the demo arrives with the collector (see the open issues).\n');
    return EXIT.FAILURE;
  },
};
