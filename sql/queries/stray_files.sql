-- Current data/delete files that may lie outside their table's folder: absolute paths, relative ones
-- climbing out with "..", and any file of a table whose stored path lacks the final "/" (DuckLake joins
-- paths as strings, so "orders" + "x.parquet" is "ordersx.parquet"). The caller decides with the model.
SELECT 'data' AS kind, table_id, path, path_is_relative
FROM ducklake_data_file
WHERE end_snapshot IS NULL
  AND (NOT path_is_relative OR path LIKE '%..%' OR table_id IN (
    SELECT table_id FROM ducklake_table WHERE end_snapshot IS NULL AND COALESCE(path, '') NOT LIKE '%/'))
UNION ALL
SELECT 'delete', table_id, path, path_is_relative
FROM ducklake_delete_file
WHERE end_snapshot IS NULL
  AND (NOT path_is_relative OR path LIKE '%..%' OR table_id IN (
    SELECT table_id FROM ducklake_table WHERE end_snapshot IS NULL AND COALESCE(path, '') NOT LIKE '%/'))
ORDER BY 2, 3
