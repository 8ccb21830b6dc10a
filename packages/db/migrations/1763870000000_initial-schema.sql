-- Up Migration
-- Floodgate's schema. Writes go to the primary; the API reads from replicas.

-- Latest state per device. It only moves forward in event time (the worker's upsert
-- compares last_ts), so redelivered or out-of-order events never move it back.
CREATE TABLE devices (
  device_id      text PRIMARY KEY,
  last_event_id  uuid        NOT NULL,
  last_ts        timestamptz NOT NULL,
  metrics        jsonb       NOT NULL,
  payload        jsonb,
  first_seen_at  timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Every accepted event, partitioned by event time (monthly). A partitioned table's
-- unique key must contain the partition key, so the key is (device_id, event_id, ts):
-- a redelivered event carries the same ts, so redelivery never duplicates a reading.
CREATE TABLE readings (
  device_id    text        NOT NULL,
  event_id     uuid        NOT NULL,
  ts           timestamptz NOT NULL,
  metrics      jsonb       NOT NULL,
  payload      jsonb,
  ingested_at  timestamptz,
  stored_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (device_id, event_id, ts)
) PARTITION BY RANGE (ts);

-- History queries: one device, a time range, newest first, keyset pagination.
CREATE INDEX readings_device_ts_idx ON readings (device_id, ts DESC, event_id DESC);

-- Rows outside every monthly partition (very old backfills) land here, never lost.
CREATE TABLE readings_default PARTITION OF readings DEFAULT;

-- Creates the monthly partitions from `months_back` before to `months_ahead` after
-- the current month. Idempotent; run by the migration and by the worker at start-up
-- and daily, so future partitions are always ready before data arrives.
CREATE FUNCTION floodgate_ensure_reading_partitions(months_back int DEFAULT 1, months_ahead int DEFAULT 3)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  m date;
  created integer := 0;
  name text;
BEGIN
  FOR i IN -months_back..months_ahead LOOP
    m := (date_trunc('month', now()) + make_interval(months => i))::date;
    name := format('readings_%s', to_char(m, 'YYYY_MM'));
    IF to_regclass(name) IS NULL THEN
      EXECUTE format('CREATE TABLE %I PARTITION OF readings FOR VALUES FROM (%L) TO (%L)',
                     name, m, (m + interval '1 month')::date);
      created := created + 1;
    END IF;
  END LOOP;
  RETURN created;
END $$;

SELECT floodgate_ensure_reading_partitions();

-- Threshold rules. `levels` is an ascending list of {severity, threshold} for
-- direction 'above' (descending thresholds for 'below'); an alert escalates through
-- them and resolves when the value crosses clear_threshold (hysteresis).
CREATE TABLE alert_rules (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name             text        NOT NULL UNIQUE,
  metric           text        NOT NULL CHECK (metric ~ '^[a-z][a-z0-9_]{0,63}$'),
  direction        text        NOT NULL CHECK (direction IN ('above', 'below')),
  levels           jsonb       NOT NULL CHECK (jsonb_typeof(levels) = 'array' AND jsonb_array_length(levels) BETWEEN 1 AND 5),
  clear_threshold  double precision NOT NULL,
  device_selector  text,
  enabled          boolean     NOT NULL DEFAULT true,
  description      text,
  source           text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE alerts (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  rule_id          uuid        NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
  device_id        text        NOT NULL,
  metric           text        NOT NULL,
  status           text        NOT NULL CHECK (status IN ('open', 'resolved')),
  severity         text        NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  opened_at        timestamptz NOT NULL,
  resolved_at      timestamptz,
  last_value       double precision NOT NULL,
  peak_value       double precision NOT NULL,
  last_event_id    uuid        NOT NULL,
  last_event_ts    timestamptz NOT NULL,
  acknowledged_at  timestamptz,
  acknowledged_by  text,
  updated_at       timestamptz NOT NULL DEFAULT now()
);
-- At most one open alert per device and rule.
CREATE UNIQUE INDEX alerts_one_open_per_device_rule ON alerts (device_id, rule_id) WHERE status = 'open';
CREATE INDEX alerts_status_opened_idx ON alerts (status, opened_at DESC, id DESC);
CREATE INDEX alerts_device_opened_idx ON alerts (device_id, opened_at DESC, id DESC);
CREATE INDEX alerts_severity_opened_idx ON alerts (severity, opened_at DESC, id DESC);

-- Every transition of an alert (opened, escalated, resolved, acknowledged), in order.
CREATE TABLE alert_transitions (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  alert_id    uuid        NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
  kind        text        NOT NULL CHECK (kind IN ('opened', 'escalated', 'resolved', 'acknowledged')),
  severity    text        NOT NULL,
  value       double precision,
  event_id    uuid,
  at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_transitions_alert_idx ON alert_transitions (alert_id, id);
-- Replaying a reading never records the same transition twice.
CREATE UNIQUE INDEX alert_transitions_once_per_event ON alert_transitions (alert_id, kind, event_id) WHERE event_id IS NOT NULL;

-- API keys: only a SHA-256 of the (high-entropy, random) key is stored; the prefix
-- finds the row, the hash proves the key. Revoked keys keep their row for audit.
CREATE TABLE api_keys (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  prefix        text        NOT NULL UNIQUE,
  key_hash      text        NOT NULL,
  name          text        NOT NULL,
  subject       text        NOT NULL,
  role          text        NOT NULL CHECK (role IN ('device', 'gateway', 'viewer', 'operator', 'admin')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz,
  revoked_at    timestamptz,
  last_used_at  timestamptz
);

-- Down Migration
DROP TABLE api_keys;
DROP TABLE alert_transitions;
DROP TABLE alerts;
DROP TABLE alert_rules;
DROP FUNCTION floodgate_ensure_reading_partitions(int, int);
DROP TABLE readings;
DROP TABLE devices;
