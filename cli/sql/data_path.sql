-- The lake's global data path (e.g. s3://bucket/data/), against which relative paths resolve.
SELECT value AS data_path
FROM ducklake_metadata
WHERE key = 'data_path' AND scope IS NULL
