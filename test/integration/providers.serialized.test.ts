// The dynamic providers as Pulumi ships them (serialized from the program, loaded back from that text the way
// the provider host does) driven through create/read/update/delete against the real test PostgreSQL. Runs in
// a plain node child process: Pulumi's serializer uses the V8 inspector, which Jest's sandbox does not allow.
import { runNodeProgram } from "../support/nodeProgram";
import { loadMigrations } from "../../postgres/sqlFiles";

const PROGRAM = `
const Module = require("module");
const pulumi = require("@pulumi/pulumi");
const { Client } = require("pg");
const registered = [];
pulumi.runtime.setMocks({ newResource: (a) => { registered.push(a); return { id: a.name + "-id", state: a.inputs }; }, call: (a) => a.inputs }, "p", "s", false);
const { CatalogGuard } = require("./providers/catalogGuard");
const { ReaderAcl, UndeclaredAcl } = require("./providers/readerAcl");
const { WriterTableGrants } = require("./providers/writerTableGrants");
const { createTestDatabase, dropTestDatabase } = require("./test/support/pg");
const { createDuckLakeCatalog, buildSampleLake } = require("./test/fixtures/ducklakeCatalog");
const { loadMigrations } = require("./postgres/sqlFiles");
const { grantRead, listGrants } = require("./postgres/guardClient");

(async () => {
  const fake = { host: "10.0.0.2", port: 5432, database: "lake", user: "o", password: "p", sslmode: "disable" };
  const rs = [new CatalogGuard("g", { connection: fake }), new ReaderAcl("r", { connection: fake, reader: "ann", grants: [] }),
    new UndeclaredAcl("u", { connection: fake, declaredReaders: [] }), new WriterTableGrants("w", { connection: fake, schema: "lake", owner: "o", writer: "w" })];
  await Promise.all(rs.map((r) => new Promise((res) => r.urn.apply(res))));
  await new Promise((r) => setTimeout(r, 50));
  const load = (type) => {
    const m = new Module(process.cwd() + "/serialized-" + type + ".js", null);
    m.filename = m.id; m.paths = Module._nodeModulePaths(process.cwd());
    m._compile(registered.find((x) => x.type === "pulumi-nodejs:dynamic/ducklake:" + type).inputs.__provider, m.filename);
    return m.exports.handler();
  };
  const guard = load("CatalogGuard"), acl = load("ReaderAcl"), sweep = load("UndeclaredAcl"), wtg = load("WriterTableGrants");
  const conn = await createTestDatabase("serialized");
  const owner = new Client(conn);
  await owner.connect();
  const out = {};
  try {
    await buildSampleLake(await createDuckLakeCatalog(owner, { catalogSchema: "lake" }));
    const connection = { host: conn.host, port: conn.port, database: conn.database, user: conn.user, password: conn.password, sslmode: "disable" };
    const g = await guard.create({ connection, catalogSchema: "lake", catalogOwner: "", migrations: loadMigrations() });
    out.guardVersion = g.outs.version;
    const sfx = Math.random().toString(16).slice(2, 8);
    const ann = "ann_" + sfx, bob = "bob_" + sfx, wr = "wr_" + sfx;
    for (const r of [ann, bob]) await owner.query("CREATE ROLE " + r + " LOGIN IN ROLE ducklake_reader");
    await owner.query("CREATE ROLE " + wr + " LOGIN");
    const names = async (r) => (await listGrants(owner, r)).map((x) => x.schema + "." + (x.table ?? "*"));
    out.checkMissing = (await acl.check({}, { connection, reader: ann, grants: [{ schema: "nope", table: null }] })).failures.map((f) => f.reason);
    const c = await acl.create({ connection, reader: ann, grants: [{ schema: "sales", table: null }, { schema: "hr", table: "salaries" }] });
    out.created = await names(ann);
    const u = await acl.update(c.id, c.outs, { connection, reader: ann, grants: [{ schema: "sales", table: null }] });
    out.updated = await names(ann);
    await grantRead(owner, { reader: bob, schema: "sales" });
    const rd = await sweep.read("undeclared", { connection, declaredReaders: [ann], entries: [] });
    out.undeclared = rd.props.entries.map((e) => e.reader === bob);
    await sweep.update("undeclared", rd.props, { connection, declaredReaders: [ann], entries: [] });
    out.afterSweep = { bob: await names(bob), ann: await names(ann) };
    const w = await wtg.create({ connection, schema: "lake", owner: conn.user, writer: wr });
    out.writerMissingAfterCreate = (await wtg.read(w.id, w.outs)).props.missing;
    await acl.delete(c.id, u.outs);
    out.afterDelete = await names(ann);
    await guard.delete(g.id, g.outs);
    out.guardSchemaAfterDelete = (await owner.query("SELECT to_regnamespace('ducklake_guard') IS NOT NULL AS ok")).rows[0].ok;
    for (const r of [ann, bob, wr]) await owner.query("DROP OWNED BY " + r + "; DROP ROLE " + r);
  } finally {
    await owner.end();
    await dropTestDatabase(conn);
  }
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });`;

test("CatalogGuard, ReaderAcl, UndeclaredAcl and WriterTableGrants work from their serialized text against PostgreSQL", () => {
  const r = runNodeProgram(PROGRAM, { timeout: 120000 });
  expect(r.guardVersion).toBe(loadMigrations().at(-1)!.version);
  expect(r.checkMissing).toEqual(['DuckLake schema "nope" does not exist in the catalog: fix the name or create the schema first']);
  expect(r.created).toEqual(["hr.salaries", "sales.*"]);
  expect(r.updated).toEqual(["sales.*"]);
  expect(r.undeclared).toEqual([true]);
  expect(r.afterSweep).toEqual({ bob: [], ann: ["sales.*"] });
  expect(r.writerMissingAfterCreate).toEqual([]);
  expect(r.afterDelete).toEqual([]);
  expect(r.guardSchemaAfterDelete).toBe(false);
}, 150000);
