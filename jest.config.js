// Two suites: unit (pure functions, Pulumi mocks) and integration (real PostgreSQL + real Ceph RGW,
// started once per run by test/support/globalSetup.ts; each test file makes its own database/bucket).
const tsJest = ["ts-jest", { diagnostics: false }];
module.exports = {
  globalSetup: "<rootDir>/test/support/globalSetup.ts",
  globalTeardown: "<rootDir>/test/support/globalTeardown.ts",
  projects: [
    { displayName: "unit", testEnvironment: "node", transform: { "^.+\\.ts$": tsJest }, testMatch: ["<rootDir>/test/unit/**/*.test.ts"] },
    {
      displayName: "integration",
      testEnvironment: "node",
      transform: { "^.+\\.ts$": tsJest },
      testMatch: ["<rootDir>/test/integration/**/*.test.ts"],
    },
    // The guard, access and workflow suites again in the managed-PostgreSQL shape (issue 17): a CREATEROLE/CREATEDB
    // admin, no superuser (GUARD_SHAPE=managed: test/fixtures/guardHarness.ts, test/support/catalogShape.ts).
    {
      displayName: "integration-managed",
      testEnvironment: "node",
      transform: { "^.+\\.ts$": tsJest },
      setupFiles: ["<rootDir>/test/support/managedShape.ts"],
      testMatch: [
        "catalogGuard.rls",
        "catalogGuard.attacks",
        "catalogGuard.largeGrant",
        "catalogGuard.duckdb",
        "catalogGuard.provider",
        "undeclaredAcl",
        "aclChangeLog.cli",
        "catalogGuard.integrity",
        "accessAsCode",
        "cli.workflows",
      ].map((name) => `<rootDir>/test/integration/${name}.test.ts`),
    },
    // What the provider plugins call on create/read/update/delete, replayed from their source against real RGW/PostgreSQL.
    {
      displayName: "contract",
      testEnvironment: "node",
      transform: { "^.+\\.ts$": tsJest },
      testMatch: ["<rootDir>/test/contract/**/*.test.ts"],
    },
  ],
  testTimeout: 60000,
};
