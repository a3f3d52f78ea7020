-- Moving a catalog (docs/outgrowing-the-vps.md), step 4: repairs what a database dump does not carry or
-- carries wrongly, after scripts/move-catalog.sh restore. Run in the restored database by the admin that is a
-- member of the catalog owner and the writer (prepare_target.sql made it one):
--   psql "<target conninfo>" -X -v ON_ERROR_STOP=1 -v writer=W -f repair_moved_catalog.sql
-- (scripts/move-catalog.sh repair). One transaction; safe to re-run (a second run changes nothing).
--   1. the writer gives the catalog owner back ALL ... WITH GRANT OPTION on the writer's tables (the dump's
--      ACL entries for them need SET SESSION AUTHORIZATION, a superuser's right, and were left out);
--   2. the event_trigger setting says 'missing' when no event trigger exists here;
--   3. every grant is re-pinned to the role that holds its reader name HERE (acl.reader_oid held the source's
--      OIDs; logged as 'update' in acl_log);
--   4. every reader of the ACL is enrolled in ducklake_reader (role memberships are not in a database dump);
--   5. the database settings of sql/001 (no TEMPORARY for PUBLIC, jit = off) and CONNECT for the writer;
--   6. ducklake_guard.protect_all(): policies and guard triggers re-stated, then resync(): `visible` and the
--      inlined-table grants rebuilt from the ACL.
-- Refuses, changing nothing: no guard in this database; the writer role missing; the admin not a member of
-- the owner or the writer; a reader named in the ACL missing on this server; the owner without ADMIN on
-- ducklake_reader.
\set ON_ERROR_STOP 1
SELECT set_config('ducklake_move.writer', :'writer', false) AS w \gset ignored_
BEGIN;
DO $move$
DECLARE
  v_writer text := current_setting('ducklake_move.writer');
  v_owner text;
  v_schema text;
  v_missing text;
  v_db text := current_database();
  r record;
  n integer;
  v_count integer;
