// CatalogGuard, ReaderAcl and UndeclaredAcl under Pulumi mocks. Pulumi serializes dynamic providers with the V8
// inspector, which does not work inside Jest's module sandbox, so the program runs in a child node
// process (bench/catalog-acl-scale.ts) and this test asserts on what it registered.
import { execFileSync } from "child_process";
import { runNodeProgram } from "../support/nodeProgram";
import * as path from "path";
import { loadMigrations } from "../../postgres/sqlFiles";

const root = path.resolve(__dirname, "..", "..");
let r: any;
let sweep: any;

// UndeclaredAcl registered twice (readers in two orders, one duplicate) next to a ReaderAcl, in plain node.
const SWEEP_PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const registered = [];
pulumi.runtime.setMocks({ newResource: (a) => { registered.push(a); return { id: a.name + "-id", state: a.inputs }; }, call: (a) => a.inputs }, "p", "s", false);
const { UndeclaredAcl, ReaderAcl } = require("./providers/readerAcl");
const connection = { host: "10.0.0.2", port: 5432, database: "lake", user: "lake_owner", password: "s3cret-pw", sslmode: "disable" };
const u = new UndeclaredAcl("sweep", { connection, declaredReaders: ["zed", "ann", "mia", "ann"] });
const v = new UndeclaredAcl("sweep-2", { connection, declaredReaders: ["mia", "zed", "ann"] });
const acl = new ReaderAcl("acl", { connection, reader: "ann", grants: [] });
Promise.all([u.urn, v.urn, acl.urn].map((o) => new Promise((res) => o.apply(res)))).then(async () => {
  await new Promise((res) => setTimeout(res, 50));
  const sweeps = registered.filter((x) => x.type === "pulumi-nodejs:dynamic/ducklake:UndeclaredAcl").sort((a, b) => (a.name < b.name ? -1 : 1));
  const readerAcl = registered.find((x) => x.type === "pulumi-nodejs:dynamic/ducklake:ReaderAcl");
  const text = sweeps[0].inputs.__provider;
  console.log(JSON.stringify({ names: sweeps.map((x) => x.name), declaredReaders: sweeps.map((x) => x.inputs.declaredReaders),
    entries: sweeps.map((x) => x.inputs.entries), secret: await pulumi.isSecret(u.connection),
    distinctProviderTexts: new Set(sweeps.map((x) => x.inputs.__provider)).size, providerBytes: text.length,
    sameAsReaderAcl: text === readerAcl.inputs.__provider, holdsPassword: text.includes("s3cret-pw"),
    revokes: text.includes("ducklake_guard.revoke_read($1, $2, $3)"), grants: text.includes("grant_read") }));
});`;

beforeAll(() => {
  const out = execFileSync(
    process.execPath,
    [require.resolve("ts-node/dist/bin.js"), "--transpile-only", "bench/catalog-acl-scale.ts", "12", "5"],
    { cwd: root, env: { ...process.env, ACL_SCALE_JSON: "1" }, encoding: "utf8" },
  );
  r = JSON.parse(out.trim().split("\n").pop()!);
  sweep = runNodeProgram(SWEEP_PROGRAM);
}, 60000);

test("type tokens and inputs: one CatalogGuard with every sql/ migration, one ReaderAcl per reader with its grants sorted", () => {
  expect(r.guardType).toBe("pulumi-nodejs:dynamic/ducklake:CatalogGuard");
  expect(r.migrations).toEqual(loadMigrations().map((m) => m.name));
  expect(r.entries).toBe(12);
  // Given in reverse order; registered canonical: sorted by schema then table, schema grants carry table null.
  expect(r.firstGrants).toEqual([
    { schema: "schema_0", table: null },
    { schema: "schema_1", table: "table_1" },
    { schema: "schema_2", table: "table_2" },
    { schema: "schema_3", table: "table_3" },
    { schema: "schema_4", table: "table_4" },
  ]);
});

test("connections are Pulumi secrets", () => {
  expect(r.secrets).toEqual({ aclConnection: true, guardConnection: true });
});

test("every ReaderAcl shares one serialized provider, and it stays small (it is stored in each one's state)", () => {
  expect(r.distinctProviderTexts).toBe(1);
  expect(r.providerBytes).toBeGreaterThan(1000);
  expect(r.providerBytes).toBeLessThan(32 * 1024);
});

test("UndeclaredAcl: declared readers sorted and deduplicated whatever the order, no entries, connection secret", () => {
  expect(sweep.names).toEqual(["sweep", "sweep-2"]);
  expect(sweep.declaredReaders).toEqual([
    ["ann", "mia", "zed"],
    ["ann", "mia", "zed"],
  ]);
  expect(sweep.entries).toEqual([[], []]);
  expect(sweep.secret).toBe(true);
});

test("UndeclaredAcl's serialized provider is its own, small, holds no credentials and never grants", () => {
  expect(sweep.distinctProviderTexts).toBe(1);
  expect(sweep.sameAsReaderAcl).toBe(false);
  expect(sweep.providerBytes).toBeGreaterThan(1000);
  expect(sweep.providerBytes).toBeLessThan(32 * 1024);
  expect(sweep.holdsPassword).toBe(false);
  expect(sweep.revokes).toBe(true);
  expect(sweep.grants).toBe(false);
});
