-- ducklake_guard 006: integrity of the guard itself.
--
-- 1. Every change of ducklake_guard.acl is enforced in the statement that makes it: statement triggers on
--    INSERT, UPDATE, DELETE and TRUNCATE rebuild `visible` and the inlined-table grants of the readers the
--    statement touched (hand edits by the owner or a superuser included), so the change log (005) and what
--    readers can see never disagree. grant_read/revoke_read leave that work to the triggers (no double work).
-- 2. Every guard function runs with search_path = pg_catalog, pg_temp (pg_temp last: without it listed,
--    PostgreSQL searches the session's temporary schema FIRST for relations, so a temp table named pg_roles
--    or pg_class would be read instead of the catalog's) and names every relation schema-qualified.
-- 3. ducklake_guard.enforcement_drift(): what `visible` and the inlined-table grants should be and are not
--    (read by `npm run status`).
-- 4. ducklake_guard.migration.sha256: the content hash of each applied migration file (filled in by the
--    installer, which refuses to run over a changed one).
-- 5. COMMENT ON every guard object: what it is for and who may use it.
--
-- Run as a superuser (recommended) or as the catalog owner, like 001-005; safe to re-run.
BEGIN;
SELECT pg_catalog.pg_advisory_xact_lock(7433205101);
DO $guard$
DECLARE v_owner text;
BEGIN
  IF NOT EXISTS (SELECT FROM ducklake_guard.migration WHERE version = 5) THEN
    RAISE EXCEPTION 'apply sql/005_acl_change_log.sql first';
  END IF;
  SELECT value INTO v_owner FROM ducklake_guard.setting WHERE key = 'catalog_owner';
  IF v_owner <> current_user THEN EXECUTE pg_catalog.format('SET LOCAL ROLE %I', v_owner); END IF;
END
$guard$;

ALTER TABLE ducklake_guard.migration ADD COLUMN IF NOT EXISTS sha256 text
  CHECK (sha256 IS NULL OR sha256 ~ '^[0-9a-f]{64}$');

-- ---- Functions of 001-005, redefined: search_path with pg_temp last, catalog relations qualified ----------

CREATE OR REPLACE FUNCTION ducklake_guard.recount_visible() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  INSERT INTO ducklake_guard.visible_count (role_oid, tables)
    SELECT r.role_oid, (SELECT count(*) FROM ducklake_guard.visible v WHERE v.role_oid = r.role_oid AND v.kind = 't')
      FROM (SELECT DISTINCT role_oid FROM changed_rows) r
    ON CONFLICT (role_oid) DO UPDATE SET tables = EXCLUDED.tables;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION ducklake_guard.visible_ids_sql(kinds text) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT '(SELECT v.object_id FROM ducklake_guard.visible v WHERE v.role_oid = '
      || 'pg_catalog.to_regrole(pg_catalog.quote_ident(CURRENT_USER))::oid AND v.kind '
      || CASE WHEN length(kinds) = 1 THEN '= ' || quote_literal(kinds)
              ELSE '= ANY (' || quote_literal('{' || array_to_string(string_to_array(kinds, NULL), ',') || '}') || '::"char"[])' END
      || ')'
$$;

CREATE OR REPLACE FUNCTION ducklake_guard.rule_predicate(rule text, catalog_schema text) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  me constant text := 'pg_catalog.to_regrole(pg_catalog.quote_ident(CURRENT_USER))::oid';
BEGIN
  RETURN CASE rule
    WHEN 'global' THEN 'true'
    WHEN 'hidden' THEN 'false'
    WHEN 'table' THEN 'CASE WHEN (SELECT c.tables FROM ducklake_guard.visible_count c WHERE c.role_oid = ' || me || ') > 1000'
      || ' THEN (SELECT true FROM ducklake_guard.visible v WHERE v.role_oid = ' || me
      || ' AND v.kind = ''t'' AND v.object_id = table_id) IS NOT NULL'
      || ' ELSE table_id IN ' || ducklake_guard.visible_ids_sql('t') || ' END'
    WHEN 'table_or_null' THEN 'table_id IS NULL OR table_id IN ' || ducklake_guard.visible_ids_sql('t')
    -- DuckLake's default schema `main` is always visible (its row only: id, uuid, name, path): DuckDB needs it
    -- to USE the lake and for DuckLake's functions (snapshots(), table_info(), …). Its contents keep their rules.
    WHEN 'schema' THEN 'schema_id IN ' || ducklake_guard.visible_ids_sql('s') || ' OR schema_name = ''main'''
    WHEN 'view' THEN 'view_id IN ' || ducklake_guard.visible_ids_sql('v')
    WHEN 'macro' THEN 'macro_id IN ' || ducklake_guard.visible_ids_sql('m')
    WHEN 'tag' THEN 'object_id IN ' || ducklake_guard.visible_ids_sql('stv')
    WHEN 'metadata' THEN 'scope IS NULL OR (scope = ''schema'' AND scope_id IN ' || ducklake_guard.visible_ids_sql('s')
                         || ') OR (scope = ''table'' AND scope_id IN ' || ducklake_guard.visible_ids_sql('t') || ')'
    WHEN 'name_mapping' THEN format('mapping_id IN (SELECT m.mapping_id FROM %I.ducklake_column_mapping m)', catalog_schema)
  END;
END
$$;

CREATE OR REPLACE FUNCTION ducklake_guard.protect_catalog() RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_schema text := (SELECT s.value FROM ducklake_guard.setting s WHERE s.key = 'catalog_schema');
  v_owner text := (SELECT s.value FROM ducklake_guard.setting s WHERE s.key = 'catalog_owner');
  r record;
  v_cols text;
  v_index text;
  v_table_owner text;
  n integer := 0;
BEGIN
  FOR r IN SELECT cr.*, c.oid AS rel FROM ducklake_guard.catalog_rule cr
             JOIN pg_catalog.pg_class c ON c.relname = cr.table_name AND c.relnamespace = to_regnamespace(quote_ident(v_schema))
            WHERE c.relkind = 'r' ORDER BY cr.table_name LOOP
    SELECT ro.rolname INTO v_table_owner FROM pg_catalog.pg_roles ro
     WHERE ro.oid = (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = r.rel);
    IF v_table_owner <> v_owner THEN
      RAISE EXCEPTION 'catalog table %.% is owned by "%", not by the catalog owner "%"', v_schema, r.table_name, v_table_owner, v_owner
        USING HINT = format('ALTER TABLE %I.%I OWNER TO %I; (DuckLake must write as the catalog owner)', v_schema, r.table_name, v_owner);
    END IF;
    EXECUTE format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY', v_schema, r.table_name);
    EXECUTE format('DROP POLICY IF EXISTS ducklake_guard_read ON %I.%I', v_schema, r.table_name);
    EXECUTE format('CREATE POLICY ducklake_guard_read ON %I.%I FOR SELECT TO ducklake_reader USING (%s)',
                   v_schema, r.table_name, ducklake_guard.rule_predicate(r.rule, v_schema));
    EXECUTE format('COMMENT ON POLICY ducklake_guard_read ON %I.%I IS %L', v_schema, r.table_name,
                   format('ducklake_guard: readers (members of ducklake_reader) see only rows of what they were granted; rule %s: %s', r.rule, r.why));
    EXECUTE format('REVOKE ALL ON %I.%I FROM PUBLIC, ducklake_reader', v_schema, r.table_name);
    EXECUTE format('GRANT SELECT ON %I.%I TO ducklake_reader', v_schema, r.table_name);
    FOREACH v_cols IN ARRAY r.indexes LOOP
      v_index := left('ducklake_guard_' || r.table_name || '_' || replace(v_cols, ',', '_'), 63);
      EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %I.%I (%s)', v_index, v_schema, r.table_name,
                     (SELECT string_agg(quote_ident(c), ', ') FROM unnest(string_to_array(v_cols, ',')) c));
      EXECUTE format('COMMENT ON INDEX %I.%I IS %L', v_schema, v_index,
                     'ducklake_guard: index on a link column DuckLake does not index; speeds up the guard''s row filters and per-table listings');
    END LOOP;
    n := n + 1;
  END LOOP;
  EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM PUBLIC', v_schema);
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO ducklake_reader', v_schema);
  RETURN n;
