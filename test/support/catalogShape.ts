// Which shape of catalog server a shared integration suite runs in: "vps" (the program builds the server and
// installs as a superuser) or "external" (an existing PostgreSQL reached as a managed admin without superuser).
// One switch for every suite: GUARD_SHAPE=managed, set by the `integration-managed` jest project
// (test/support/managedShape.ts), as test/fixtures/guardHarness.ts reads it.

export type CatalogShape = "vps" | "external";

/** The shape this test run uses. */
export function catalogShape(): CatalogShape {
  return process.env.GUARD_SHAPE === "managed" ? "external" : "vps";
}
