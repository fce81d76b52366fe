-- 002_pause.sql — jobs may be paused (POST /v1/jobs/{id}/pause) and
-- resumed for a number of epochs (POST /v1/jobs/{id}/resume).
-- SQLite cannot widen a CHECK in place, so jobs is rebuilt. Dropping it
-- would delete every history row through ON DELETE CASCADE (foreign keys
-- are on, and cannot be switched off inside the migration's transaction),
-- so history is rebuilt first, pointing at the new table; the renames at
-- the end carry that reference over to the final name.

CREATE TABLE jobs_new (
    id               TEXT PRIMARY KEY,
    model_id         TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    dataset_id       TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    params           TEXT NOT NULL,   -- JSON: validated parameters, seed filled in
    status           TEXT NOT NULL CHECK (status IN
                         ('queued', 'running', 'paused', 'succeeded', 'failed',
                          'cancelled')),
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    epoch            INTEGER NOT NULL DEFAULT 0,
    epochs           INTEGER NOT NULL,
    loss             REAL,
    val_loss         REAL,
    accuracy         REAL,
    val_accuracy     REAL,
    converged        INTEGER,
    error            TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    checkpoint       BLOB,            -- libnn trainer checkpoint of `epoch`
    created_at       TEXT NOT NULL,
    started_at       TEXT,
    finished_at      TEXT,
    pause_requested  INTEGER NOT NULL DEFAULT 0,
    pause_at         INTEGER          -- pause once this epoch is done, or NULL
);
INSERT INTO jobs_new (id, model_id, dataset_id, params, status,
                      cancel_requested, epoch, epochs, loss, val_loss,
                      accuracy, val_accuracy, converged, error, attempts,
                      checkpoint, created_at, started_at, finished_at)
    SELECT id, model_id, dataset_id, params, status, cancel_requested, epoch,
           epochs, loss, val_loss, accuracy, val_accuracy, converged, error,
           attempts, checkpoint, created_at, started_at, finished_at
    FROM jobs ORDER BY rowid;

CREATE TABLE history_new (
    job_id       TEXT NOT NULL REFERENCES jobs_new(id) ON DELETE CASCADE,
    epoch        INTEGER NOT NULL,
    loss         REAL,
    val_loss     REAL,
    accuracy     REAL,
    val_accuracy REAL,
    elapsed_ms   REAL NOT NULL,
    mistakes     INTEGER,
    PRIMARY KEY (job_id, epoch)
) WITHOUT ROWID;
INSERT INTO history_new SELECT job_id, epoch, loss, val_loss, accuracy,
                               val_accuracy, elapsed_ms, mistakes
    FROM history;

DROP TABLE history;
DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;
ALTER TABLE history_new RENAME TO history;
CREATE INDEX jobs_by_status ON jobs (status);
CREATE INDEX jobs_by_model ON jobs (model_id, status);
