-- Whether the current role may SELECT a catalog-schema table (name passed as a parameter).
SELECT has_table_privilege(format('%I.%I', current_schema(), $1::text), 'SELECT') AS can_select
