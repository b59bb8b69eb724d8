import type { RunningDemo } from './start-demo.js';

const kw = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(2)} MW` : `${x.toFixed(1)} kW`);

/** What the demo prints once it runs: where to look, how to sign in, what to try. */
export function demoGuide(demo: Pick<RunningDemo, 'dashboardUrl' | 'brokerUrl' | 'dataDir' | 'tokens' | 'sites' | 'moved'>): string {
  const over = demo.sites.find((s) => s.role === 'over-allocation');
  const grey = demo.sites.find((s) => s.role === 'unregistered');
  const total = demo.sites.reduce((a, s) => a + s.drawKw, 0);
  // A quarter of the fleet: more than the grey site alone, so registered sites shed too.
  const suggestKw = Math.max(1, Math.round(total / 4 / 10) * 10);
  const lines = [
    '',
    `  Dashboard   ${demo.dashboardUrl}`,
    `  API         ${demo.dashboardUrl}api/v1/openapi.json`,
    `  MQTT        ${demo.brokerUrl}`,
    `  Data        ${demo.dataDir}`,
    ...demo.moved.map((m) => `  Note        port ${m.wanted} (${m.what}) is taken on this machine; using ${m.got} instead`),
    '',
    '  Sign in with one of these tokens (DEMO ONLY — random per data folder, never use them in production):',
    `    operator  ${demo.tokens.operator}`,
    `    viewer    ${demo.tokens.viewer}`,
    `    grid      ${demo.tokens.grid}`,
    `    admin     ${demo.tokens.admin}   (Users: create named users who sign in with a password)`,
    `  or open ${demo.dashboardUrl}#token=${demo.tokens.operator}`,
    '',
    '  Sites',
    ...demo.sites.map((s) => `    ${s.id.padEnd(14)} ${String(s.miners).padStart(5)} miners  ${kw(s.drawKw).padStart(10)}  ${s.role === 'unregistered' ? 'unregistered (grey)' : `allocation ${kw(s.allocationKw)}${s.role === 'over-allocation' ? '  ← over its allocation' : ''}`}`),
    '',
    '  Try this',
    '    1. Overview: total MW against allocation, one bar per site, live. Within a minute',
    `       ${over ? `${over.name} turns red: an over-allocation violation opens by itself.` : 'a site over its allocation turns red.'}`,
    `    2. ${grey ? `${grey.name} is grey: its agent reports, but nobody registered it.` : 'Unregistered sites show in purple.'}`,
    '    3. Open a site: kW chart with the allocation line, miners sortable by J/TH, power, temperature.',
    `    4. Curtailment: "Reduce by" ${suggestKw} kW on all sites, read the plan preview (grey sites first),`,
    '       start it, watch achieved MW rise as agents put the least efficient miners to sleep; then cancel.',
    '    5. Sign out and in with the viewer token: no curtail buttons. Energy & fees: CSV download.',
    '    6. With the admin token: Users (named users, passwords, tokens) and Audit (who did what).',
    '',
    '  Ctrl-C stops everything cleanly.',
    '',
  ];
  return `${lines.join('\n')}\n`;
}
