-- ducklake_guard: the guard without superuser (issue 17: the catalog on an existing, e.g. managed, PostgreSQL).
--
-- 1. A writer without BYPASSRLS: protect_catalog() also gives the recorded writer role (setting catalog_writer,
--    install parameter ducklake_guard.catalog_writer or ducklake_guard.set_catalog_writer()) one permissive
--    policy ducklake_guard_write FOR ALL ... USING (true) WITH CHECK (true) on every protected catalog table.
--    Policies apply to members of a role too: check_reader refuses the writer and its members.
-- 2. New inlined tables (data AND delete) are granted at COMMIT, without an event trigger: a deferred constraint
--    trigger on ducklake_snapshot (DuckLake inserts one row per commit) grants the inlined tables whose pg_class
--    row the committing transaction wrote. It never fails the writer's commit: on error the tables stay
--    unreadable for readers (fail closed) with a WARNING. Attached by protect_all(), so also after DuckLake's
--    first ATTACH when the guard was installed into an empty database.
-- 3. check_reader also refuses the writer, and members of the writer or of the owner.
-- 4. setting inlined_grants: how new inlined tables get granted (commit_trigger[,event_trigger]); `status` reads it
--    and checks it against the triggers present.
-- 5. ducklake_guard.unprotected_catalog_tables(): what protect_all() would repair (read by the guard provider's
--    diff, so the next `pulumi up` protects catalog tables created after the install).
--
-- Nothing here needs a superuser: run as the catalog owner (login, or SET ROLE by an admin that is a member of it).
BEGIN;
-- This migration's number and name: the only place they are written (the installer records the file's hash
-- under this version; the previous migration is required generically as version - 1).
SELECT pg_catalog.set_config('ducklake_guard.this_version', '8', true),
       pg_catalog.set_config('ducklake_guard.this_name', '008_external_catalog', true);
SELECT pg_catalog.pg_advisory_xact_lock(7433205101);
DO $guard$
DECLARE
  v_owner text;
  v_version integer := pg_catalog.current_setting('ducklake_guard.this_version')::integer;
  v_writer text := nullif(pg_catalog.current_setting('ducklake_guard.catalog_writer', true), '');
  v_guard_owner oid := (SELECT n.nspowner FROM pg_catalog.pg_namespace n WHERE n.nspname = 'ducklake_guard');
BEGIN
  IF pg_catalog.to_regclass('ducklake_guard.migration') IS NULL THEN
    RAISE EXCEPTION 'apply guard migration % first (sql/%_*.sql)', v_version - 1, lpad((v_version - 1)::text, 3, '0');
  END IF;
  -- The caller may be a superuser or the admin: read only plain tables of the guard schema's owner (the catalog
  -- owner), never a view or child table it could have put there to run its code as the caller.
  IF EXISTS (SELECT FROM pg_catalog.pg_class c
              WHERE c.oid IN (pg_catalog.to_regclass('ducklake_guard.migration'), pg_catalog.to_regclass('ducklake_guard.setting'))
                AND (c.relkind <> 'r' OR c.relowner <> v_guard_owner))
     OR pg_catalog.to_regclass('ducklake_guard.setting') IS NULL THEN
    RAISE EXCEPTION 'ducklake_guard.setting and ducklake_guard.migration must be plain tables owned by the owner of schema ducklake_guard (the catalog owner); refusing to read them'
      USING HINT = 'Someone replaced a guard table: inspect the schema ducklake_guard before re-running the migrations.';
  END IF;
  IF NOT EXISTS (SELECT FROM ONLY ducklake_guard.migration m WHERE m.version = v_version - 1) THEN
    RAISE EXCEPTION 'apply guard migration % first (sql/%_*.sql)', v_version - 1, lpad((v_version - 1)::text, 3, '0');
  END IF;
  SELECT s.value INTO v_owner FROM ONLY ducklake_guard.setting s WHERE s.key = 'catalog_owner';
  IF pg_catalog.to_regrole(pg_catalog.quote_ident(v_owner)) IS DISTINCT FROM v_guard_owner THEN
    RAISE EXCEPTION 'setting catalog_owner (%) is not the owner of schema ducklake_guard', v_owner;
  END IF;
  IF v_owner <> current_user THEN EXECUTE pg_catalog.format('SET LOCAL ROLE %I', v_owner); END IF;
  -- The writer given at install (the program passes it); kept when not given.
  IF v_writer IS NOT NULL THEN
    INSERT INTO ducklake_guard.setting VALUES ('catalog_writer', v_writer) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
  END IF;
