-- Data files (any snapshot) of table $1 whose own partition spec has key column $2 (case-insensitive, as DuckDB
-- resolves names) with transform $3 and a value in $4 (or NULL when $5): the files one key of a partition grant
-- covers, computed from the owner's unfiltered view. A grant with several keys covers the intersection. Files
-- outside the table's partition folders (absolute paths from ducklake_add_data_files, files at the table root) are
-- closed in storage and hidden by the catalog guard, so they are not expected either.
SELECT DISTINCT d.data_file_id::bigint AS data_file_id
FROM ducklake_data_file d
JOIN ducklake_partition_column pc ON pc.partition_id = d.partition_id AND pc.table_id = d.table_id
JOIN ducklake_column c ON c.table_id = pc.table_id AND c.column_id = pc.column_id AND c.end_snapshot IS NULL
JOIN ducklake_file_partition_value v ON v.data_file_id = d.data_file_id AND v.partition_key_index = pc.partition_key_index
WHERE d.table_id = $1::bigint
  AND d.path_is_relative AND strpos(d.path, '/') > 0
  AND lower(c.column_name) = lower($2)
  AND pc.transform = $3
  AND (v.partition_value = ANY ($4::text[]) OR (v.partition_value IS NULL AND $5::boolean))
