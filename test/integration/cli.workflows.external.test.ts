// cli.workflows.test.ts in the external target's shape (issue 17): status, access and verify on a lake whose
// catalog was set up by a managed admin without superuser, the guard installed by the owner login, and whose
// connection file holds the owner login (test/support/cliLake.ts, test/support/externalCatalog.ts).
import "./cli.workflows.test";
