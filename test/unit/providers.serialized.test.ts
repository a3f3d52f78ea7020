// The dynamic providers as Pulumi ships them: serialized from the program (V8 inspector, so in a plain node
// child process, not Jest's sandbox), loaded back from that text the way the provider host loads it, then
// their `check` run with good and bad inputs. A value the serializer cannot carry (a Set in a captured
// module, say) breaks only here, at deploy time, never in tests that import the providers directly.
import { runNodeProgram } from "../support/nodeProgram";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const PROGRAM = `
const Module = require("module");
const pulumi = require("@pulumi/pulumi");
const registered = [];
pulumi.runtime.setMocks({ newResource: (a) => { registered.push(a); return { id: a.name + "-id", state: a.inputs }; }, call: (a) => a.inputs }, "p", "s", false);
const { CatalogGuard } = require("./providers/catalogGuard");
const { ReaderAcl, UndeclaredAcl } = require("./providers/readerAcl");
const { WriterTableGrants } = require("./providers/writerTableGrants");
const connection = { host: "10.0.0.2", port: 5432, database: "lake", user: "o", password: "p", sslmode: "disable" };
const rs = [new CatalogGuard("g", { connection }), new ReaderAcl("r", { connection, reader: "ann", grants: [] }),
  new UndeclaredAcl("u", { connection, declaredReaders: [] }), new WriterTableGrants("w", { connection, schema: "lake", owner: "o", writer: "w" })];
Promise.all(rs.map((r) => new Promise((res) => r.urn.apply(res)))).then(async () => {
  await new Promise((res) => setTimeout(res, 50));
  const load = (type) => {
    const m = new Module(process.cwd() + "/serialized-" + type + ".js", null);
    m.filename = m.id; m.paths = Module._nodeModulePaths(process.cwd());
    m._compile(registered.find((x) => x.type === "pulumi-nodejs:dynamic/ducklake:" + type).inputs.__provider, m.filename);
    return m.exports.handler();
  };
  const reasons = async (p, news) => (await p.check({}, news)).failures.map((f) => f.property + ": " + f.reason);
  const offline = { ...connection, password: "${UNKNOWN}" }; // not known yet: check stays offline
  const acl = load("ReaderAcl"), sweep = load("UndeclaredAcl"), guard = load("CatalogGuard");
  console.log(JSON.stringify({
    aclGood: await reasons(acl, { connection: offline, reader: "ann", grants: [{ schema: "sales", table: null }] }),
    aclReserved: await reasons(acl, { connection: offline, reader: "postgres", grants: [] }),
    aclBadTable: await reasons(acl, { connection: offline, reader: "ann", grants: [{ schema: "sales", table: " x" }] }),
    sweepGood: await reasons(sweep, { connection: offline, declaredReaders: ["ann", "bob"] }),
    sweepReserved: await reasons(sweep, { connection: offline, declaredReaders: ["ann", "ducklake_owner"] }),
    guardBadSchema: await reasons(guard, { connection: offline, catalogSchema: "", migrations: [{ version: 1, name: "001_x", sql: "" }] }),
    writerLoads: typeof load("WriterTableGrants").create,
  }));
});`;

let r: any;
beforeAll(() => {
  r = runNodeProgram(PROGRAM);
}, 60000);

test("ReaderAcl, serialized: check accepts a valid reader and refuses a reserved one or a bad table name", () => {
  expect(r.aclGood).toEqual([]);
  expect(r.aclReserved).toEqual([
    'reader: reader "postgres" is reserved (it names a built-in or ducklake role); choose another reader name',
  ]);
  expect(r.aclBadTable).toEqual(['grants[0].table: table " x" starts or ends with white space; omit the table to grant the whole schema']);
});

test("UndeclaredAcl, serialized: check accepts declared readers and refuses a reserved one", () => {
  expect(r.sweepGood).toEqual([]);
  expect(r.sweepReserved).toEqual([
    'declaredReaders[1]: reader "ducklake_owner" is reserved (it names a built-in or ducklake role); choose another reader name',
  ]);
});

test("CatalogGuard and WriterTableGrants, serialized: load, and the guard's check refuses an empty catalog schema", () => {
  expect(r.guardBadSchema).toEqual(["catalogSchema: catalogSchema is empty"]);
  expect(r.writerLoads).toBe("function");
});
