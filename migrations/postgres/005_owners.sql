-- 005_owners.sql — every dataset, model and job has an owner (as SQLite's).

ALTER TABLE datasets ADD COLUMN owner TEXT REFERENCES users(id);
ALTER TABLE models ADD COLUMN owner TEXT REFERENCES users(id);
ALTER TABLE jobs ADD COLUMN owner TEXT REFERENCES users(id);
CREATE INDEX datasets_by_owner ON datasets (owner);
CREATE INDEX models_by_owner ON models (owner);
CREATE INDEX jobs_by_owner ON jobs (owner);