END
$$;

CREATE OR REPLACE FUNCTION ducklake_guard.catalog_schema() RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT s.value FROM ducklake_guard.setting s WHERE s.key = 'catalog_schema'
$$;

CREATE OR REPLACE FUNCTION ducklake_guard.has_catalog_table(p_table text) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT to_regclass(format('%I.%I', ducklake_guard.catalog_schema(), p_table)) IS NOT NULL
$$;

-- What `visible` should hold for one reader (or all): the ACL resolved against the catalog. One definition,
-- used by refresh_visible (to rebuild) and enforcement_drift (to check).
CREATE OR REPLACE FUNCTION ducklake_guard.expected_visible(p_reader_oid oid DEFAULT NULL)
RETURNS TABLE (role_oid oid, kind "char", object_id bigint)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_schema text := ducklake_guard.catalog_schema();
  v_sql text;
BEGIN
  -- Only grants whose role still exists under the granted name count.
  v_sql := 'WITH g AS (SELECT a.reader_oid, a.schema_id, a.table_id FROM ducklake_guard.acl a
              JOIN pg_catalog.pg_roles r ON r.oid = a.reader_oid AND r.rolname = a.reader
             WHERE $1 IS NULL OR a.reader_oid = $1)
            SELECT reader_oid, ''s''::"char", schema_id FROM g
            UNION SELECT reader_oid, ''t'', table_id FROM g WHERE table_id IS NOT NULL';
  IF ducklake_guard.has_catalog_table('ducklake_table') THEN
    v_sql := v_sql || format(' UNION SELECT g.reader_oid, ''t'', x.table_id FROM g JOIN %I.ducklake_table x ON x.schema_id = g.schema_id WHERE g.table_id IS NULL', v_schema);
  END IF;
  IF ducklake_guard.has_catalog_table('ducklake_view') THEN
    v_sql := v_sql || format(' UNION SELECT g.reader_oid, ''v'', x.view_id FROM g JOIN %I.ducklake_view x ON x.schema_id = g.schema_id WHERE g.table_id IS NULL', v_schema);
  END IF;
  IF ducklake_guard.has_catalog_table('ducklake_macro') THEN
    v_sql := v_sql || format(' UNION SELECT g.reader_oid, ''m'', x.macro_id FROM g JOIN %I.ducklake_macro x ON x.schema_id = g.schema_id WHERE g.table_id IS NULL', v_schema);
  END IF;
  RETURN QUERY EXECUTE v_sql USING p_reader_oid;
END
$$;

