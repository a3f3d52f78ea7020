-- Data and delete files of the given tables ($1: table ids), grouped by kind, partition spec, folder and partition
-- values (one row per folder of a hive layout), for the storage guard of partition grants. Files of every snapshot
-- still in the catalog count: older snapshots' files stay in the bucket and time travel reads them. A delete file
-- carries the spec and values of the data file it deletes from. Absolute paths are returned one per row.
-- `delete_shaped` counts files named like a DuckLake delete file directly in the table folder.
-- Values are aggregated once per file and joined (hash join): the catalog has no index on data_file_id.
-- `vals` is {"<partition_key_index>": value}.
WITH vals AS (
  -- {"<key index>": value}: an object needs no ORDER BY, so the aggregate can hash instead of sorting every value row
  SELECT v.data_file_id, jsonb_object_agg(v.partition_key_index::text, v.partition_value) AS vals
  FROM ducklake_file_partition_value v
  WHERE v.table_id = ANY ($1::bigint[])
  GROUP BY v.data_file_id
), files AS (
  SELECT 'data' AS kind, d.table_id, d.data_file_id, d.partition_id, d.path, d.path_is_relative
  FROM ducklake_data_file d
  WHERE d.table_id = ANY ($1::bigint[])
  UNION ALL
  SELECT 'delete', f.table_id, f.data_file_id, d.partition_id, f.path, f.path_is_relative
  FROM ducklake_delete_file f
  LEFT JOIN ducklake_data_file d ON d.data_file_id = f.data_file_id
  WHERE f.table_id = ANY ($1::bigint[])
), described AS (
  SELECT f.kind, f.table_id, f.partition_id, f.path, COALESCE(f.path_is_relative, true) AS path_is_relative,
         CASE WHEN COALESCE(f.path_is_relative, true) THEN regexp_replace(f.path, '[^/]*$', '') ELSE f.path END AS folder,
         COALESCE(f.path_is_relative, true) AND f.path ~ '^ducklake-.{8}-.{4}-.{4}-.{4}-.{12}-delete\.parquet$' AS shaped,
         v.vals
  FROM files f
  LEFT JOIN vals v ON v.data_file_id = f.data_file_id
)
SELECT kind, table_id, partition_id, path_is_relative, folder, vals, count(*) AS files,
       count(*) FILTER (WHERE shaped) AS delete_shaped, min(path) AS sample
FROM described
GROUP BY kind, table_id, partition_id, path_is_relative, folder, vals
ORDER BY table_id, kind, folder, sample
