// The contract cases of the collector's repositories (events and controls, compliance,
// OpenADR, accounts, audit, webhook queue, alerts), each run on SQLite and on PostgreSQL.
import { accountCases } from './account-cases.js';
import { alertCases } from './alert-cases.js';
import { complianceCases } from './compliance-cases.js';
import { eventCases } from './event-cases.js';
import { openAdrCases } from './openadr-cases.js';
import { runStoreContract, type ContractContext } from './store-harness.js';
import { webhookQueueCases } from './webhook-queue-cases.js';

await runStoreContract([
  ...eventCases, ...complianceCases, ...openAdrCases, ...accountCases, ...webhookQueueCases,
  ...alertCases.map((c) => ({ name: c.name, run: (ctx: ContractContext) => c.run({ store: ctx.store, alerts: ctx.store.alerts }) })),
]);
