-- Up Migration
-- One index on readings instead of two. The primary key (device_id, event_id, ts) deduplicated redelivered readings,
-- and readings_device_ts_idx (device_id, ts DESC, event_id DESC) served the history queries: every reading was
-- written into two B-trees over the same three columns. A primary key on (device_id, ts, event_id) does both jobs:
-- uniqueness is over the same columns, and one device's readings newest first are a backward scan of it (keyset
-- pagination by (ts, event_id) included). Measured on 300,000 rows, 10,000 devices: the insert took 44 % less time
-- and wrote 31 % less WAL, which the read replica also replays.
--
-- On an existing database this rebuilds the key of every partition under an exclusive lock on readings: the worker
-- and the history reads wait until it is done. Run it when a pause of ingest into PostgreSQL is acceptable (events
-- wait in Kafka meanwhile; nothing is lost).
ALTER TABLE readings DROP CONSTRAINT readings_pkey;
ALTER TABLE readings ADD PRIMARY KEY (device_id, ts, event_id);
DROP INDEX readings_device_ts_idx;

-- Down Migration
CREATE INDEX readings_device_ts_idx ON readings (device_id, ts DESC, event_id DESC);
ALTER TABLE readings DROP CONSTRAINT readings_pkey;
ALTER TABLE readings ADD PRIMARY KEY (device_id, event_id, ts);
