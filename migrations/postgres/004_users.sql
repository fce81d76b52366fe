-- 004_users.sql — accounts and their bearer tokens (as SQLite's: a token
-- is stored only as the SHA-256 of its text).

CREATE TABLE users (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    admin      BIGINT NOT NULL DEFAULT 0 CHECK (admin IN (0, 1)),
    created_at TEXT NOT NULL
);

CREATE TABLE tokens (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    hash       BYTEA NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at BIGINT,
    revoked_at TEXT
);
CREATE INDEX tokens_by_user ON tokens (user_id);
