-- One current data file per table: the object each S3 probe reads. Files stored relative to their table
-- come first: they are the ones inside the table's folder (absolute ones are often imports from elsewhere).
SELECT DISTINCT ON (table_id) table_id::bigint AS table_id, path, path_is_relative
FROM ducklake_data_file
WHERE end_snapshot IS NULL
ORDER BY table_id, (path_is_relative IS NOT FALSE AND path NOT LIKE '%..%') DESC, data_file_id
