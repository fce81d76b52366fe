-- 003_pause.sql — jobs may be paused and resumed (as SQLite's). PostgreSQL
-- widens the CHECK in place, where SQLite rebuilds the table.
ALTER TABLE jobs DROP CONSTRAINT jobs_status_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_status_check CHECK (status IN
    ('queued', 'running', 'paused', 'succeeded', 'failed', 'cancelled'));
ALTER TABLE jobs ADD COLUMN pause_requested BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN pause_at BIGINT;
