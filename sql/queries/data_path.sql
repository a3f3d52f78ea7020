-- The lake's global data path (e.g. s3://bucket/data/), against which relative schema paths resolve.
-- Unqualified names: the caller puts the catalog schema on search_path.
SELECT value
FROM ducklake_metadata
WHERE key = 'data_path' AND scope IS NULL
