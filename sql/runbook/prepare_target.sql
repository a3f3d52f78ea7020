-- Moving a catalog (docs/outgrowing-the-vps.md), step 1 on the target: the roles and an empty catalog database,
-- made by the service's admin login (CREATEROLE, CREATEDB; no superuser). Connected to database `postgres`:
--   psql "<target conninfo, dbname=postgres>" -v ON_ERROR_STOP=1 -v owner=O -v writer=W -v database=D -f prepare_target.sql
-- (scripts/move-catalog.sh prepare). Refuses a role that bypasses row-level security, an existing owner or
-- writer the admin is not a member of (it never grants itself a role it did not create), and a database that
-- exists already (restore into an empty one); roles and memberships that exist are kept. Readers are created
-- as on the VPS (LakeReader: LOGIN role + GRANT ducklake_reader), by `pulumi up` or by hand, before the restore.
\set ON_ERROR_STOP 1
SELECT set_config('ducklake_move.owner', :'owner', false) AS o, set_config('ducklake_move.writer', :'writer', false) AS w,
       set_config('ducklake_move.database', :'database', false) AS d \gset ignored_

DO $move$
DECLARE
  v_owner text := current_setting('ducklake_move.owner');
  v_writer text := current_setting('ducklake_move.writer');
  v_db text := current_setting('ducklake_move.database');
  v_role text;
BEGIN
  IF EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = v_db) THEN
    RAISE EXCEPTION 'database % exists already on this server', quote_ident(v_db)
      USING HINT = 'Restore into a new, empty database: pick another name, or drop it first (DROP DATABASE ' || quote_ident(v_db) || ').';
  END IF;
  FOREACH v_role IN ARRAY ARRAY[v_owner, v_writer, 'ducklake_reader'] LOOP
    IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = v_role AND (rolsuper OR rolbypassrls)) THEN
      RAISE EXCEPTION 'role % exists and bypasses row-level security (superuser or BYPASSRLS)', quote_ident(v_role)
        USING HINT = 'On the target no catalog role bypasses RLS: use other role names, or ALTER ROLE ... NOBYPASSRLS.';
    END IF;
  END LOOP;
  -- The program's rule (docs/infrastructure.md, external target): never take over a role by granting it to
  -- oneself. An existing owner or writer must already have the admin as a member (`pulumi up` made it so).
  FOREACH v_role IN ARRAY ARRAY[v_owner, v_writer] LOOP
    IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = v_role) AND NOT pg_catalog.pg_has_role(current_user, v_role, 'MEMBER') THEN
      RAISE EXCEPTION 'role % exists and % is not a member of it', quote_ident(v_role), quote_ident(current_user)
        USING HINT = format('If the role is meant for this lake, its owner runs GRANT %I TO %I; else pick other role names.', v_role, current_user);
    END IF;
  END LOOP;
  -- LOGIN without a password: `pulumi up` (or ALTER ROLE ... PASSWORD) sets it. The admin becomes a member of the
  -- roles it creates: CREATE DATABASE ... OWNER, and pg_restore's ALTER ... OWNER TO and ALTER DEFAULT
  -- PRIVILEGES FOR ROLE need it.
  FOREACH v_role IN ARRAY ARRAY[v_owner, v_writer] LOOP
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = v_role) THEN
      EXECUTE format('CREATE ROLE %I LOGIN', v_role); -- the writer without BYPASSRLS: the guard's write policy admits it
      EXECUTE format('GRANT %I TO %I', v_role, current_user);
    END IF;
  END LOOP;
  -- The owner is a member of the writer (never the reverse: the writer would then own the guard), so the guard's
  -- commit trigger may put the partition row filter on the inlined tables the writer creates (as the program does).
  IF pg_catalog.pg_has_role(v_writer, v_owner, 'MEMBER') THEN
    RAISE EXCEPTION 'role % is a member of the catalog owner %', quote_ident(v_writer), quote_ident(v_owner)
      USING HINT = format('The writer must not act as the owner: REVOKE %I FROM %I.', v_owner, v_writer);
  END IF;
  IF NOT pg_catalog.pg_has_role(v_owner, v_writer, 'MEMBER') THEN
    EXECUTE format('GRANT %I TO %I', v_writer, v_owner);
  END IF;
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'ducklake_reader') THEN
    CREATE ROLE ducklake_reader NOLOGIN NOINHERIT;
  END IF;
  -- The owner enrols readers (grant_read, the repair).
  IF NOT pg_catalog.pg_has_role(v_owner, 'ducklake_reader', 'USAGE WITH ADMIN OPTION') THEN
    EXECUTE format('GRANT ducklake_reader TO %I WITH ADMIN OPTION', v_owner);
  END IF;
END
$move$;

SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L TEMPLATE template0', :'database', :'owner', 'UTF8') \gexec
SELECT format('prepared: database %I owned by %I, writer %I (no BYPASSRLS, the owner a member of it), ducklake_reader administered by the owner',
              :'database', :'owner', :'writer') AS move_catalog \gset
\echo :move_catalog
