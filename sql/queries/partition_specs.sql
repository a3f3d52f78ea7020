-- Partition specs of the given tables ($1: table ids) with their keys and the keys' current column names
-- (NULL for a dropped column). A spec without keys (after RESET PARTITIONED BY) has one row with NULL key.
SELECT pi.table_id, pi.partition_id, pi.end_snapshot IS NULL AS current,
       pc.partition_key_index, pc.transform, c.column_name
FROM ducklake_partition_info pi
LEFT JOIN ducklake_partition_column pc ON pc.partition_id = pi.partition_id AND pc.table_id = pi.table_id
LEFT JOIN ducklake_column c ON c.table_id = pc.table_id AND c.column_id = pc.column_id AND c.end_snapshot IS NULL
WHERE pi.table_id = ANY ($1::bigint[])
ORDER BY pi.table_id, pi.partition_id, pc.partition_key_index
