-- 004_users.sql — accounts: users, managed by an administrator
-- (`neurond user add`, POST /v1/admin/users), and their bearer tokens.
-- A token is stored only as the SHA-256 of its text: the text is shown
-- once, when it is made, and cannot be read back from the database.

CREATE TABLE users (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    admin      INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1)),
    created_at TEXT NOT NULL
);

CREATE TABLE tokens (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    hash       BLOB NOT NULL UNIQUE,   -- SHA-256 of the token's text
    created_at TEXT NOT NULL,
    expires_at INTEGER,                -- Unix seconds, or NULL: never
    revoked_at TEXT                    -- set once by a revoke, else NULL
);
CREATE INDEX tokens_by_user ON tokens (user_id);
