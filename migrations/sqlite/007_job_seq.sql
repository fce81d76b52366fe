-- 007_job_seq.sql — the queue's order in a column of its own, so that
-- SQLite and PostgreSQL share the queue's SQL (PostgreSQL has no rowid):
-- jobs.seq, one more than the highest so far, set by the INSERT under the
-- writer lock (BEGIN IMMEDIATE). Existing jobs keep their rowid order.
-- SQLite cannot add a NOT NULL column without a default; every INSERT
-- sets it, and the UNIQUE index refuses a duplicate.
ALTER TABLE jobs ADD COLUMN seq INTEGER;
UPDATE jobs SET seq = rowid;
CREATE UNIQUE INDEX jobs_by_seq ON jobs (seq);
