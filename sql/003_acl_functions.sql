-- ducklake_guard 003: resolving the ACL into ids, the owner-only ACL functions (grant_read, revoke_read,
-- list_grants), triggers that keep ids current as DuckLake writes, and SELECT grants on inlined tables.
--
-- Resolution happens when the ACL or the catalog changes, never per query. Functions are SECURITY
-- DEFINER owned by the catalog owner with a fixed search_path; EXECUTE is revoked from PUBLIC, so only
-- the owner (and superusers) can change or read the ACL.
BEGIN;
SELECT pg_catalog.pg_advisory_xact_lock(7433205101);
DO $guard$
DECLARE v_owner text;
BEGIN
  IF NOT EXISTS (SELECT FROM ducklake_guard.migration WHERE version = 2) THEN
    RAISE EXCEPTION 'apply sql/002_catalog_policies.sql first';
  END IF;
  SELECT value INTO v_owner FROM ducklake_guard.setting WHERE key = 'catalog_owner';
  IF v_owner <> current_user THEN EXECUTE format('SET LOCAL ROLE %I', v_owner); END IF;
END
$guard$;

CREATE OR REPLACE FUNCTION ducklake_guard.catalog_schema() RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog AS $$
  SELECT value FROM ducklake_guard.setting WHERE key = 'catalog_schema'
$$;