-- Rebuilds the visible ids of one reader (or all): deletes what is no longer granted, adds what is missing
-- (rows that stay are not touched). Returns how many ids the reader(s) see now.
CREATE OR REPLACE FUNCTION ducklake_guard.refresh_visible(p_reader_oid oid DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE n bigint;
BEGIN
  WITH e AS MATERIALIZED (SELECT x.role_oid, x.kind, x.object_id FROM ducklake_guard.expected_visible(p_reader_oid) x),
  gone AS (DELETE FROM ducklake_guard.visible v
            WHERE (p_reader_oid IS NULL OR v.role_oid = p_reader_oid)
              AND NOT EXISTS (SELECT FROM e WHERE e.role_oid = v.role_oid AND e.kind = v.kind AND e.object_id = v.object_id)
           RETURNING 1),
  added AS (INSERT INTO ducklake_guard.visible (role_oid, kind, object_id) SELECT e.role_oid, e.kind, e.object_id FROM e
            ON CONFLICT DO NOTHING RETURNING 1)
  SELECT (SELECT count(*) FROM e) + 0 * ((SELECT count(*) FROM gone) + (SELECT count(*) FROM added)) INTO n;
  RETURN n;
END
$$;

CREATE OR REPLACE FUNCTION ducklake_guard.sync_inlined_grants(p_reader_oid oid DEFAULT NULL, p_table_ids bigint[] DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_schema text := ducklake_guard.catalog_schema();
  r record;
  g record;
  n integer := 0;
BEGIN
  FOR r IN SELECT c.oid, c.relname, c.relowner, c.relacl,
                  (regexp_match(c.relname, '^ducklake_inlined_(?:data|delete)_([0-9]+)'))[1]::bigint AS table_id
             FROM pg_catalog.pg_class c
            WHERE c.relnamespace = to_regnamespace(quote_ident(v_schema)) AND c.relkind = 'r'
              AND c.relname ~ '^ducklake_inlined_(data_[0-9]+_[0-9]+|delete_[0-9]+)$' LOOP
    CONTINUE WHEN p_table_ids IS NOT NULL AND NOT r.table_id = ANY (p_table_ids);
    -- Grantees that should not be there (PUBLIC is grantee 0): only PUBLIC and readers are touched.
    FOR g IN SELECT DISTINCT a.grantee FROM pg_catalog.aclexplode(r.relacl) a
              WHERE a.grantee <> r.relowner AND (p_reader_oid IS NULL OR a.grantee = p_reader_oid OR a.grantee = 0)
                AND (a.grantee = 0 OR pg_catalog.pg_has_role(a.grantee, 'ducklake_reader', 'MEMBER'))
                AND NOT EXISTS (SELECT FROM ducklake_guard.visible v WHERE v.role_oid = a.grantee AND v.kind = 't' AND v.object_id = r.table_id) LOOP
      IF g.grantee = 0 THEN
        EXECUTE format('REVOKE ALL ON %I.%I FROM PUBLIC', v_schema, r.relname);
      ELSE
        EXECUTE format('REVOKE ALL ON %I.%I FROM %I', v_schema, r.relname, (SELECT ro.rolname FROM pg_catalog.pg_roles ro WHERE ro.oid = g.grantee));
      END IF;
      n := n + 1;
    END LOOP;
    -- Readers that should have SELECT and do not.
    FOR g IN SELECT ro.rolname FROM ducklake_guard.visible v JOIN pg_catalog.pg_roles ro ON ro.oid = v.role_oid
              WHERE v.kind = 't' AND v.object_id = r.table_id AND (p_reader_oid IS NULL OR v.role_oid = p_reader_oid)
                AND NOT EXISTS (SELECT FROM pg_catalog.aclexplode(r.relacl) a WHERE a.grantee = v.role_oid AND a.privilege_type = 'SELECT') LOOP
      EXECUTE format('GRANT SELECT ON %I.%I TO %I', v_schema, r.relname, g.rolname);
      n := n + 1;
    END LOOP;
  END LOOP;
  RETURN n;
END
$$;

CREATE OR REPLACE FUNCTION ducklake_guard.resync() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM FROM ducklake_guard.setting s WHERE s.key = 'catalog_schema' FOR UPDATE; -- serializes ACL changes (see lock_acl)
  PERFORM ducklake_guard.refresh_visible(NULL);
  PERFORM ducklake_guard.sync_inlined_grants(NULL, NULL);
END
$$;

CREATE OR REPLACE FUNCTION ducklake_guard.on_catalog_insert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_ids bigint[];
BEGIN
  IF TG_TABLE_NAME = 'ducklake_table' THEN
    INSERT INTO ducklake_guard.visible (role_oid, kind, object_id)
      SELECT DISTINCT a.reader_oid, 't'::"char", n.table_id FROM new_rows n JOIN ducklake_guard.acl a
          ON a.schema_id = n.schema_id AND a.table_id IS NULL
        JOIN pg_catalog.pg_roles r ON r.oid = a.reader_oid AND r.rolname = a.reader
      ON CONFLICT DO NOTHING;
    SELECT array_agg(DISTINCT n.table_id) INTO v_ids FROM new_rows n;
    PERFORM ducklake_guard.sync_inlined_grants(NULL, v_ids);
  ELSIF TG_TABLE_NAME = 'ducklake_view' THEN
    INSERT INTO ducklake_guard.visible (role_oid, kind, object_id)
      SELECT DISTINCT a.reader_oid, 'v'::"char", n.view_id FROM new_rows n JOIN ducklake_guard.acl a
          ON a.schema_id = n.schema_id AND a.table_id IS NULL
        JOIN pg_catalog.pg_roles r ON r.oid = a.reader_oid AND r.rolname = a.reader
      ON CONFLICT DO NOTHING;
  ELSIF TG_TABLE_NAME = 'ducklake_macro' THEN
    INSERT INTO ducklake_guard.visible (role_oid, kind, object_id)
      SELECT DISTINCT a.reader_oid, 'm'::"char", n.macro_id FROM new_rows n JOIN ducklake_guard.acl a
          ON a.schema_id = n.schema_id AND a.table_id IS NULL
        JOIN pg_catalog.pg_roles r ON r.oid = a.reader_oid AND r.rolname = a.reader
      ON CONFLICT DO NOTHING;
  ELSIF TG_TABLE_NAME = 'ducklake_inlined_data_tables' THEN
    SELECT array_agg(DISTINCT n.table_id) INTO v_ids FROM new_rows n;
    PERFORM ducklake_guard.sync_inlined_grants(NULL, v_ids);
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION ducklake_guard.attach_triggers() RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_schema text := ducklake_guard.catalog_schema();
  t text;
  n integer := 0;
BEGIN
  FOREACH t IN ARRAY ARRAY['ducklake_table', 'ducklake_view', 'ducklake_macro', 'ducklake_inlined_data_tables'] LOOP
    CONTINUE WHEN NOT ducklake_guard.has_catalog_table(t);
    EXECUTE format('DROP TRIGGER IF EXISTS ducklake_guard_resolve ON %I.%I', v_schema, t);
    EXECUTE format('CREATE TRIGGER ducklake_guard_resolve AFTER INSERT ON %I.%I REFERENCING NEW TABLE AS new_rows
                    FOR EACH STATEMENT EXECUTE FUNCTION ducklake_guard.on_catalog_insert()', v_schema, t);
    EXECUTE format('COMMENT ON TRIGGER ducklake_guard_resolve ON %I.%I IS %L', v_schema, t,
                   'ducklake_guard: makes objects DuckLake adds to a schema granted whole visible to its readers, and grants new inlined tables');
    n := n + 1;
  END LOOP;
  RETURN n;
END
$$;

CREATE OR REPLACE FUNCTION ducklake_guard.protect_all() RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE n integer;
BEGIN
  n := ducklake_guard.protect_catalog();
  PERFORM ducklake_guard.attach_triggers();
  PERFORM ducklake_guard.resync();
  RETURN n;
END
$$;

CREATE OR REPLACE FUNCTION ducklake_guard.check_reader(p_reader name) RETURNS oid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  r record;
  v_owner text := (SELECT s.value FROM ducklake_guard.setting s WHERE s.key = 'catalog_owner');
BEGIN
  IF p_reader IS NULL OR p_reader = '' THEN
    RAISE EXCEPTION 'reader must not be empty' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT ro.oid, ro.rolsuper, ro.rolbypassrls INTO r FROM pg_catalog.pg_roles ro WHERE ro.rolname = p_reader;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'reader role "%" does not exist', p_reader USING ERRCODE = 'undefined_object',
      HINT = 'Create the reader''s login role first (CREATE ROLE ... LOGIN PASSWORD ...), then grant.';
  END IF;
  IF r.rolsuper OR r.rolbypassrls THEN
    RAISE EXCEPTION 'role "%" bypasses row-level security (superuser or BYPASSRLS); a grant would not limit it', p_reader
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Grant to a plain login role made for reading.';
  END IF;
  IF p_reader IN ('ducklake_reader', v_owner) OR pg_has_role(p_reader, v_owner, 'MEMBER') THEN
    RAISE EXCEPTION 'role "%" is the catalog owner, a member of it, or the shared ducklake_reader role; it cannot be a reader', p_reader
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Grant to a plain login role made for reading.';
  END IF;
  RETURN r.oid;
END
$$;

-- The ACL triggers below rebuild what an ACL change affects; grant_read does that work itself only when the
-- ACL did not change (an idempotent call still repairs the reader's ids and inlined grants, as before).
CREATE OR REPLACE FUNCTION ducklake_guard.grant_read(p_reader name, p_schema text, p_table text DEFAULT NULL) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_schema text := ducklake_guard.catalog_schema();
  v_oid oid;
  v_schema_id bigint;
  v_table_id bigint;
  v_changed boolean;
BEGIN
  PERFORM FROM ducklake_guard.setting s WHERE s.key = 'catalog_schema' FOR UPDATE; -- serializes ACL changes (see lock_acl)
  v_oid := ducklake_guard.check_reader(p_reader);
  IF p_schema IS NULL OR p_schema = '' THEN
    RAISE EXCEPTION 'schema must not be empty' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_table = '' THEN
    RAISE EXCEPTION 'table must be NULL (whole schema) or a table name, not empty' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF NOT ducklake_guard.has_catalog_table('ducklake_schema') THEN
    RAISE EXCEPTION 'no DuckLake catalog in schema "%" yet', v_schema USING ERRCODE = 'undefined_table',
      HINT = 'Attach the lake once with DuckDB (ATTACH ''ducklake:postgres:...'') to create the catalog, then grant.';
  END IF;
  EXECUTE format('SELECT schema_id FROM %I.ducklake_schema WHERE schema_name = $1 AND end_snapshot IS NULL', v_schema)
    INTO v_schema_id USING p_schema;
  IF v_schema_id IS NULL THEN
    RAISE EXCEPTION 'DuckLake schema "%" does not exist in the catalog', p_schema USING ERRCODE = 'undefined_object',
      HINT = 'Check the name (case and spaces matter) or create the schema in DuckLake first.';
  END IF;
  IF p_table IS NOT NULL THEN
    EXECUTE format('SELECT table_id FROM %I.ducklake_table WHERE schema_id = $1 AND table_name = $2 AND end_snapshot IS NULL', v_schema)
      INTO v_table_id USING v_schema_id, p_table;
    IF v_table_id IS NULL THEN
      RAISE EXCEPTION 'DuckLake table "%"."%" does not exist in the catalog', p_schema, p_table USING ERRCODE = 'undefined_table',
        HINT = 'Check the name, create the table in DuckLake first, or grant the whole schema (table NULL).';
    END IF;
  END IF;
  IF NOT pg_has_role(p_reader, 'ducklake_reader', 'MEMBER') THEN
    EXECUTE format('GRANT ducklake_reader TO %I', p_reader);
  END IF;
  INSERT INTO ducklake_guard.acl AS a (reader, reader_oid, schema_name, table_name, schema_id, table_id)
    VALUES (p_reader, v_oid, p_schema, p_table, v_schema_id, v_table_id)
    ON CONFLICT ON CONSTRAINT acl_one_grant DO UPDATE
      SET reader_oid = EXCLUDED.reader_oid, schema_id = EXCLUDED.schema_id, table_id = EXCLUDED.table_id,
          granted_at = now(), granted_by = session_user
      WHERE (a.reader_oid, a.schema_id, a.table_id) IS DISTINCT FROM (EXCLUDED.reader_oid, EXCLUDED.schema_id, EXCLUDED.table_id);
  GET DIAGNOSTICS v_changed = ROW_COUNT;
  IF NOT v_changed THEN
    PERFORM ducklake_guard.refresh_visible(v_oid);
    PERFORM ducklake_guard.sync_inlined_grants(v_oid, NULL);
  END IF;
  RETURN v_changed;
END
$$;

-- The DELETE's triggers rebuild the reader's ids and inlined grants (also those of a same-named role).
CREATE OR REPLACE FUNCTION ducklake_guard.revoke_read(p_reader name, p_schema text, p_table text DEFAULT NULL) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE n bigint;
BEGIN
  PERFORM FROM ducklake_guard.setting s WHERE s.key = 'catalog_schema' FOR UPDATE; -- serializes ACL changes (see lock_acl)
  DELETE FROM ducklake_guard.acl a WHERE a.reader = p_reader AND a.schema_name = p_schema
     AND a.table_name IS NOT DISTINCT FROM p_table;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n > 0;
END
$$;

CREATE OR REPLACE FUNCTION ducklake_guard.list_grants(p_reader name DEFAULT NULL)
RETURNS TABLE (reader name, schema_name text, table_name text, schema_id bigint, table_id bigint,
               current_schema_name text, current_table_name text, status text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_schema text := ducklake_guard.catalog_schema();
BEGIN
  RETURN QUERY EXECUTE format($q$
    SELECT a.reader, a.schema_name, a.table_name, a.schema_id, a.table_id, s.schema_name::text, t.table_name::text,
           CASE WHEN NOT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.oid = a.reader_oid AND r.rolname = a.reader) THEN 'role missing'
                WHEN s.schema_id IS NULL OR (a.table_id IS NOT NULL AND t.table_id IS NULL) THEN 'dropped'
                WHEN s.schema_name IS DISTINCT FROM a.schema_name OR t.table_name IS DISTINCT FROM a.table_name THEN 'renamed'
                ELSE 'active' END
      FROM ducklake_guard.acl a
      LEFT JOIN %1$I.ducklake_schema s ON s.schema_id = a.schema_id AND s.end_snapshot IS NULL
      LEFT JOIN %1$I.ducklake_table t ON t.table_id = a.table_id AND t.end_snapshot IS NULL
     WHERE $1 IS NULL OR a.reader = $1
     ORDER BY a.reader, a.schema_name, a.table_name NULLS FIRST$q$, v_schema) USING p_reader;
END
$$;

CREATE OR REPLACE FUNCTION ducklake_guard.on_create_table() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_schema text := ducklake_guard.catalog_schema();
  r record;
BEGIN
  FOR r IN SELECT c.relname FROM pg_catalog.pg_event_trigger_ddl_commands() d JOIN pg_catalog.pg_class c ON c.oid = d.objid
            WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.schema_name = v_schema AND c.relkind = 'r' LOOP
    BEGIN
      IF r.relname ~ '^ducklake_inlined_(data_[0-9]+_[0-9]+|delete_[0-9]+)$' THEN
        PERFORM ducklake_guard.sync_inlined_grants(NULL,
          ARRAY[(regexp_match(r.relname, '^ducklake_inlined_(?:data|delete)_([0-9]+)'))[1]::bigint]);
      ELSIF EXISTS (SELECT FROM ducklake_guard.catalog_rule cr WHERE cr.table_name = r.relname) THEN
        PERFORM ducklake_guard.protect_all();
      END IF;
    EXCEPTION WHEN OTHERS THEN
      -- Never break the writer's commit; the table simply stays unreadable for readers (fail closed).
      RAISE WARNING 'ducklake_guard could not grant/protect %.%: % (run SELECT ducklake_guard.resync() as the catalog owner)',
        v_schema, r.relname, SQLERRM;
    END;
  END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION ducklake_guard.log_acl_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE e record;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    INSERT INTO ducklake_guard.acl_log (action, reader, reader_oid, schema_name, table_name, schema_id, table_id, granted_at, granted_by)
      SELECT 'revoke', a.reader, a.reader_oid, a.schema_name, a.table_name, a.schema_id, a.table_id, a.granted_at, a.granted_by
        FROM ducklake_guard.acl a ORDER BY a.reader, a.schema_name, a.table_name NULLS FIRST;
    RETURN NULL;
  END IF;
  IF TG_OP = 'DELETE' THEN e := OLD; ELSE e := NEW; END IF;
  INSERT INTO ducklake_guard.acl_log (action, reader, reader_oid, schema_name, table_name, schema_id, table_id, granted_at, granted_by, previous)
    VALUES (CASE TG_OP WHEN 'INSERT' THEN 'grant' WHEN 'DELETE' THEN 'revoke' ELSE 'update' END,
            e.reader, e.reader_oid, e.schema_name, e.table_name, e.schema_id, e.table_id, e.granted_at, e.granted_by,
            CASE WHEN TG_OP = 'UPDATE' THEN to_jsonb(OLD) END);
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION ducklake_guard.acl_log_append_only() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RAISE EXCEPTION 'ducklake_guard.acl_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege',
    HINT = 'It is the change log of the catalog ACL. To prune it on purpose, the catalog owner disables the trigger first: ALTER TABLE ducklake_guard.acl_log DISABLE TRIGGER USER (see docs/catalog-guard.md).';
END
$$;

-- ---- 1. Enforcing every ACL change -------------------------------------------------------------------------

-- BEFORE each statement on the ACL: take the lock grant_read/revoke_read/resync hold, before any row lock of
-- the ACL, so a hand edit and a concurrent grant serialize instead of deadlocking. The lock is a row lock on a
-- guard table only the owner may touch: 001-005 used advisory lock 7433205102, which any role (a reader) could
-- hold to stall every grant and revoke.
CREATE OR REPLACE FUNCTION ducklake_guard.lock_acl() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM FROM ducklake_guard.setting s WHERE s.key = 'catalog_schema' FOR UPDATE;
  RETURN NULL;
END
$$;

-- AFTER each statement on the ACL: rebuild `visible` and the inlined-table grants of every reader whose
-- entries the statement inserted, changed or removed (by oid, and any role now holding the entry's name).
-- TRUNCATE has no transition table: everything is rebuilt.
CREATE OR REPLACE FUNCTION ducklake_guard.enforce_acl_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_oids oid[];
  v_names name[];
  o oid;
  r record;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM ducklake_guard.refresh_visible(NULL);
    PERFORM ducklake_guard.sync_inlined_grants(NULL, NULL);
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(DISTINCT n.reader_oid), array_agg(DISTINCT n.reader) INTO v_oids, v_names FROM new_rows n;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(DISTINCT d.reader_oid), array_agg(DISTINCT d.reader) INTO v_oids, v_names FROM old_rows d;
  ELSE
    SELECT array_agg(DISTINCT x.reader_oid), array_agg(DISTINCT x.reader) INTO v_oids, v_names
      FROM (SELECT n.reader_oid, n.reader FROM new_rows n UNION ALL SELECT d.reader_oid, d.reader FROM old_rows d) x;
  END IF;
  IF v_oids IS NULL THEN RETURN NULL; END IF; -- the statement changed no row
  -- An entry added or changed by hand meets grant_read's rules: no role that bypasses or owns the guard, and
  -- the reader is enrolled in ducklake_reader (else the catalog policies would not apply to it).
  IF TG_OP <> 'DELETE' THEN
    FOR r IN SELECT DISTINCT n.reader FROM new_rows n
               JOIN pg_catalog.pg_roles ro ON ro.oid = n.reader_oid AND ro.rolname = n.reader LOOP
      PERFORM ducklake_guard.check_reader(r.reader);
      IF NOT pg_catalog.pg_has_role(r.reader, 'ducklake_reader', 'MEMBER') THEN
        EXECUTE pg_catalog.format('GRANT ducklake_reader TO %I', r.reader);
      END IF;
    END LOOP;
  END IF;
  SELECT array_agg(DISTINCT u) INTO v_oids
    FROM unnest(v_oids || ARRAY(SELECT ro.oid FROM pg_catalog.pg_roles ro WHERE ro.rolname = ANY (v_names))) u;
  FOREACH o IN ARRAY v_oids LOOP
    PERFORM ducklake_guard.refresh_visible(o);
  END LOOP;
  IF cardinality(v_oids) = 1 THEN
    PERFORM ducklake_guard.sync_inlined_grants(v_oids[1], NULL);
  ELSE
    PERFORM ducklake_guard.sync_inlined_grants(NULL, NULL);
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER enforce_lock BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON ducklake_guard.acl
  FOR EACH STATEMENT EXECUTE FUNCTION ducklake_guard.lock_acl();
CREATE OR REPLACE TRIGGER enforce_insert AFTER INSERT ON ducklake_guard.acl
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ducklake_guard.enforce_acl_change();
CREATE OR REPLACE TRIGGER enforce_update AFTER UPDATE ON ducklake_guard.acl
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ducklake_guard.enforce_acl_change();
CREATE OR REPLACE TRIGGER enforce_delete AFTER DELETE ON ducklake_guard.acl
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ducklake_guard.enforce_acl_change();
CREATE OR REPLACE TRIGGER enforce_truncate AFTER TRUNCATE ON ducklake_guard.acl
  FOR EACH STATEMENT EXECUTE FUNCTION ducklake_guard.enforce_acl_change();
-- ALWAYS: they fire under session_replication_role = replica too (the log and the enforcement alike).
ALTER TABLE ducklake_guard.acl ENABLE ALWAYS TRIGGER enforce_lock, ENABLE ALWAYS TRIGGER enforce_insert,
  ENABLE ALWAYS TRIGGER enforce_update, ENABLE ALWAYS TRIGGER enforce_delete, ENABLE ALWAYS TRIGGER enforce_truncate,
  ENABLE ALWAYS TRIGGER log_insert_delete, ENABLE ALWAYS TRIGGER log_update, ENABLE ALWAYS TRIGGER log_truncate;
ALTER TABLE ducklake_guard.visible ENABLE ALWAYS TRIGGER recount_after_insert, ENABLE ALWAYS TRIGGER recount_after_delete;

-- ---- 3. What `npm run status` checks -----------------------------------------------------------------------

-- Differences between what the ACL says and what is enforced: `visible` ids missing or extra, and SELECT on
-- inlined tables missing or extra. Empty when everything agrees; repair with SELECT ducklake_guard.resync().
CREATE OR REPLACE FUNCTION ducklake_guard.enforcement_drift()
RETURNS TABLE (area text, reader name, detail text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_schema text := ducklake_guard.catalog_schema();
BEGIN
  RETURN QUERY
    WITH e AS (SELECT x.role_oid, x.kind, x.object_id FROM ducklake_guard.expected_visible(NULL) x),
    v AS (SELECT y.role_oid, y.kind, y.object_id FROM ducklake_guard.visible y)
    SELECT 'visible'::text, coalesce(ro.rolname, ('oid ' || d.role_oid)::name),
           CASE d.kind WHEN 's' THEN 'schema' WHEN 't' THEN 'table' WHEN 'v' THEN 'view' ELSE 'macro' END
             || ' id ' || d.object_id || CASE WHEN d.missing THEN ' is granted but not visible' ELSE ' is visible but not granted' END
      FROM (SELECT e.*, true AS missing FROM e WHERE NOT EXISTS (SELECT FROM v WHERE v.role_oid = e.role_oid AND v.kind = e.kind AND v.object_id = e.object_id)
            UNION ALL
            SELECT v.*, false FROM v WHERE NOT EXISTS (SELECT FROM e WHERE e.role_oid = v.role_oid AND e.kind = v.kind AND e.object_id = v.object_id)) d
      LEFT JOIN pg_catalog.pg_roles ro ON ro.oid = d.role_oid;
  RETURN QUERY
    WITH inl AS (SELECT c.relname, c.relowner, c.relacl,
                        (regexp_match(c.relname, '^ducklake_inlined_(?:data|delete)_([0-9]+)'))[1]::bigint AS table_id
                   FROM pg_catalog.pg_class c
                  WHERE c.relnamespace = to_regnamespace(quote_ident(v_schema)) AND c.relkind = 'r'
                    AND c.relname ~ '^ducklake_inlined_(data_[0-9]+_[0-9]+|delete_[0-9]+)$')
    SELECT 'inlined'::text, ro.rolname, format('may not SELECT %I.%I although it sees table id %s', v_schema, inl.relname, inl.table_id)
      FROM inl JOIN ducklake_guard.visible vi ON vi.kind = 't' AND vi.object_id = inl.table_id
      JOIN pg_catalog.pg_roles ro ON ro.oid = vi.role_oid
     WHERE NOT EXISTS (SELECT FROM pg_catalog.aclexplode(inl.relacl) a WHERE a.grantee = vi.role_oid AND a.privilege_type = 'SELECT')
    UNION ALL
    SELECT 'inlined'::text, CASE WHEN a.grantee = 0 THEN 'PUBLIC'::name ELSE ro.rolname END,
           format('may %s %I.%I (table id %s) without a grant (granted by %s)', a.privilege_type, v_schema, inl.relname, inl.table_id,
                  coalesce(gr.rolname, 'oid ' || a.grantor))
      FROM inl, pg_catalog.aclexplode(inl.relacl) a
      LEFT JOIN pg_catalog.pg_roles ro ON ro.oid = a.grantee
      LEFT JOIN pg_catalog.pg_roles gr ON gr.oid = a.grantor
     WHERE a.grantee <> inl.relowner
       -- The catalog owner holds ADMIN on ducklake_reader (so counts as a member) and its own grants on the writer's tables.
       AND a.grantee IS DISTINCT FROM (SELECT ro2.oid FROM pg_catalog.pg_roles ro2 JOIN ducklake_guard.setting st
                                        ON st.key = 'catalog_owner' AND st.value = ro2.rolname)
       AND (a.grantee = 0 OR pg_catalog.pg_has_role(a.grantee, 'ducklake_reader', 'MEMBER'))
       AND NOT EXISTS (SELECT FROM ducklake_guard.visible vi WHERE vi.role_oid = a.grantee AND vi.kind = 't' AND vi.object_id = inl.table_id);
  -- Any other relation in the catalog schema (a view or table the writer made and granted, say) readable by a
  -- reader or PUBLIC: the guard does not manage it, so nothing filters it.
  RETURN QUERY
    SELECT 'other'::text, CASE WHEN a.grantee = 0 THEN 'PUBLIC'::name ELSE ro.rolname END,
           format('may %s %I.%I, which is not a catalog table the guard filters (granted by %s)', a.privilege_type, v_schema, c.relname,
                  coalesce(gr.rolname, 'oid ' || a.grantor))
      FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
      LEFT JOIN pg_catalog.pg_roles ro ON ro.oid = a.grantee
      LEFT JOIN pg_catalog.pg_roles gr ON gr.oid = a.grantor
     WHERE c.relnamespace = to_regnamespace(quote_ident(v_schema)) AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
       AND c.relname !~ '^ducklake_inlined_(data_[0-9]+_[0-9]+|delete_[0-9]+)$'
       AND NOT EXISTS (SELECT FROM ducklake_guard.catalog_rule cr WHERE cr.table_name = c.relname)
       AND a.grantee <> c.relowner
       AND (a.grantee = 0 OR pg_catalog.pg_has_role(a.grantee, 'ducklake_reader', 'MEMBER'))
       AND a.grantee IS DISTINCT FROM (SELECT ro2.oid FROM pg_catalog.pg_roles ro2 JOIN ducklake_guard.setting st
                                        ON st.key = 'catalog_owner' AND st.value = ro2.rolname);
END
$$;

REVOKE ALL ON FUNCTION ducklake_guard.expected_visible(oid), ducklake_guard.lock_acl(), ducklake_guard.enforce_acl_change(),
  ducklake_guard.enforcement_drift() FROM PUBLIC;

-- Functions reading the guard's own tables no role but the owner may use: nothing here is for readers
-- (policies read `visible` directly). Re-stated for every guard function, whichever migration made it.
DO $guard$
DECLARE f record;
BEGIN
  FOR f IN SELECT p.oid::pg_catalog.regprocedure AS sig FROM pg_catalog.pg_proc p
            WHERE p.pronamespace = 'ducklake_guard'::pg_catalog.regnamespace LOOP
    EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f.sig);
  END LOOP;
END
$guard$;

-- ---- 2. TEMPORARY: nobody but the owner (and superusers) ---------------------------------------------------
-- 001 already revoked it from PUBLIC; say so again for the reader role (no-op unless granted by hand). The
-- writer's grant is the deployment's business (components/catalog.ts grants CONNECT only).
DO $guard$
BEGIN
  EXECUTE pg_catalog.format('REVOKE TEMPORARY ON DATABASE %I FROM ducklake_reader', pg_catalog.current_database());
EXCEPTION WHEN insufficient_privilege THEN
  RAISE WARNING 'could not revoke TEMPORARY from ducklake_reader (not the database owner)';
END
$guard$;

-- ---- 5. What each object is for ---------------------------------------------------------------------------
COMMENT ON SCHEMA ducklake_guard IS 'ducklake_guard: row-level security over the DuckLake catalog. Owned by the catalog owner; readers (ducklake_reader) may only read their own rows of visible/visible_count. See docs/catalog-guard.md.';
COMMENT ON TABLE ducklake_guard.migration IS 'ducklake_guard: applied guard migrations (sql/NNN_*.sql) and the sha256 of each file; the installer refuses to run over a changed one. Owner only.';
COMMENT ON COLUMN ducklake_guard.migration.sha256 IS 'sha256 of the migration file as applied (line endings normalized to LF); NULL until the installer recorded it.';
COMMENT ON TABLE ducklake_guard.setting IS 'ducklake_guard: install settings (catalog_schema, catalog_owner, event_trigger). Owner only.';
COMMENT ON TABLE ducklake_guard.acl IS 'ducklake_guard: the ACL, one row per grant (reader, DuckLake schema, table or NULL for the whole schema; ids pinned at grant time). Owner only; change it with grant_read/revoke_read or by hand: every INSERT/UPDATE/DELETE/TRUNCATE is logged (acl_log) and enforced in the same statement.';
COMMENT ON TABLE ducklake_guard.visible IS 'ducklake_guard: the ACL resolved to catalog ids per role oid (kind s/t/v/m), read by the catalog policies. Maintained by the guard''s triggers and functions only; each reader may SELECT its own rows.';
COMMENT ON TABLE ducklake_guard.visible_count IS 'ducklake_guard: number of visible tables per role, kept by triggers on visible; the table rule switches to per-row probes above 1,000. Each reader may SELECT its own row.';
COMMENT ON TABLE ducklake_guard.catalog_rule IS 'ducklake_guard: how each DuckLake catalog table is filtered for readers (rule expanded by rule_predicate) and which link columns get indexes. The one list of catalog tables: the CLIs read it. Owner only.';
COMMENT ON TABLE ducklake_guard.acl_log IS 'ducklake_guard: append-only change log of the ACL (who granted or revoked what, when, from which session). Owner and superusers only; not tamper-proof against them.';
COMMENT ON SEQUENCE ducklake_guard.acl_log_id_seq IS 'ducklake_guard: ids of acl_log rows. Owner only.';
COMMENT ON POLICY own_rows ON ducklake_guard.visible IS 'ducklake_guard: a reader sees only its own visible ids.';
COMMENT ON POLICY own_row ON ducklake_guard.visible_count IS 'ducklake_guard: a reader sees only its own count.';
COMMENT ON FUNCTION ducklake_guard.recount_visible() IS 'ducklake_guard trigger on visible: recounts visible tables of the roles a statement touched. Not callable.';
COMMENT ON FUNCTION ducklake_guard.visible_ids_sql(text) IS 'ducklake_guard: builds the uncorrelated sub-select of the current role''s visible ids used in policies. Owner only (install time).';
COMMENT ON FUNCTION ducklake_guard.rule_predicate(text, text) IS 'ducklake_guard: the policy expression of one catalog_rule rule. Owner only (install time).';
COMMENT ON FUNCTION ducklake_guard.protect_catalog() IS 'ducklake_guard: enables RLS, the ducklake_guard_read policy, reader SELECT and the link indexes on every catalog table that exists. Owner only; called by protect_all().';
COMMENT ON FUNCTION ducklake_guard.catalog_schema() IS 'ducklake_guard: the PostgreSQL schema holding the DuckLake catalog. Owner only.';
COMMENT ON FUNCTION ducklake_guard.has_catalog_table(text) IS 'ducklake_guard: whether a catalog table exists yet. Owner only.';
COMMENT ON FUNCTION ducklake_guard.expected_visible(oid) IS 'ducklake_guard: what visible should hold for one role (or all): the ACL resolved against the catalog. Owner only.';
COMMENT ON FUNCTION ducklake_guard.refresh_visible(oid) IS 'ducklake_guard: makes visible equal expected_visible for one role (or all). Owner only; run by the ACL triggers.';
COMMENT ON FUNCTION ducklake_guard.sync_inlined_grants(oid, bigint[]) IS 'ducklake_guard: makes SELECT on inlined tables match visible (grants missing, revokes extra, readers and PUBLIC only). Owner only.';
COMMENT ON FUNCTION ducklake_guard.resync() IS 'ducklake_guard: rebuilds visible and every inlined-table grant from the ACL (repair after restores). Owner only.';
COMMENT ON FUNCTION ducklake_guard.on_catalog_insert() IS 'ducklake_guard trigger on ducklake_table/_view/_macro/_inlined_data_tables: follows objects DuckLake adds. Not callable.';
COMMENT ON FUNCTION ducklake_guard.attach_triggers() IS 'ducklake_guard: (re)creates the ducklake_guard_resolve triggers on the catalog tables. Owner only.';
COMMENT ON FUNCTION ducklake_guard.protect_all() IS 'ducklake_guard: protect_catalog + attach_triggers + resync; safe any time. Owner only.';
COMMENT ON FUNCTION ducklake_guard.check_reader(name) IS 'ducklake_guard: refuses a reader that would bypass or own the guard (superuser, BYPASSRLS, owner, member of it). Owner only.';
COMMENT ON FUNCTION ducklake_guard.grant_read(name, text, text) IS 'ducklake_guard: grants a reader one DuckLake table, or a whole schema (table NULL); true if the ACL changed. Owner only.';
COMMENT ON FUNCTION ducklake_guard.revoke_read(name, text, text) IS 'ducklake_guard: removes one grant, effective from the reader''s next statement; false if there was none. Owner only.';
COMMENT ON FUNCTION ducklake_guard.list_grants(name) IS 'ducklake_guard: the ACL with what each pinned id is called now (active | renamed | dropped | role missing). Owner only.';
COMMENT ON FUNCTION ducklake_guard.on_create_table() IS 'ducklake_guard event trigger function: grants new inlined tables, protects new catalog tables. Not callable.';
COMMENT ON FUNCTION ducklake_guard.log_acl_change() IS 'ducklake_guard trigger on acl: appends each change to acl_log, as the editing role. Not callable.';
COMMENT ON FUNCTION ducklake_guard.acl_log_append_only() IS 'ducklake_guard trigger on acl_log: refuses UPDATE, DELETE, TRUNCATE. Not callable.';
COMMENT ON FUNCTION ducklake_guard.lock_acl() IS 'ducklake_guard trigger on acl: serializes ACL statements with grant_read/revoke_read/resync (row lock on setting). Not callable.';
COMMENT ON FUNCTION ducklake_guard.enforce_acl_change() IS 'ducklake_guard trigger on acl: rebuilds visible and inlined grants of the readers an ACL statement touched, in that statement. Not callable.';
COMMENT ON FUNCTION ducklake_guard.enforcement_drift() IS 'ducklake_guard: where visible or inlined-table grants disagree with the ACL, and other catalog-schema relations readers may read (empty when all agrees; repair: SELECT ducklake_guard.resync(), or REVOKE what another role granted). Owner only.';
COMMENT ON TRIGGER recount_after_insert ON ducklake_guard.visible IS 'ducklake_guard: keeps visible_count.';
COMMENT ON TRIGGER recount_after_delete ON ducklake_guard.visible IS 'ducklake_guard: keeps visible_count.';
COMMENT ON TRIGGER log_insert_delete ON ducklake_guard.acl IS 'ducklake_guard: logs grants and revokes to acl_log.';
COMMENT ON TRIGGER log_update ON ducklake_guard.acl IS 'ducklake_guard: logs changed entries to acl_log.';
COMMENT ON TRIGGER log_truncate ON ducklake_guard.acl IS 'ducklake_guard: logs every entry a TRUNCATE removes.';
COMMENT ON TRIGGER enforce_lock ON ducklake_guard.acl IS 'ducklake_guard: serializes ACL statements (row lock on setting catalog_schema, which only the owner can take).';
COMMENT ON TRIGGER enforce_insert ON ducklake_guard.acl IS 'ducklake_guard: enforces inserted grants in the same statement.';
COMMENT ON TRIGGER enforce_update ON ducklake_guard.acl IS 'ducklake_guard: enforces changed grants in the same statement.';
COMMENT ON TRIGGER enforce_delete ON ducklake_guard.acl IS 'ducklake_guard: enforces removed grants in the same statement.';
COMMENT ON TRIGGER enforce_truncate ON ducklake_guard.acl IS 'ducklake_guard: rebuilds everything after a TRUNCATE of the ACL.';
COMMENT ON TRIGGER append_only ON ducklake_guard.acl_log IS 'ducklake_guard: acl_log is append-only.';
COMMENT ON TRIGGER append_only_truncate ON ducklake_guard.acl_log IS 'ducklake_guard: acl_log is append-only.';

UPDATE ducklake_guard.catalog_rule
   SET why = 'a schema is visible when the reader can see something in it; DuckLake''s default schema main always (its row only: DuckDB needs it to USE the lake and for DuckLake''s functions)'
 WHERE table_name = 'ducklake_schema';

-- Policies, indexes and triggers on the catalog tables get their comments from the redefined functions.
SELECT ducklake_guard.protect_catalog();
SELECT ducklake_guard.attach_triggers();
SELECT ducklake_guard.resync();

RESET ROLE;
DO $guard$
BEGIN
  IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
    IF EXISTS (SELECT FROM pg_catalog.pg_event_trigger WHERE evtname = 'ducklake_guard_create_table') THEN
      COMMENT ON EVENT TRIGGER ducklake_guard_create_table IS 'ducklake_guard: grants a new inlined table to exactly the readers of its DuckLake table; protects a new catalog table.';
    END IF;
    COMMENT ON ROLE ducklake_reader IS 'ducklake_guard: NOLOGIN base role of catalog readers; its members see catalog rows only through the guard''s policies.';
  ELSE
    RAISE WARNING 'not a superuser: the event trigger and the ducklake_reader role keep no comment (run sql/006_guard_integrity.sql as a superuser to add them)';
  END IF;
END
$guard$;

INSERT INTO ducklake_guard.migration (version, name) VALUES (6, '006_guard_integrity') ON CONFLICT (version) DO NOTHING;
COMMIT;
