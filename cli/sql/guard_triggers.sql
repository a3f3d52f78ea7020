-- The guard's triggers and whether each fires: the event trigger granting new inlined tables (expected only where
-- the guard recorded it as installed: it needs a superuser), the commit trigger on ducklake_snapshot (from the
-- external-catalog migration on), the resolve triggers on the catalog tables DuckLake inserts objects into, and
-- (from guard 006) the triggers enforcing ACL edits.
-- enabled: O/R/A = fires (A also under session_replication_role = replica), D = disabled, NULL = missing.
SELECT 'event trigger' AS kind, 'ducklake_guard_create_table' AS name, NULL::text AS on_table,
       (SELECT evtenabled::text FROM pg_catalog.pg_event_trigger WHERE evtname = 'ducklake_guard_create_table') AS enabled
 WHERE EXISTS (SELECT FROM ducklake_guard.setting s WHERE s.key = 'event_trigger' AND s.value = 'installed')
UNION ALL
SELECT 'commit trigger', 'ducklake_guard_snapshot_at_commit', 'ducklake_snapshot',
       (SELECT tg.tgenabled::text FROM pg_catalog.pg_trigger tg
         WHERE tg.tgrelid = to_regclass(format('%I.ducklake_snapshot', current_schema())) AND tg.tgname = 'ducklake_guard_snapshot_at_commit')
 WHERE to_regprocedure('ducklake_guard.on_snapshot_commit()') IS NOT NULL
   AND to_regclass(format('%I.ducklake_snapshot', current_schema())) IS NOT NULL
UNION ALL
SELECT 'trigger', 'ducklake_guard_resolve', t.name,
       (SELECT tg.tgenabled::text FROM pg_catalog.pg_trigger tg
         WHERE tg.tgrelid = to_regclass(format('%I.%I', current_schema(), t.name)) AND tg.tgname = 'ducklake_guard_resolve')
  FROM unnest(ARRAY['ducklake_table', 'ducklake_view', 'ducklake_macro', 'ducklake_inlined_data_tables']
              || CASE WHEN $1::int >= 7 THEN ARRAY['ducklake_file_partition_value'] ELSE '{}'::text[] END) AS t(name)
 WHERE to_regclass(format('%I.%I', current_schema(), t.name)) IS NOT NULL
UNION ALL
SELECT 'trigger', t.name, 'ducklake_guard.acl',
       (SELECT tg.tgenabled::text FROM pg_catalog.pg_trigger tg WHERE tg.tgrelid = 'ducklake_guard.acl'::regclass AND tg.tgname = t.name)
  FROM unnest(ARRAY['enforce_lock', 'enforce_insert', 'enforce_update', 'enforce_delete', 'enforce_truncate']) AS t(name)
 WHERE $1::int >= 6
UNION ALL
SELECT 'trigger', t.name, 'ducklake_guard.partition_acl',
       (SELECT tg.tgenabled::text FROM pg_catalog.pg_trigger tg WHERE tg.tgrelid = to_regclass('ducklake_guard.partition_acl') AND tg.tgname = t.name)
  FROM unnest(ARRAY['enforce_lock', 'enforce_insert', 'enforce_update', 'enforce_delete', 'enforce_truncate']) AS t(name)
 WHERE $1::int >= 7
