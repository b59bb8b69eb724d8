import type { StoreRepositories } from '../store-port.js';
import { createPgAlertRepository } from './pg-alert-repository.js';
import { createPgAuditRepository } from './pg-audit-repository.js';
import { createPgCompanyRepository } from './pg-company-repository.js';
import type { PgQueryable } from './pg-connect.js';
import { createPgEventRepository } from './pg-event-repository.js';
import { createPgOpenAdrRepository } from './pg-openadr-repository.js';
import { createPgUserRepository } from './pg-user-repository.js';
import { createPgViolationRepository } from './pg-violation-repository.js';
import { createPgWebhookQueueRepository } from './pg-webhook-queue-repository.js';

export type CollectorRepositories = Pick<StoreRepositories, 'events' | 'violations' | 'openadr' | 'companies' | 'users' | 'audit' | 'webhooks' | 'alerts'>;

/**
 * Events and controls, compliance, OpenADR, accounts, audit and the webhook queue on
 * PostgreSQL, over a pool or one transaction's connection: spread into createPgRepositories.
 */
export function createPgCollectorRepositories(sql: PgQueryable): CollectorRepositories {
  return {
    events: createPgEventRepository(sql),
    violations: createPgViolationRepository(sql),
    openadr: createPgOpenAdrRepository(sql),
    companies: createPgCompanyRepository(sql),
    users: createPgUserRepository(sql),
    audit: createPgAuditRepository(sql),
    webhooks: createPgWebhookQueueRepository(sql),
    alerts: createPgAlertRepository(sql),
  };
}
