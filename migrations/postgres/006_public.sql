-- 006_public.sql — datasets and models may be public (as SQLite's).

ALTER TABLE datasets ADD COLUMN public BIGINT NOT NULL DEFAULT 0
    CHECK (public IN (0, 1));
ALTER TABLE models ADD COLUMN public BIGINT NOT NULL DEFAULT 0
    CHECK (public IN (0, 1));
CREATE INDEX datasets_public ON datasets (public) WHERE public = 1;
CREATE INDEX models_public ON models (public) WHERE public = 1;
