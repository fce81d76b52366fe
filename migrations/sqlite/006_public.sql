-- 006_public.sql — sharing for teaching: an owner (or an administrator)
-- marks a dataset or a model public (PATCH /v1/datasets/{id},
-- PATCH /v1/models/{id} with {"public": true}). Every user may then read
-- it, list it, predict with and evaluate it, export it and train copies
-- of it; only its owner and administrators may change or delete it.

ALTER TABLE datasets ADD COLUMN public INTEGER NOT NULL DEFAULT 0
    CHECK (public IN (0, 1));
ALTER TABLE models ADD COLUMN public INTEGER NOT NULL DEFAULT 0
    CHECK (public IN (0, 1));
CREATE INDEX datasets_public ON datasets (public) WHERE public = 1;
CREATE INDEX models_public ON models (public) WHERE public = 1;
