-- 002_dataset_input_shape.sql — the shape of an image dataset's rows:
-- JSON [C, H, W] (channels first), NULL for plain vectors (as SQLite's).
ALTER TABLE datasets ADD COLUMN input_shape TEXT;
