-- The catalog writer ($1) as PostgreSQL sees it: exists? bypasses row-level security (superuser or BYPASSRLS)?
SELECT r.rolsuper OR r.rolbypassrls AS bypass_rls FROM pg_catalog.pg_roles r WHERE r.rolname = $1
