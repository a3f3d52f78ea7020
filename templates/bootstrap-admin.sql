-- Creates (or re-asserts) the admin login role the Pulumi program connects as.
-- psql variable admin_role (-v); the password comes from the environment (ADMIN_PASSWORD) so it never
-- appears on a command line. Quoting by psql (:"ident", :'literal'); idempotent. Needs psql >= 15.
\getenv admin_password ADMIN_PASSWORD
\if :{?admin_password}
SELECT length(:'admin_password') < 16 AS admin_password_weak \gset
\else
\set admin_password_weak true
\endif
\if :admin_password_weak
DO $$ BEGIN RAISE EXCEPTION 'ADMIN_PASSWORD is not set in the environment (or shorter than 16 characters)'; END $$;
\endif
SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'admin_role') AS admin_missing \gset
\if :admin_missing
CREATE ROLE :"admin_role" LOGIN SUPERUSER PASSWORD :'admin_password';
\else
ALTER ROLE :"admin_role" LOGIN SUPERUSER PASSWORD :'admin_password';
\endif
