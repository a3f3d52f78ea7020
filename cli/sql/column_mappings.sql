-- Column mappings (name mapping of imported files) and the table each belongs to.
SELECT DISTINCT mapping_id::bigint AS mapping_id, table_id::bigint AS table_id FROM ducklake_column_mapping
