// Which shape of catalog server a shared integration suite runs in: "vps" (the program builds the server and
// installs as a superuser) or "external" (an existing PostgreSQL reached as a managed admin without superuser).
// A suite file imported by `<suite>.external.test.ts` runs there in the external shape.

export type CatalogShape = "vps" | "external";

/** The shape of the test file jest is running now (`*.external.test.ts` = external). */
export function catalogShape(): CatalogShape {
  const file = expect.getState().testPath ?? "";
  return /\.external\.test\.ts$/.test(file) ? "external" : "vps";
}