BEGIN
  IF to_regclass('ducklake_guard.setting') IS NULL THEN
    RAISE EXCEPTION 'database % has no ducklake_guard: nothing to repair', quote_ident(v_db)
      USING HINT = 'Run this in the database the catalog was restored into (scripts/move-catalog.sh restore).';
  END IF;
  -- The catalog owner is the database's owner (prepare_target.sql made it so). Everything restored from the dump
  -- is the owner's to shape (a view in place of a table, a policy or trigger calling its own functions), so the
  -- admin reads and writes guard objects only after SET ROLE to the owner (or the writer, step 1): until then
  -- it looks at pg_catalog only.
  SELECT ro.rolname INTO v_owner FROM pg_catalog.pg_database d JOIN pg_catalog.pg_roles ro ON ro.oid = d.datdba
   WHERE d.datname = v_db;
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = v_writer) THEN
    RAISE EXCEPTION 'writer role % does not exist on this server', quote_ident(v_writer)
      USING HINT = 'Pass the writer of the source catalog (-v writer=...), created by prepare_target.sql.';
  END IF;
  IF NOT pg_catalog.pg_has_role(current_user, v_owner, 'MEMBER') OR NOT pg_catalog.pg_has_role(current_user, v_writer, 'MEMBER') THEN
    RAISE EXCEPTION '% must be a member of the catalog owner % and the writer %', quote_ident(current_user), quote_ident(v_owner), quote_ident(v_writer)
      USING HINT = format('As the admin: GRANT %I, %I TO %I;', v_owner, v_writer, current_user);
  END IF;
  IF NOT pg_catalog.pg_has_role(v_owner, 'ducklake_reader', 'USAGE WITH ADMIN OPTION') THEN
    RAISE EXCEPTION 'catalog owner % lacks ADMIN OPTION on ducklake_reader', quote_ident(v_owner)
      USING HINT = format('As the admin: GRANT ducklake_reader TO %I WITH ADMIN OPTION;', v_owner);
  END IF;
  EXECUTE format('SET LOCAL ROLE %I', v_owner);
  IF (SELECT s.value FROM ducklake_guard.setting s WHERE s.key = 'catalog_owner') IS DISTINCT FROM v_owner THEN
    RAISE EXCEPTION 'the guard''s catalog owner is not the owner of database % (%)', quote_ident(v_db), quote_ident(v_owner)
      USING HINT = 'Restore into a database created by scripts/move-catalog.sh prepare with the source''s owner name.';
  END IF;
  SELECT s.value INTO v_schema FROM ducklake_guard.setting s WHERE s.key = 'catalog_schema';
  -- Readers named in the ACL (table/schema grants, and partition grants from the partition-grants migration on).
  EXECUTE 'SELECT pg_catalog.string_agg(DISTINCT pg_catalog.quote_ident(a.reader), '', '') FROM ('
       || 'SELECT reader FROM ducklake_guard.acl'
       || CASE WHEN to_regclass('ducklake_guard.partition_acl') IS NOT NULL THEN ' UNION SELECT reader FROM ducklake_guard.partition_acl' ELSE '' END
       || ') a WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles ro WHERE ro.rolname = a.reader)' INTO v_missing;
  IF v_missing IS NOT NULL THEN
    RAISE EXCEPTION 'readers named in the guard''s ACL do not exist on this server: %', v_missing
      USING HINT = 'Create each reader first (CREATE ROLE ... LOGIN PASSWORD ..., or pulumi up with the reader in access.ts), then run the repair again.';
  END IF;

  -- 1. As the writer (the tables' owner; the admin is a member of it).
  EXECUTE format('SET LOCAL ROLE %I', v_writer);
  n := 0;
  FOR r IN SELECT c.relname FROM pg_catalog.pg_class c
            WHERE c.relnamespace = to_regnamespace(quote_ident(v_schema)) AND c.relkind IN ('r', 'p')
              AND c.relowner = to_regrole(quote_ident(v_writer))
              AND NOT has_table_privilege(v_owner, c.oid, 'SELECT WITH GRANT OPTION')
            ORDER BY c.relname LOOP
    EXECUTE format('GRANT ALL ON TABLE %I.%I TO %I WITH GRANT OPTION', v_schema, r.relname, v_owner);
    n := n + 1;
  END LOOP;
  RAISE NOTICE 'move-catalog: the owner''s grant option given back on % of the writer''s tables', n;

  -- Everything else as the catalog owner (the ACL log records it as the editing role).
  EXECUTE format('SET LOCAL ROLE %I', v_owner);

  -- 2.
  UPDATE ducklake_guard.setting s SET value = 'missing'
   WHERE s.key = 'event_trigger' AND s.value <> 'missing'
     AND NOT EXISTS (SELECT FROM pg_catalog.pg_event_trigger WHERE evtname = 'ducklake_guard_create_table');
  GET DIAGNOSTICS n = ROW_COUNT;
  IF n > 0 THEN RAISE NOTICE 'move-catalog: setting event_trigger = missing (no event trigger on this server)'; END IF;

  -- 3. The ACL triggers (sql/006, 007) rebuild `visible` of the old and the new OIDs in this statement.
  UPDATE ducklake_guard.acl a SET reader_oid = ro.oid FROM pg_catalog.pg_roles ro
   WHERE ro.rolname = a.reader AND a.reader_oid <> ro.oid;
  GET DIAGNOSTICS n = ROW_COUNT;
  IF to_regclass('ducklake_guard.partition_acl') IS NOT NULL THEN
    EXECUTE 'UPDATE ducklake_guard.partition_acl a SET reader_oid = ro.oid FROM pg_catalog.pg_roles ro
              WHERE ro.rolname = a.reader AND a.reader_oid <> ro.oid';
    GET DIAGNOSTICS v_count = ROW_COUNT;
    n := n + v_count;
  END IF;
  RAISE NOTICE 'move-catalog: % grants re-pinned to this server''s role OIDs', n;

  -- 4.
  n := 0;
  FOR r IN EXECUTE 'SELECT DISTINCT a.reader FROM (SELECT reader FROM ducklake_guard.acl'
                || CASE WHEN to_regclass('ducklake_guard.partition_acl') IS NOT NULL THEN ' UNION SELECT reader FROM ducklake_guard.partition_acl' ELSE '' END
                || ') a WHERE NOT pg_catalog.pg_has_role(a.reader, ''ducklake_reader'', ''MEMBER'') ORDER BY a.reader' LOOP
    EXECUTE format('GRANT ducklake_reader TO %I', r.reader);
    n := n + 1;
  END LOOP;
  RAISE NOTICE 'move-catalog: % readers enrolled in ducklake_reader', n;

  -- 5. As the database owner.
  EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', v_db);
  EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM ducklake_reader', v_db);
  EXECUTE format('GRANT TEMPORARY, CONNECT ON DATABASE %I TO %I', v_db, v_owner);
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', v_db, v_writer);
  EXECUTE format('ALTER DATABASE %I SET jit = off', v_db);

  -- 6. protect_all() = policies, guard triggers (and, from the external-catalog migration on, the commit trigger
  -- and setting inlined_grants) re-stated, then resync(); the same function on every guard version.
  PERFORM ducklake_guard.protect_all();
END
$move$;
COMMIT;

-- What the guard says now: every grant 'active' and no drift (else the run fails here, after printing it).
SELECT l.status, count(*) AS grants FROM ducklake_guard.list_grants() l GROUP BY l.status ORDER BY 1;
SELECT * FROM ducklake_guard.enforcement_drift();
DO $move$
BEGIN
  IF EXISTS (SELECT FROM ducklake_guard.enforcement_drift()) THEN
    RAISE EXCEPTION 'enforcement_drift() is not empty after the repair (listed above)';
  END IF;
END
$move$;
\echo move-catalog: repaired
