-- 001_init.sql — datasets, models, training jobs and their history
-- (PostgreSQL; the same tables as migrations/sqlite/001_init.sql, whose
-- comments explain the columns). Integers are BIGINT, floats DOUBLE
-- PRECISION, blobs BYTEA; floats are little-endian IEEE-754 binary32 in
-- the blobs, as on SQLite.

CREATE TABLE datasets (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    rows          BIGINT NOT NULL,
    input_dim     BIGINT NOT NULL,
    output_dim    BIGINT NOT NULL,
    target_dim    BIGINT NOT NULL,
    task          TEXT NOT NULL CHECK (task IN ('classification', 'regression')),
    classes       TEXT NOT NULL,
    feature_names TEXT NOT NULL,
    target_names  TEXT NOT NULL,
    stats         TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    source        TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    uploading     TEXT
);
CREATE INDEX datasets_by_created ON datasets (created_at, id);
CREATE INDEX datasets_uploading ON datasets (uploading)
    WHERE uploading IS NOT NULL;

CREATE TABLE dataset_chunks (
    dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    first_row  BIGINT NOT NULL,
    rows       BIGINT NOT NULL,
    x          BYTEA NOT NULL,
    y          BYTEA NOT NULL,
    UNIQUE (dataset_id, seq)
);

CREATE TABLE models (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    type        TEXT NOT NULL CHECK (type IN ('mlp', 'perceptron')),
    definition  TEXT NOT NULL,
    parameters  BIGINT NOT NULL,
    trained     BIGINT NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    blob        BYTEA NOT NULL
);

CREATE TABLE jobs (
    id               TEXT PRIMARY KEY,
    model_id         TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    dataset_id       TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    params           TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN
                         ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    cancel_requested BIGINT NOT NULL DEFAULT 0,
    epoch            BIGINT NOT NULL DEFAULT 0,
    epochs           BIGINT NOT NULL,
    loss             DOUBLE PRECISION,
    val_loss         DOUBLE PRECISION,
    accuracy         DOUBLE PRECISION,
    val_accuracy     DOUBLE PRECISION,
    converged        BIGINT,
    error            TEXT,
    attempts         BIGINT NOT NULL DEFAULT 0,
    checkpoint       BYTEA,
    created_at       TEXT NOT NULL,
    started_at       TEXT,
    finished_at      TEXT
);
CREATE INDEX jobs_by_status ON jobs (status);
CREATE INDEX jobs_by_model ON jobs (model_id, status);

CREATE TABLE history (
    job_id       TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    epoch        BIGINT NOT NULL,
    loss         DOUBLE PRECISION,
    val_loss     DOUBLE PRECISION,
    accuracy     DOUBLE PRECISION,
    val_accuracy DOUBLE PRECISION,
    elapsed_ms   DOUBLE PRECISION NOT NULL,
    mistakes     BIGINT,
    PRIMARY KEY (job_id, epoch)
);
