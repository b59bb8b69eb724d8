import type { AlertRepository } from '../alert-repository.js';
import type { AuditRepository } from '../audit-repository.js';
import type { CompanyRepository } from '../company-repository.js';
import type { EventRepository } from '../event-repository.js';
import type { OpenAdrRepository } from '../openadr-repository.js';
import type { UserRepository } from '../user-repository.js';
import type { ViolationRepository } from '../violation-repository.js';
import type { WebhookQueueRepository } from '../webhook-queue-repository.js';
import type { AsyncOf } from '../postgres/pg-async-of.js';

/** What the collector repository cases need of a backend: the repositories, async, and a way to make a site. */
export interface CollectorCasesStore {
  events: AsyncOf<EventRepository>;
  violations: AsyncOf<ViolationRepository>;
  openadr: AsyncOf<OpenAdrRepository>;
  companies: AsyncOf<CompanyRepository>;
  users: AsyncOf<UserRepository>;
  audit: AsyncOf<AuditRepository>;
  webhooks: AsyncOf<WebhookQueueRepository>;
  alerts: AsyncOf<AlertRepository>;
  addSite(site: string): Promise<number>;
}

export interface ContractCase { name: string; run(store: CollectorCasesStore): Promise<void> }