-- True when the catalog table exists (the guard can be installed before DuckLake's first ATTACH).
CREATE OR REPLACE FUNCTION ducklake_guard.has_catalog_table(p_table text) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog AS $$
  SELECT to_regclass(format('%I.%I', ducklake_guard.catalog_schema(), p_table)) IS NOT NULL
$$;

-- Rebuilds the visible ids of one reader (or all) from the ACL and the catalog.
CREATE OR REPLACE FUNCTION ducklake_guard.refresh_visible(p_reader_oid oid DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  v_schema text := ducklake_guard.catalog_schema();
  v_sql text;
  n bigint;
BEGIN
  DELETE FROM ducklake_guard.visible WHERE p_reader_oid IS NULL OR role_oid = p_reader_oid;
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
  EXECUTE 'INSERT INTO ducklake_guard.visible (role_oid, kind, object_id) ' || v_sql || ' ON CONFLICT DO NOTHING' USING p_reader_oid;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;

-- Makes SELECT on inlined tables (ducklake_inlined_data_<t>_<v>, ducklake_inlined_delete_<t>) match the
-- visible table ids exactly: grants what is missing, revokes what is no longer granted.
CREATE OR REPLACE FUNCTION ducklake_guard.sync_inlined_grants(p_reader_oid oid DEFAULT NULL, p_table_ids bigint[] DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  v_schema text := ducklake_guard.catalog_schema();
  r record;
  g record;
  n integer := 0;
BEGIN
  FOR r IN SELECT c.oid, c.relname, c.relowner, c.relacl,
                  (regexp_match(c.relname, '^ducklake_inlined_(?:data|delete)_([0-9]+)'))[1]::bigint AS table_id
             FROM pg_class c
            WHERE c.relnamespace = to_regnamespace(quote_ident(v_schema)) AND c.relkind = 'r'
              AND c.relname ~ '^ducklake_inlined_(data_[0-9]+_[0-9]+|delete_[0-9]+)$' LOOP
    CONTINUE WHEN p_table_ids IS NOT NULL AND NOT r.table_id = ANY (p_table_ids);
    -- Grantees that should not be there (PUBLIC is grantee 0). Only PUBLIC and readers are touched: the
    -- catalog owner holds SELECT WITH GRANT OPTION on tables the writer creates, which is what lets it
    -- grant them to readers here.
    FOR g IN SELECT DISTINCT a.grantee FROM aclexplode(r.relacl) a
              WHERE a.grantee <> r.relowner AND (p_reader_oid IS NULL OR a.grantee = p_reader_oid OR a.grantee = 0)
                AND (a.grantee = 0 OR pg_has_role(a.grantee, 'ducklake_reader', 'MEMBER'))
                AND NOT EXISTS (SELECT FROM ducklake_guard.visible v WHERE v.role_oid = a.grantee AND v.kind = 't' AND v.object_id = r.table_id) LOOP
      IF g.grantee = 0 THEN
        EXECUTE format('REVOKE ALL ON %I.%I FROM PUBLIC', v_schema, r.relname);
      ELSE
        EXECUTE format('REVOKE ALL ON %I.%I FROM %I', v_schema, r.relname, (SELECT rolname FROM pg_roles WHERE oid = g.grantee));
      END IF;
      n := n + 1;
    END LOOP;
    -- Readers that should have SELECT and do not.
    FOR g IN SELECT ro.rolname FROM ducklake_guard.visible v JOIN pg_roles ro ON ro.oid = v.role_oid
              WHERE v.kind = 't' AND v.object_id = r.table_id AND (p_reader_oid IS NULL OR v.role_oid = p_reader_oid)
                AND NOT EXISTS (SELECT FROM aclexplode(r.relacl) a WHERE a.grantee = v.role_oid AND a.privilege_type = 'SELECT') LOOP
      EXECUTE format('GRANT SELECT ON %I.%I TO %I', v_schema, r.relname, g.rolname);
      n := n + 1;
    END LOOP;
  END LOOP;
  RETURN n;
END
$$;

-- Rebuilds everything from scratch (repair after restores or manual edits).
CREATE OR REPLACE FUNCTION ducklake_guard.resync() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(7433205102);
  PERFORM ducklake_guard.refresh_visible(NULL);
  PERFORM ducklake_guard.sync_inlined_grants(NULL, NULL);
END
$$;

-- Catalog triggers: a table, view or macro created in a schema granted whole becomes visible at once.
CREATE OR REPLACE FUNCTION ducklake_guard.on_catalog_insert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE v_ids bigint[];
BEGIN
  IF TG_TABLE_NAME = 'ducklake_table' THEN
    INSERT INTO ducklake_guard.visible (role_oid, kind, object_id)
      SELECT DISTINCT a.reader_oid, 't'::"char", n.table_id FROM new_rows n JOIN ducklake_guard.acl a
          ON a.schema_id = n.schema_id AND a.table_id IS NULL
        JOIN pg_roles r ON r.oid = a.reader_oid AND r.rolname = a.reader
      ON CONFLICT DO NOTHING;
    SELECT array_agg(DISTINCT table_id) INTO v_ids FROM new_rows;
    PERFORM ducklake_guard.sync_inlined_grants(NULL, v_ids);
  ELSIF TG_TABLE_NAME = 'ducklake_view' THEN
    INSERT INTO ducklake_guard.visible (role_oid, kind, object_id)
      SELECT DISTINCT a.reader_oid, 'v'::"char", n.view_id FROM new_rows n JOIN ducklake_guard.acl a
          ON a.schema_id = n.schema_id AND a.table_id IS NULL
        JOIN pg_roles r ON r.oid = a.reader_oid AND r.rolname = a.reader
      ON CONFLICT DO NOTHING;
  ELSIF TG_TABLE_NAME = 'ducklake_macro' THEN
    INSERT INTO ducklake_guard.visible (role_oid, kind, object_id)
      SELECT DISTINCT a.reader_oid, 'm'::"char", n.macro_id FROM new_rows n JOIN ducklake_guard.acl a
          ON a.schema_id = n.schema_id AND a.table_id IS NULL
        JOIN pg_roles r ON r.oid = a.reader_oid AND r.rolname = a.reader
      ON CONFLICT DO NOTHING;
  ELSIF TG_TABLE_NAME = 'ducklake_inlined_data_tables' THEN
    SELECT array_agg(DISTINCT table_id) INTO v_ids FROM new_rows;
    PERFORM ducklake_guard.sync_inlined_grants(NULL, v_ids);
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION ducklake_guard.attach_triggers() RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
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
    n := n + 1;
  END LOOP;
  RETURN n;
END
$$;

-- Protects whatever catalog tables exist now; safe to call any time.
CREATE OR REPLACE FUNCTION ducklake_guard.protect_all() RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE n integer;
BEGIN
  n := ducklake_guard.protect_catalog();
  PERFORM ducklake_guard.attach_triggers();
  PERFORM ducklake_guard.resync();
  RETURN n;
END
$$;

-- The reader role must be able to use its grants and must not see more than its grants.
CREATE OR REPLACE FUNCTION ducklake_guard.check_reader(p_reader name) RETURNS oid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  r record;
  v_owner text := (SELECT value FROM ducklake_guard.setting WHERE key = 'catalog_owner');
BEGIN
  IF p_reader IS NULL OR p_reader = '' THEN
    RAISE EXCEPTION 'reader must not be empty' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT oid, rolsuper, rolbypassrls INTO r FROM pg_roles WHERE rolname = p_reader;
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

-- Grants a reader one DuckLake table, or (p_table NULL) a whole schema including tables created later.
-- Names are resolved against the current snapshot; the ids are pinned. Returns true if the ACL changed.
CREATE OR REPLACE FUNCTION ducklake_guard.grant_read(p_reader name, p_schema text, p_table text DEFAULT NULL) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  v_schema text := ducklake_guard.catalog_schema();
  v_oid oid;
  v_schema_id bigint;
  v_table_id bigint;
  v_changed boolean;
BEGIN
  PERFORM pg_advisory_xact_lock(7433205102);
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
  INSERT INTO ducklake_guard.acl AS a (reader, reader_oid, schema_name, table_name, schema_id, table_id)
    VALUES (p_reader, v_oid, p_schema, p_table, v_schema_id, v_table_id)
    ON CONFLICT ON CONSTRAINT acl_one_grant DO UPDATE
      SET reader_oid = EXCLUDED.reader_oid, schema_id = EXCLUDED.schema_id, table_id = EXCLUDED.table_id,
          granted_at = now(), granted_by = session_user
      WHERE (a.reader_oid, a.schema_id, a.table_id) IS DISTINCT FROM (EXCLUDED.reader_oid, EXCLUDED.schema_id, EXCLUDED.table_id);
  GET DIAGNOSTICS v_changed = ROW_COUNT;
  IF NOT pg_has_role(p_reader, 'ducklake_reader', 'MEMBER') THEN
    EXECUTE format('GRANT ducklake_reader TO %I', p_reader);
  END IF;
  PERFORM ducklake_guard.refresh_visible(v_oid);
  PERFORM ducklake_guard.sync_inlined_grants(v_oid, NULL);
  RETURN v_changed;
END
$$;

-- Removes one grant. Returns false when there was nothing to revoke. Effective from the reader's next query.
CREATE OR REPLACE FUNCTION ducklake_guard.revoke_read(p_reader name, p_schema text, p_table text DEFAULT NULL) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  v_oids oid[];
BEGIN
  PERFORM pg_advisory_xact_lock(7433205102);
  WITH d AS (DELETE FROM ducklake_guard.acl WHERE reader = p_reader AND schema_name = p_schema
               AND table_name IS NOT DISTINCT FROM p_table RETURNING reader_oid)
  SELECT array_agg(reader_oid) INTO v_oids FROM d;
  IF v_oids IS NULL THEN RETURN false; END IF;
  -- Also clears a same-named role's leftovers (the role may have been dropped and re-created).
  v_oids := v_oids || ARRAY(SELECT oid FROM pg_roles WHERE rolname = p_reader);
  PERFORM ducklake_guard.refresh_visible(o) FROM unnest(v_oids) o;
  PERFORM ducklake_guard.sync_inlined_grants(o, NULL) FROM unnest(v_oids) o;
  RETURN true;
END
$$;

-- The ACL with what each grant points at now. status: active | renamed | dropped | role missing.
CREATE OR REPLACE FUNCTION ducklake_guard.list_grants(p_reader name DEFAULT NULL)
RETURNS TABLE (reader name, schema_name text, table_name text, schema_id bigint, table_id bigint,
               current_schema_name text, current_table_name text, status text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
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

REVOKE ALL ON FUNCTION ducklake_guard.catalog_schema(), ducklake_guard.has_catalog_table(text),
  ducklake_guard.refresh_visible(oid), ducklake_guard.sync_inlined_grants(oid, bigint[]), ducklake_guard.resync(),
  ducklake_guard.on_catalog_insert(), ducklake_guard.attach_triggers(), ducklake_guard.protect_all(),
  ducklake_guard.check_reader(name), ducklake_guard.grant_read(name, text, text), ducklake_guard.revoke_read(name, text, text),
  ducklake_guard.list_grants(name) FROM PUBLIC;

SELECT ducklake_guard.attach_triggers();
SELECT ducklake_guard.resync();

INSERT INTO ducklake_guard.migration (version, name) VALUES (3, '003_acl_functions') ON CONFLICT (version) DO NOTHING;
COMMIT;