END
$guard$;

-- ---- 1. The writer's policy --------------------------------------------------------------------------------

-- Refuses a writer role that would weaken the guard or is not one (checked whenever the setting changes).
CREATE OR REPLACE FUNCTION ducklake_guard.check_writer(p_writer name) RETURNS void
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_owner text := (SELECT s.value FROM ducklake_guard.setting s WHERE s.key = 'catalog_owner');
BEGIN
  IF p_writer IS NULL OR p_writer = '' THEN
    RAISE EXCEPTION 'writer must not be empty' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles ro WHERE ro.rolname = p_writer) THEN
    RAISE EXCEPTION 'writer role "%" does not exist', p_writer USING ERRCODE = 'undefined_object',
      HINT = 'Create the writer''s login role first, or pass the name DuckLake''s writers log in as.';
  END IF;
  IF p_writer = v_owner OR p_writer = 'ducklake_reader' THEN
    RAISE EXCEPTION 'role "%" is the catalog owner or ducklake_reader; it cannot be the writer', p_writer
      USING ERRCODE = 'invalid_parameter_value', HINT = 'The owner bypasses its own tables'' policies already; name the writer login role.';
  END IF;
  IF pg_catalog.pg_has_role(p_writer, 'ducklake_reader', 'MEMBER')
     OR EXISTS (SELECT FROM ducklake_guard.acl a WHERE a.reader = p_writer) THEN
    RAISE EXCEPTION 'role "%" is a reader (member of ducklake_reader or in the ACL); the writer sees every catalog row', p_writer
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Use separate login roles for writing and reading.';
  END IF;
END
$$;

CREATE OR REPLACE FUNCTION ducklake_guard.protect_catalog() RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_schema text := (SELECT s.value FROM ducklake_guard.setting s WHERE s.key = 'catalog_schema');
  v_owner text := (SELECT s.value FROM ducklake_guard.setting s WHERE s.key = 'catalog_owner');
  v_writer text := (SELECT s.value FROM ducklake_guard.setting s WHERE s.key = 'catalog_writer');
  r record;
  v_cols text;
  v_index text;
  v_table_owner text;
  n integer := 0;
