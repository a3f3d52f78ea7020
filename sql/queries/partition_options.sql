-- The catalog options that decide whether DuckLake writes partitioned files into hive folders: hive_file_pattern
-- (global, per schema or per table) and encryption (hive_file_pattern defaults to false on encrypted lakes).
SELECT key, value, scope, scope_id
FROM ducklake_metadata
WHERE key IN ('hive_file_pattern', 'encrypted')
