-- One current data file per table: the object each S3 probe reads.
SELECT DISTINCT ON (table_id) table_id::bigint AS table_id, path, path_is_relative
FROM ducklake_data_file
WHERE end_snapshot IS NULL
ORDER BY table_id, data_file_id
