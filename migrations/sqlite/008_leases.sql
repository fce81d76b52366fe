-- 008_leases.sql — jobs on many nodes (a cluster on one database): the
-- node that runs a job, its lease and the claims made of it.
-- node: the --node-name of the node that claimed the job last (kept once
-- the job ends). lease_until: milliseconds since 1970 (the claiming node's
-- clock) until which the claim holds; the node renews it while it trains,
-- and once it has passed any node may queue the job again to resume it.
-- lease_token: one more at each claim; every write a worker makes for the
-- job carries the token it claimed with, so a node that lost its lease
-- writes nothing after another has claimed the job (fencing).
ALTER TABLE jobs ADD COLUMN node TEXT;
ALTER TABLE jobs ADD COLUMN lease_until INTEGER;
ALTER TABLE jobs ADD COLUMN lease_token INTEGER NOT NULL DEFAULT 0;
CREATE INDEX jobs_by_lease ON jobs (status, lease_until);

-- One row per claim: which node took the job, with which token, when; so
-- that "each job ran exactly once" can be checked from what was recorded.
CREATE TABLE claims (
    job_id     TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    token      INTEGER NOT NULL,
    node       TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    PRIMARY KEY (job_id, token)
);
