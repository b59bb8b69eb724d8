import { agentCases } from './agent-cases.js';
import { rollupCases } from './rollup-cases.js';
import { siteCases } from './site-cases.js';
import { runStoreContract } from './store-harness.js';
import { telemetryCases } from './telemetry-cases.js';
import { transactionCases } from './transaction-cases.js';

/**
 * The storage contract: every case runs on SQLite (temp dir) and on PostgreSQL
 * (a fresh database), through the port only. A backend passes when it behaves
 * as the other does.
 */
await runStoreContract([...transactionCases, ...siteCases, ...agentCases, ...telemetryCases, ...rollupCases]);
