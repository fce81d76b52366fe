-- 002_dataset_input_shape.sql — the shape of an image dataset's rows.
-- JSON [C, H, W] (channels first) whose product is input_dim; NULL for
-- datasets of plain vectors, which the API shows as [input_dim].
ALTER TABLE datasets ADD COLUMN input_shape TEXT;
-- (datasets.source gains 'idx': an IDX images + labels upload.)
