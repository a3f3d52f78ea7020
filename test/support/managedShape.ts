// setupFiles of the integration-managed jest project: the guard suites run again in the managed-PostgreSQL shape
// (issue 17: no superuser; test/fixtures/guardHarness.ts guardShape()).
process.env.GUARD_SHAPE = "managed";