BEGIN
  IF v_writer IS NOT NULL AND NOT EXISTS (SELECT FROM pg_catalog.pg_roles ro WHERE ro.rolname = v_writer) THEN
    RAISE WARNING 'ducklake_guard: writer role "%" does not exist: no write policy (a writer without BYPASSRLS sees no catalog row)', v_writer;
    v_writer := NULL;
  END IF;
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
    -- The writer reads and writes every row (it must: DuckLake's writes check ids across the catalog).
    EXECUTE format('DROP POLICY IF EXISTS ducklake_guard_write ON %I.%I', v_schema, r.table_name);
    IF v_writer IS NOT NULL THEN
      EXECUTE format('CREATE POLICY ducklake_guard_write ON %I.%I FOR ALL TO %I USING (true) WITH CHECK (true)',
                     v_schema, r.table_name, v_writer);
      EXECUTE format('COMMENT ON POLICY ducklake_guard_write ON %I.%I IS %L', v_schema, r.table_name,
                     'ducklake_guard: the catalog writer (setting catalog_writer) reads and writes every row without BYPASSRLS; members of the writer see every row too, so none may be a reader');
    END IF;
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

-- Records (or changes) the writer role and re-applies the policies. Returns true if the setting changed.
CREATE OR REPLACE FUNCTION ducklake_guard.set_catalog_writer(p_writer name) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM ducklake_guard.check_writer(p_writer);
  IF EXISTS (SELECT FROM ducklake_guard.setting s WHERE s.key = 'catalog_writer' AND s.value = p_writer) THEN
    RETURN false;
  END IF;
  INSERT INTO ducklake_guard.setting VALUES ('catalog_writer', p_writer) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
  PERFORM ducklake_guard.protect_catalog();
  RETURN true;
END
$$;

-- ---- 3. Readers: never the writer, the owner, or a member of either ----------------------------------------

CREATE OR REPLACE FUNCTION ducklake_guard.check_reader(p_reader name) RETURNS oid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  r record;
  v_owner text := (SELECT s.value FROM ducklake_guard.setting s WHERE s.key = 'catalog_owner');
  v_writer text := (SELECT s.value FROM ducklake_guard.setting s WHERE s.key = 'catalog_writer');
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
  IF p_reader IN ('ducklake_reader', v_owner) OR pg_catalog.pg_has_role(p_reader, v_owner, 'MEMBER') THEN
    RAISE EXCEPTION 'role "%" is the catalog owner, a member of it, or the shared ducklake_reader role; it cannot be a reader', p_reader
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Grant to a plain login role made for reading.';
  END IF;
  IF v_writer IS NOT NULL AND EXISTS (SELECT FROM pg_catalog.pg_roles ro WHERE ro.rolname = v_writer)
     AND pg_catalog.pg_has_role(p_reader, v_writer, 'MEMBER') THEN
    RAISE EXCEPTION 'role "%" is the catalog writer "%" or a member of it: the writer''s policy shows it every catalog row', p_reader, v_writer
      USING ERRCODE = 'invalid_parameter_value',
            HINT = format('Grant to a plain login role made for reading, or REVOKE %I FROM %I first.', v_writer, p_reader);
  END IF;
  RETURN r.oid;
END
$$;

-- ---- 2. New inlined tables granted at COMMIT -----------------------------------------------------------------

-- Deferred constraint trigger on ducklake_snapshot: runs at COMMIT, after every CREATE TABLE of the transaction
-- (DuckLake registers a new inlined data table before creating it, and registers inlined delete tables nowhere).
CREATE OR REPLACE FUNCTION ducklake_guard.on_snapshot_commit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_ids bigint[];
  -- Computed once: pg_current_xact_id() is volatile, so in the WHERE clause it would run for every pg_class row
  -- (measured: 16-19 ms instead of 0.8 ms per commit with 5,000 inlined tables).
  v_xid xid := pg_catalog.pg_current_xact_id()::xid;
  v_nsp oid := to_regnamespace(quote_ident(ducklake_guard.catalog_schema()));
BEGIN
  BEGIN
    -- pg_class rows this transaction wrote: the inlined tables it created (or whose ACL it changed). xmin is the
    -- top-level transaction's id; a table made in a subtransaction is missed (fail closed until resync()).
    SELECT array_agg(DISTINCT (regexp_match(c.relname, '^ducklake_inlined_(?:data|delete)_([0-9]+)'))[1]::bigint) INTO v_ids
      FROM pg_catalog.pg_class c
     WHERE c.xmin = v_xid AND c.relnamespace = v_nsp AND c.relkind = 'r'
       AND c.relname ~ '^ducklake_inlined_(data_[0-9]+_[0-9]+|delete_[0-9]+)$';
    IF v_ids IS NOT NULL THEN
      -- The lock grant_read/revoke_read/resync hold: their GRANTs on the same (older) inlined tables would
      -- otherwise race this one ("tuple concurrently updated").
      PERFORM FROM ducklake_guard.setting s WHERE s.key = 'catalog_schema' FOR UPDATE;
      PERFORM ducklake_guard.sync_inlined_grants(NULL, v_ids);
    END IF;
  EXCEPTION WHEN OTHERS THEN
    -- Never fail the writer's commit: the new tables stay unreadable for readers (fail closed).
    RAISE WARNING 'ducklake_guard could not grant the inlined tables of DuckLake table ids %: % (run SELECT ducklake_guard.resync() as the catalog owner)',
      v_ids, SQLERRM;
  END;
  RETURN NULL;
END
$$;

-- How new inlined tables get granted: commit_trigger when the guard attaches it (always, from this migration
-- on), event_trigger when 004's event trigger exists too. Kept in setting inlined_grants for `status`.
CREATE OR REPLACE FUNCTION ducklake_guard.inlined_grant_mechanism() RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT coalesce(nullif(concat_ws(',',
           CASE WHEN EXISTS (SELECT FROM pg_catalog.pg_trigger t
                              WHERE t.tgrelid = to_regclass(format('%I.ducklake_snapshot', ducklake_guard.catalog_schema()))
                                AND t.tgname = 'ducklake_guard_snapshot_at_commit' AND t.tgenabled <> 'D') THEN 'commit_trigger' END,
           CASE WHEN EXISTS (SELECT FROM pg_catalog.pg_event_trigger e
                              WHERE e.evtname = 'ducklake_guard_create_table' AND e.evtenabled <> 'D') THEN 'event_trigger' END), ''), 'none')
$$;

-- Attaches the commit trigger when ducklake_snapshot exists (idempotent: left alone when already in place).
CREATE OR REPLACE FUNCTION ducklake_guard.attach_commit_trigger() RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_schema text := ducklake_guard.catalog_schema();
  v_rel regclass := to_regclass(format('%I.ducklake_snapshot', ducklake_guard.catalog_schema()));
  v_event boolean := EXISTS (SELECT FROM ducklake_guard.setting s WHERE s.key = 'event_trigger' AND s.value = 'installed');
BEGIN
  INSERT INTO ducklake_guard.setting VALUES ('inlined_grants', CASE WHEN v_event THEN 'commit_trigger,event_trigger' ELSE 'commit_trigger' END)
    ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
  IF v_rel IS NULL THEN RETURN false; END IF;
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_trigger t WHERE t.tgrelid = v_rel AND t.tgname = 'ducklake_guard_snapshot_at_commit'
                    AND t.tgfoid = 'ducklake_guard.on_snapshot_commit()'::regprocedure AND t.tgdeferrable AND t.tginitdeferred
                    AND t.tgenabled = 'A') THEN
    EXECUTE format('DROP TRIGGER IF EXISTS ducklake_guard_snapshot_at_commit ON %I.ducklake_snapshot', v_schema);
    EXECUTE format('CREATE CONSTRAINT TRIGGER ducklake_guard_snapshot_at_commit AFTER INSERT ON %I.ducklake_snapshot
                    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ducklake_guard.on_snapshot_commit()', v_schema);
    -- ALWAYS: also under session_replication_role = replica (a restore or logical apply still grants).
    EXECUTE format('ALTER TABLE %I.ducklake_snapshot ENABLE ALWAYS TRIGGER ducklake_guard_snapshot_at_commit', v_schema);
    EXECUTE format('COMMENT ON TRIGGER ducklake_guard_snapshot_at_commit ON %I.ducklake_snapshot IS %L', v_schema,
                   'ducklake_guard: at COMMIT of each DuckLake snapshot, grants the inlined tables the transaction created to exactly the readers of their table (no superuser needed)');
  END IF;
  RETURN true;
END
$$;

-- ---- What protect_all() repairs ----------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION ducklake_guard.protect_all() RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE n integer;
BEGIN
  n := ducklake_guard.protect_catalog();
  PERFORM ducklake_guard.attach_triggers();
  PERFORM ducklake_guard.attach_commit_trigger();
  PERFORM ducklake_guard.resync();
  RETURN n;
END
$$;

-- Catalog tables (and guard triggers on them) that protect_all() would fix: a table created after the guard
-- (DuckLake's first ATTACH into an empty database, an upgrade adding tables) has no policy until it runs. Empty
-- when all is in place. Read by the guard provider's diff and by `status`.
CREATE OR REPLACE FUNCTION ducklake_guard.unprotected_catalog_tables()
RETURNS TABLE (table_name text, problem text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_schema text := ducklake_guard.catalog_schema();
  v_writer oid := (SELECT ro.oid FROM pg_catalog.pg_roles ro JOIN ducklake_guard.setting s ON s.key = 'catalog_writer' AND s.value = ro.rolname);
BEGIN
  RETURN QUERY
    SELECT cr.table_name, p.problem
      FROM ducklake_guard.catalog_rule cr
      JOIN pg_catalog.pg_class c ON c.relname = cr.table_name AND c.relkind = 'r' AND c.relnamespace = to_regnamespace(quote_ident(v_schema))
      CROSS JOIN LATERAL (VALUES
        (CASE WHEN NOT c.relrowsecurity THEN 'row-level security off' END),
        (CASE WHEN NOT EXISTS (SELECT FROM pg_catalog.pg_policy po WHERE po.polrelid = c.oid AND po.polname = 'ducklake_guard_read')
              THEN 'no guard read policy' END),
        (CASE WHEN NOT has_table_privilege('ducklake_reader', c.oid, 'SELECT') THEN 'no SELECT for ducklake_reader' END),
        (CASE WHEN v_writer IS NOT NULL AND NOT EXISTS (SELECT FROM pg_catalog.pg_policy po WHERE po.polrelid = c.oid
                     AND po.polname = 'ducklake_guard_write' AND po.polcmd = '*' AND po.polroles = ARRAY[v_writer])
              THEN 'no write policy for the writer' END)) AS p(problem)
     WHERE p.problem IS NOT NULL;
  RETURN QUERY
    SELECT t.name, 'no guard trigger ducklake_guard_resolve'
      FROM unnest(ARRAY['ducklake_table', 'ducklake_view', 'ducklake_macro', 'ducklake_inlined_data_tables']) AS t(name)
     WHERE ducklake_guard.has_catalog_table(t.name)
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_trigger tg WHERE tg.tgrelid = to_regclass(format('%I.%I', v_schema, t.name))
                          AND tg.tgname = 'ducklake_guard_resolve');
  -- Inlined tables a partition reader cannot read for want of the row filter that the owner can put on now (made
  -- before GRANT <writer> TO <owner>): protect_all()'s resync filters and grants them.
  IF to_regprocedure('ducklake_guard.inlined_tables(bigint[])') IS NOT NULL THEN
    RETURN QUERY
      SELECT i.relname::text, 'no row filter: partition readers cannot read it'
        FROM ducklake_guard.inlined_tables(NULL) i
       WHERE pg_catalog.pg_has_role(current_user, i.relowner, 'USAGE') AND NOT ducklake_guard.inlined_is_filtered(i.rel)
         AND EXISTS (SELECT FROM ducklake_guard.visible v WHERE v.kind = 'p' AND v.object_id = i.table_id);
  END IF;
  RETURN QUERY
    SELECT 'ducklake_snapshot'::text, 'no commit trigger granting new inlined tables'
     WHERE ducklake_guard.has_catalog_table('ducklake_snapshot')
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_trigger tg WHERE tg.tgrelid = to_regclass(format('%I.ducklake_snapshot', v_schema))
                          AND tg.tgname = 'ducklake_guard_snapshot_at_commit' AND tg.tgenabled <> 'D');
END
$$;

REVOKE ALL ON FUNCTION ducklake_guard.check_writer(name), ducklake_guard.protect_catalog(), ducklake_guard.set_catalog_writer(name),
  ducklake_guard.check_reader(name), ducklake_guard.on_snapshot_commit(), ducklake_guard.inlined_grant_mechanism(),
  ducklake_guard.attach_commit_trigger(), ducklake_guard.protect_all(), ducklake_guard.unprotected_catalog_tables() FROM PUBLIC;

COMMENT ON FUNCTION ducklake_guard.check_writer(name) IS 'ducklake_guard: refuses a writer role that is the owner, a reader or missing. Owner only.';
COMMENT ON FUNCTION ducklake_guard.protect_catalog() IS 'ducklake_guard: enables RLS, the ducklake_guard_read policy, the writer''s ducklake_guard_write policy, reader SELECT and the link indexes on every catalog table that exists. Owner only; called by protect_all().';
COMMENT ON FUNCTION ducklake_guard.set_catalog_writer(name) IS 'ducklake_guard: records the catalog writer role (gets ducklake_guard_write on every catalog table, so it needs no BYPASSRLS); true if changed. Owner only.';
COMMENT ON FUNCTION ducklake_guard.check_reader(name) IS 'ducklake_guard: refuses a reader that would bypass or own the guard (superuser, BYPASSRLS, owner, writer, member of either). Owner only.';
COMMENT ON FUNCTION ducklake_guard.on_snapshot_commit() IS 'ducklake_guard deferred trigger on ducklake_snapshot: grants the inlined tables a DuckLake commit created; never fails the commit. Not callable.';
COMMENT ON FUNCTION ducklake_guard.inlined_grant_mechanism() IS 'ducklake_guard: which triggers grant new inlined tables now: commit_trigger, event_trigger, both, or none. Owner only.';
COMMENT ON FUNCTION ducklake_guard.attach_commit_trigger() IS 'ducklake_guard: attaches the commit trigger to ducklake_snapshot when it exists; records setting inlined_grants. Owner only.';
COMMENT ON FUNCTION ducklake_guard.protect_all() IS 'ducklake_guard: protect_catalog + attach_triggers + attach_commit_trigger + resync; safe any time. Owner only.';
COMMENT ON FUNCTION ducklake_guard.unprotected_catalog_tables() IS 'ducklake_guard: catalog tables lacking RLS, a guard policy, reader SELECT or a guard trigger, and inlined tables partition readers need filtered that the owner can filter (repair: SELECT ducklake_guard.protect_all()). Owner only.';
COMMENT ON TABLE ducklake_guard.setting IS 'ducklake_guard: install settings (catalog_schema, catalog_owner, catalog_writer, event_trigger, inlined_grants). Owner only.';

DO $guard$
DECLARE v_writer text := (SELECT s.value FROM ducklake_guard.setting s WHERE s.key = 'catalog_writer');
BEGIN
  IF v_writer IS NOT NULL THEN PERFORM ducklake_guard.check_writer(v_writer); END IF;
END
$guard$;

SELECT ducklake_guard.protect_catalog();
SELECT ducklake_guard.attach_commit_trigger();

INSERT INTO ducklake_guard.migration (version, name)
  VALUES (current_setting('ducklake_guard.this_version')::integer, current_setting('ducklake_guard.this_name'))
  ON CONFLICT (version) DO NOTHING;
COMMIT;
