/**
 * Numbered migrations: migration N brings the schema from user_version N-1 to N.
 * Never edit a released migration; add the next one.
 *
 * Shaped for the reference load of docs/operations.md#sizing (10,000 sites, 1,000,000 miners): rows are keyed by small
 * integer ids, hot tables are WITHOUT ROWID on their natural key, per-miner detail
 * is the latest message per agent and part (latest state, not history), and raw samples are
 * trimmed by retention while 1-minute and 1-hour rollups keep the long view.
 */
export const MIGRATIONS: readonly string[] = [
  /* 1 */ `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

  CREATE TABLE sites (
    id INTEGER PRIMARY KEY,
    site TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    region TEXT NOT NULL DEFAULT 'default',
    company TEXT NOT NULL DEFAULT '',
    registered INTEGER NOT NULL DEFAULT 0,
    allocation_kw REAL NOT NULL DEFAULT 0,
    hard_cap_kw REAL,
    tariff_per_kwh REAL NOT NULL DEFAULT 0,
    tier INTEGER NOT NULL DEFAULT 1,
    auto_enforce INTEGER,
    -- set when an unknown site reported: grey miners are visible, never silently ignored
    flagged INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );

  CREATE TABLE agents (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES sites(id),
    agent TEXT NOT NULL,
    online INTEGER NOT NULL DEFAULT 0,
    session INTEGER,
    state_ts INTEGER,
    birth TEXT,
    last_seen INTEGER,
    -- latest non-historical sample of this agent: the "current" view
    sample_ts INTEGER,
    meter_kw REAL, meter_kwh REAL, miner_kw REAL, hashrate_ths REAL,
    hashing INTEGER, idle INTEGER, sleeping INTEGER, offline INTEGER, error INTEGER, total INTEGER,
    revision INTEGER,
    UNIQUE (site_id, agent)
  );

  CREATE TABLE agent_sessions (
    agent_id INTEGER NOT NULL,
    session INTEGER NOT NULL,
    acked_seq INTEGER NOT NULL,
    PRIMARY KEY (agent_id, session)
  ) WITHOUT ROWID;

  -- The idempotency key of docs/protocol.md (sessions and acknowledgements): UNIQUE(agent, session, seq); the agent id is per site+agent.
  CREATE TABLE telemetry_log (
    agent_id INTEGER NOT NULL,
    session INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (agent_id, session, seq)
  ) WITHOUT ROWID;
  CREATE INDEX telemetry_log_received ON telemetry_log (received_at);

  CREATE TABLE telemetry_gaps (
    id INTEGER PRIMARY KEY,
    agent_id INTEGER NOT NULL,
    session INTEGER NOT NULL,
    from_seq INTEGER NOT NULL,
    to_seq INTEGER NOT NULL,
    detected_at INTEGER NOT NULL
  );

  CREATE TABLE samples (
    site_id INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    agent_id INTEGER NOT NULL,
    meter_kw REAL, meter_kwh REAL, miner_kw REAL NOT NULL, estimated_kw REAL,
    hashing INTEGER NOT NULL, idle INTEGER NOT NULL, sleeping INTEGER NOT NULL,
    offline INTEGER NOT NULL, error INTEGER NOT NULL, total INTEGER NOT NULL,
    hashrate_ths REAL NOT NULL,
    revision INTEGER,
    historical INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (site_id, ts, agent_id)
  ) WITHOUT ROWID;

  CREATE TABLE miners (
    site_id INTEGER NOT NULL,
    miner TEXT NOT NULL,
    agent_id INTEGER NOT NULL,
    model TEXT NOT NULL, firmware TEXT NOT NULL, state TEXT NOT NULL,
    w REAL, power_source TEXT, ths REAL NOT NULL, jth REAL, temp_c REAL,
    asleep_by_agent INTEGER,
    ts INTEGER NOT NULL,
    PRIMARY KEY (site_id, miner)
  ) WITHOUT ROWID;

  CREATE TABLE rollup_1m (
    site_id INTEGER NOT NULL, bucket INTEGER NOT NULL,
    kw_avg REAL NOT NULL, kw_max REAL NOT NULL, miner_kw_avg REAL NOT NULL, ths_avg REAL NOT NULL,
    meter_kwh_min REAL, meter_kwh_max REAL, n INTEGER NOT NULL,
    PRIMARY KEY (site_id, bucket)
  ) WITHOUT ROWID;
  CREATE TABLE rollup_1h (
    site_id INTEGER NOT NULL, bucket INTEGER NOT NULL,
    kw_avg REAL NOT NULL, kw_max REAL NOT NULL, miner_kw_avg REAL NOT NULL, ths_avg REAL NOT NULL,
    meter_kwh_min REAL, meter_kwh_max REAL, n INTEGER NOT NULL,
    PRIMARY KEY (site_id, bucket)
  ) WITHOUT ROWID;

  CREATE TABLE energy_daily (
    site_id INTEGER NOT NULL,
    day TEXT NOT NULL,
    kwh REAL NOT NULL,
    source TEXT NOT NULL,
    minutes INTEGER NOT NULL,
    PRIMARY KEY (site_id, day)
  ) WITHOUT ROWID;

  CREATE TABLE events (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    value REAL,
    scope TEXT NOT NULL,
    start_ts INTEGER NOT NULL,
    end_ts INTEGER NOT NULL,
    priority TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    requested_kw REAL NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    ended_at INTEGER
  );
  CREATE INDEX events_status ON events (status);

  CREATE TABLE event_targets (
    event_id TEXT NOT NULL,
    site_id INTEGER NOT NULL,
    state TEXT NOT NULL,
    mode TEXT NOT NULL,
    value REAL,
    target_kw REAL,
    baseline_kw REAL NOT NULL,
    shed_kw REAL NOT NULL,
    revision INTEGER,
    achieved_kw REAL,
    detail TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (event_id, site_id)
  ) WITHOUT ROWID;
  CREATE INDEX event_targets_site ON event_targets (site_id);

  -- the effective control last published per site (retained on the broker as well)
  CREATE TABLE controls (
    site_id INTEGER PRIMARY KEY,
    revision INTEGER NOT NULL,
    payload TEXT NOT NULL,
    published_at INTEGER
  );

  CREATE TABLE control_reports (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL,
    agent_id INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    detail TEXT,
    achieved_kw REAL,
    target_kw REAL,
    ts INTEGER NOT NULL,
    received_at INTEGER NOT NULL
  );
  CREATE INDEX control_reports_site ON control_reports (site_id, revision);

  CREATE TABLE violations (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL,
    opened_at INTEGER NOT NULL,
    closed_at INTEGER,
    allocation_kw REAL NOT NULL,
    threshold_kw REAL NOT NULL,
    peak_kw REAL NOT NULL,
    energy_over_kwh REAL NOT NULL,
    enforced_revision INTEGER
  );
  CREATE INDEX violations_site ON violations (site_id, opened_at);
  `,
  /* 2: hourly rollups carry their energy, so a day sums 24 rows instead of 1,440 */ `
  ALTER TABLE rollup_1h ADD COLUMN kwh REAL NOT NULL DEFAULT 0;
  ALTER TABLE rollup_1h ADD COLUMN minutes INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE rollup_1h ADD COLUMN metered_minutes INTEGER NOT NULL DEFAULT 0;
  `,
  /* 3: alerts as data (server/alerts); at most one open alert per kind, site and agent */ `
  CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    site_id INTEGER NOT NULL REFERENCES sites(id),
    agent_id INTEGER REFERENCES agents(id),
    opened_at INTEGER NOT NULL,
    closed_at INTEGER,
    details TEXT NOT NULL
  );
  CREATE UNIQUE INDEX alerts_open ON alerts (kind, site_id, COALESCE(agent_id, 0)) WHERE closed_at IS NULL;
  CREATE INDEX alerts_opened ON alerts (opened_at);
  -- the telemetry_gap rule reads the gaps of the last hour
  CREATE INDEX telemetry_gaps_detected ON telemetry_gaps (detected_at);
  `,
  /* 4: per-miner detail kept as received, one row per agent and detail part instead of one
     upsert per miner: at 1,000,000 miners the per-miner upserts were the largest cost of
     ingest (the saturation rate rose from ~7,600 to ~10,000 messages/s). Readers merge a
     site's parts, newest per miner. Old rows move over grouped by their time, under
     negative part numbers that live parts (0, 1, …) never overwrite. */ `
  CREATE TABLE miner_detail (
    site_id INTEGER NOT NULL,
    agent_id INTEGER NOT NULL,
    part INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    -- the validated telemetry message that carried this part; its "miners" array is the detail
    body TEXT NOT NULL,
    PRIMARY KEY (site_id, agent_id, part)
  ) WITHOUT ROWID;
  INSERT INTO miner_detail (site_id, agent_id, part, ts, body)
    SELECT site_id, agent_id, -ROW_NUMBER() OVER (PARTITION BY site_id, agent_id ORDER BY ts DESC), ts, json_object('miners', json(miners))
    FROM (
      SELECT site_id, agent_id, ts, json_group_array(json_object(
        'id', miner, 'model', model, 'firmware', firmware, 'state', state, 'w', w, 'powerSource', power_source,
        'ths', ths, 'jth', jth, 'tempC', temp_c,
        'asleepByAgent', CASE asleep_by_agent WHEN 1 THEN json('true') WHEN 0 THEN json('false') END)) AS miners
      FROM miners GROUP BY site_id, agent_id, ts
    );
  DROP TABLE miners;
  `,
  /* 5: control reports carry their seq in the agent's telemetry sequence */ `
  -- Control reports ride in the agent's telemetry sequence (issue 13): replayed until
  -- acked, so a redelivered one must be stored once.
  ALTER TABLE control_reports ADD COLUMN session INTEGER;
  ALTER TABLE control_reports ADD COLUMN seq INTEGER;
  CREATE UNIQUE INDEX control_reports_seq ON control_reports (agent_id, session, seq) WHERE seq IS NOT NULL;
  `,
  /* issue 14: effective-dated site terms (allocation, hard cap, tariff from a time on: a
     change never rewrites past fees), the location an unknown site declared in its birth,
     and companies (farm owners) with a cap across their sites. The terms a site had are
     seeded as in force since the epoch, so existing fees stay as they were. */ `
  CREATE TABLE site_terms (
    site_id INTEGER NOT NULL REFERENCES sites(id),
    effective_from INTEGER NOT NULL,
    allocation_kw REAL NOT NULL,
    hard_cap_kw REAL,
    tariff_per_kwh REAL NOT NULL,
    changed_at INTEGER NOT NULL,
    PRIMARY KEY (site_id, effective_from)
  ) WITHOUT ROWID;
  CREATE INDEX site_terms_from ON site_terms (effective_from);
  INSERT INTO site_terms (site_id, effective_from, allocation_kw, hard_cap_kw, tariff_per_kwh, changed_at)
    SELECT id, 0, allocation_kw, hard_cap_kw, tariff_per_kwh, updated_at FROM sites;
  -- region (and coordinates) as the site's agent declared them, not verified by a person
  ALTER TABLE sites ADD COLUMN region_declared INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE sites ADD COLUMN latitude REAL;
  ALTER TABLE sites ADD COLUMN longitude REAL;

  -- machines hashing when a sleep_count target was planned (shown as baselineMachines)
  ALTER TABLE event_targets ADD COLUMN baseline_hashing INTEGER;

  CREATE TABLE companies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    allocation_kw REAL NOT NULL DEFAULT 0,
    hard_cap_kw REAL,
    auto_limit INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE company_violations (
    id INTEGER PRIMARY KEY,
    company TEXT NOT NULL,
    opened_at INTEGER NOT NULL,
    closed_at INTEGER,
    cap_kw REAL NOT NULL,
    peak_kw REAL NOT NULL,
    sites TEXT NOT NULL
  );
  CREATE INDEX company_violations_company ON company_violations (company, opened_at);
  `,
  /* 7: accountability (issue 15). Named users with roles and hashed tokens, dashboard
     sessions, the append-only audit log (triggers refuse UPDATE and DELETE), the webhook
     delivery queue, and alerts that may belong to no site (a failing webhook target):
     alerts is rebuilt because SQLite cannot drop a NOT NULL. */ `
  CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    -- scrypt$N$r$p$salt$hash (server/auth/password-hash.ts); NULL: token-only account
    password_hash TEXT,
    disabled_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE user_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    label TEXT NOT NULL,
    -- sha256 of the token: the token itself is shown once and never stored
    sha256 TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER
  );
  CREATE INDEX user_tokens_user ON user_tokens (user_id);
  CREATE TABLE user_sessions (
    sha256 TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    ip TEXT
  ) WITHOUT ROWID;

  CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    ts INTEGER NOT NULL,
    -- user | service | compliance | cli | system
    actor_kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    ip TEXT,
    action TEXT NOT NULL,
    site TEXT,
    target TEXT,
    before TEXT,
    after TEXT
  );
  CREATE INDEX audit_log_ts ON audit_log (ts);
  CREATE INDEX audit_log_site ON audit_log (site, ts);
  CREATE INDEX audit_log_actor ON audit_log (actor, ts);
  CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
  CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

  CREATE TABLE webhook_queue (
    id INTEGER PRIMARY KEY,
    target TEXT NOT NULL,
    type TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT
  );
  CREATE INDEX webhook_queue_due ON webhook_queue (target, id);

  CREATE TABLE alerts_new (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    site_id INTEGER REFERENCES sites(id),
    agent_id INTEGER REFERENCES agents(id),
    -- what the alert is about when it is no site: the webhook target's name
    subject TEXT,
    opened_at INTEGER NOT NULL,
    closed_at INTEGER,
    details TEXT NOT NULL
  );
  INSERT INTO alerts_new (id, kind, site_id, agent_id, opened_at, closed_at, details) SELECT id, kind, site_id, agent_id, opened_at, closed_at, details FROM alerts;
  DROP TABLE alerts;
  ALTER TABLE alerts_new RENAME TO alerts;
  CREATE UNIQUE INDEX alerts_open ON alerts (kind, COALESCE(site_id, 0), COALESCE(agent_id, 0), COALESCE(subject, '')) WHERE closed_at IS NULL;
  CREATE INDEX alerts_opened ON alerts (opened_at);
  `,
  /* 8: OpenADR 3 VEN (issue 19) */ `
  -- Where an event came from when no person created it: {"kind":"openadr","ven":…,"program":…,"vtnEventId":…,"intervalId":…}.
  ALTER TABLE events ADD COLUMN source TEXT;
  -- Each OpenADR event interval and the hashwatt event carrying it out; modification is the VTN's
  -- modificationDateTime, so a poll that sees the same one changes nothing.
  CREATE TABLE openadr_links (
    vtn_event_id TEXT NOT NULL,
    interval_id INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    program_id TEXT NOT NULL,
    modification TEXT NOT NULL,
    start_ts INTEGER NOT NULL,
    end_ts INTEGER NOT NULL,
    resources TEXT NOT NULL,
    report_types TEXT NOT NULL,
    -- the event's reportDescriptors asked for one report over all its resources (AGGREGATED_REPORT)
    aggregate INTEGER NOT NULL DEFAULT 0,
    -- set once a target of the event was seen holding or confirmed: OPERATING_STATE of its report
    curtailed INTEGER NOT NULL DEFAULT 0,
    reported INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (vtn_event_id, interval_id, event_id)
  ) WITHOUT ROWID;
  -- Reports waiting for the VTN: kept until it answers 2xx, so a VTN that is down loses none.
  CREATE TABLE openadr_outbox (
    id INTEGER PRIMARY KEY,
    vtn_event_id TEXT NOT NULL,
    interval_id INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL,
    last_error TEXT,
    sent_at INTEGER,
    -- the VTN refused it for good (a 4xx other than 401/408/429): kept for the record, not retried
    refused_at INTEGER
  );
  CREATE INDEX openadr_outbox_due ON openadr_outbox (next_at) WHERE sent_at IS NULL AND refused_at IS NULL;
  `,
  /* 9: curtailment level per event, and what each site was asked and kept (issue 17) */ `
  -- sleep, power_target or auto (power target where the site's agents announce it, sleep on emergency)
  ALTER TABLE events ADD COLUMN level TEXT NOT NULL DEFAULT 'sleep';
  -- the level the site's agents were sent (after auto and the births), and its hashrate when planned
  ALTER TABLE event_targets ADD COLUMN level TEXT;
  ALTER TABLE event_targets ADD COLUMN baseline_ths REAL;
  `,
  /* 10: when the broker acknowledged each site's control, in a narrow row of its own (issue 20) */ `
  -- Recording a fan-out's PUBACKs rewrote each control's row (its ~1 kB payload) into the WAL
  -- once more; a row of three integers per site is a few bytes. A control is published when this
  -- row holds its revision.
  CREATE TABLE control_publications (
    site_id INTEGER PRIMARY KEY,
    revision INTEGER NOT NULL,
    published_at INTEGER NOT NULL
  );
  INSERT INTO control_publications (site_id, revision, published_at)
    SELECT site_id, revision, published_at FROM controls WHERE published_at IS NOT NULL;
  ALTER TABLE controls DROP COLUMN published_at;
  `,
];
