-- 001_init.sql — datasets, models, training jobs and their history.
-- Floats are little-endian IEEE-754 binary32 in BLOBs; JSON columns hold
-- text that only the server reads (the core never sees JSON or SQL).

CREATE TABLE datasets (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    rows          INTEGER NOT NULL,
    input_dim     INTEGER NOT NULL,
    output_dim    INTEGER NOT NULL,   -- classes for classification
    target_dim    INTEGER NOT NULL,   -- stored target columns per row
    task          TEXT NOT NULL CHECK (task IN ('classification', 'regression')),
    classes       TEXT NOT NULL,      -- JSON array of class names
    feature_names TEXT NOT NULL,      -- JSON array
    target_names  TEXT NOT NULL,      -- JSON array
    stats         TEXT NOT NULL,      -- JSON array of {min, max, mean, std}
    sha256        TEXT NOT NULL,      -- of the stored X then Y floats
    source        TEXT NOT NULL,      -- json | csv | generator
    created_at    TEXT NOT NULL,      -- when the upload finished
    -- NULL once the dataset is complete; while its rows are still being
    -- written, the boot ID of the neurond process writing them. Such a row
    -- is invisible to the API, and one left by an earlier process (a crash
    -- mid-upload) is swept away by the next upload.
    uploading     TEXT
);
CREATE INDEX datasets_by_created ON datasets (created_at, id);
CREATE INDEX datasets_uploading ON datasets (uploading)
    WHERE uploading IS NOT NULL;

-- Rows in chunks of about 1 MiB, so a large upload never needs one huge
-- write and a reader can assemble the float32 matrix without copies.
-- For classification y holds the class index of each row.
CREATE TABLE dataset_chunks (
    dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    first_row  INTEGER NOT NULL,
    rows       INTEGER NOT NULL,
    x          BLOB NOT NULL,
    y          BLOB NOT NULL,
    UNIQUE (dataset_id, seq)
);

CREATE TABLE models (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    type        TEXT NOT NULL CHECK (type IN ('mlp', 'perceptron')),
    definition  TEXT NOT NULL,   -- JSON: the validated definition
    parameters  INTEGER NOT NULL,
    trained     INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    -- Last: a column after a large BLOB is only reached by reading the
    -- BLOB's whole overflow chain, so lists would read every model's weights.
    blob        BLOB NOT NULL    -- libnn model format: weights, normalisation, classes
);

CREATE TABLE jobs (
    id               TEXT PRIMARY KEY,
    model_id         TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    dataset_id       TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    params           TEXT NOT NULL,   -- JSON: validated parameters, seed filled in
    status           TEXT NOT NULL CHECK (status IN
                         ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
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
    finished_at      TEXT
);
CREATE INDEX jobs_by_status ON jobs (status);
CREATE INDEX jobs_by_model ON jobs (model_id, status);

CREATE TABLE history (
    job_id       TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    epoch        INTEGER NOT NULL,
    loss         REAL,
    val_loss     REAL,
    accuracy     REAL,
    val_accuracy REAL,
    elapsed_ms   REAL NOT NULL,
    mistakes     INTEGER,
    PRIMARY KEY (job_id, epoch)
) WITHOUT ROWID;
