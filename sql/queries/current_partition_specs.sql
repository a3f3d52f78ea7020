-- The current partition spec of named current tables (partition grants are checked against it at preview):
-- one row per key, in key order (partition_key_index), with the key's column as it is named and typed now;
-- one row with NULL key columns for a table that is not partitioned (no open spec, or an open spec without
-- keys, which RESET PARTITIONED BY leaves). $1/$2: schema and table names, lower-cased (DuckDB resolves
-- names case-insensitively; the caller picks the exact match).
SELECT t.table_id, s.schema_name, t.table_name, pi.partition_id, pc.partition_key_index, pc.column_id, pc.transform,
       c.column_name, c.column_type
FROM ducklake_table t
JOIN ducklake_schema s ON s.schema_id = t.schema_id AND s.end_snapshot IS NULL
LEFT JOIN ducklake_partition_info pi ON pi.table_id = t.table_id AND pi.end_snapshot IS NULL
LEFT JOIN ducklake_partition_column pc ON pc.partition_id = pi.partition_id AND pc.table_id = t.table_id
LEFT JOIN ducklake_column c ON c.table_id = t.table_id AND c.column_id = pc.column_id AND c.end_snapshot IS NULL
WHERE t.end_snapshot IS NULL
  AND (lower(s.schema_name), lower(t.table_name)) IN (SELECT * FROM unnest($1::text[], $2::text[]))
ORDER BY t.table_id, pc.partition_key_index
