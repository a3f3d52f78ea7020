// CatalogGuard and ReaderAcl under Pulumi mocks. Pulumi serializes dynamic providers with the V8
// inspector, which does not work inside Jest's module sandbox, so the program runs in a child node
// process (bench/catalog-acl-scale.ts) and this test asserts on what it registered.
import { execFileSync } from "child_process";
import * as path from "path";
import { loadMigrations } from "../../providers/guardClient";

const root = path.resolve(__dirname, "..", "..");
let r: any;
beforeAll(() => {
  const out = execFileSync(process.execPath, [require.resolve("ts-node/dist/bin.js"), "--transpile-only", "bench/catalog-acl-scale.ts", "12", "5"],
    { cwd: root, env: { ...process.env, ACL_SCALE_JSON: "1" }, encoding: "utf8" });
  r = JSON.parse(out.trim().split("\n").pop()!);
}, 60000);

test("type tokens and inputs: one CatalogGuard with every sql/ migration, one ReaderAcl per reader with its grants sorted", () => {
  expect(r.guardType).toBe("pulumi-nodejs:dynamic/ducklake:CatalogGuard");
  expect(r.migrations).toEqual(loadMigrations().map((m) => m.name));
  expect(r.entries).toBe(12);
  // Given in reverse order; registered canonical: sorted by schema then table, schema grants carry table null.
  expect(r.firstGrants).toEqual([
    { schema: "schema_0", table: null }, { schema: "schema_1", table: "table_1" }, { schema: "schema_2", table: "table_2" },
    { schema: "schema_3", table: "table_3" }, { schema: "schema_4", table: "table_4" }]);
});

test("connections are Pulumi secrets", () => {
  expect(r.secrets).toEqual({ aclConnection: true, guardConnection: true });
});

test("every ReaderAcl shares one serialized provider, and it stays small (it is stored in each one's state)", () => {
  expect(r.distinctProviderTexts).toBe(1);
  expect(r.providerBytes).toBeGreaterThan(1000);
  expect(r.providerBytes).toBeLessThan(32 * 1024);
});
