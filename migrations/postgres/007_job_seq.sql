-- 007_job_seq.sql — the queue's order in a column of its own: jobs.seq,
-- one more than the highest so far, set by the INSERT under the writer
-- lock (as SQLite's 007, which numbers the existing jobs by rowid).
ALTER TABLE jobs ADD COLUMN seq BIGINT;
UPDATE jobs SET seq = n FROM (SELECT id AS jid,
    row_number() OVER (ORDER BY created_at, id) AS n FROM jobs) AS o
    WHERE jobs.id = o.jid;
ALTER TABLE jobs ALTER COLUMN seq SET NOT NULL;
CREATE UNIQUE INDEX jobs_by_seq ON jobs (seq);
