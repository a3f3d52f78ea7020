-- Who puts the row filter on the writer's new inlined tables (sql/007 inlined_filter_mechanism: event_trigger,
-- owner_member_of_writer, both, or none) and whether any partition grant needs it.
SELECT ducklake_guard.inlined_filter_mechanism() AS mechanism,
       EXISTS (SELECT FROM ducklake_guard.partition_acl) AS partition_grants
