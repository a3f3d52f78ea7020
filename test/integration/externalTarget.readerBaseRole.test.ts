// The ReaderBaseRole dynamic provider (providers/readerBaseRole.ts) as Pulumi ships it — serialized from the
// program and loaded back from that text — run as a managed-shape admin (LOGIN CREATEROLE CREATEDB, no
// superuser) against the real test PostgreSQL: it ensures ducklake_reader (NOLOGIN NOINHERIT, no bypass), the
// owner can then be given ADMIN OPTION on it by the admin, and delete leaves the shared role in place.
import { runNodeProgram } from "../support/nodeProgram";

const PROGRAM = `
const Module = require("module");
const pulumi = require("@pulumi/pulumi");
const registered = [];
pulumi.runtime.setMocks({ newResource: (a) => { registered.push(a); return { id: a.name + "-id", state: a.inputs }; }, call: (a) => a.inputs }, "p", "s", false);
const { ReaderBaseRole } = require("./providers/readerBaseRole");
const { createManagedAdmin, dropManagedAdmin } = require("./test/support/managedPg");
const { withClient } = require("./postgres/connection");
const { pgAdmin } = require("./test/support/services");
(async () => {
  const r = new ReaderBaseRole("b", { connection: { host: "10.0.0.2", port: 5432, database: "postgres", user: "a", password: "p", sslmode: "disable" } });
  await new Promise((res) => r.urn.apply(res));
  await new Promise((res) => setTimeout(res, 50));
  const m = new Module(process.cwd() + "/serialized-ReaderBaseRole.js", null);
  m.filename = m.id; m.paths = Module._nodeModulePaths(process.cwd());
  m._compile(registered.find((x) => x.type === "pulumi-nodejs:dynamic/ducklake:ReaderBaseRole").inputs.__provider, m.filename);
  const p = m.exports.handler();
  const admin = await createManagedAdmin("rbr");
  const owner = "rbr_owner_" + Math.random().toString(16).slice(2, 8);
  const out = {};
  try {
    const connection = { ...admin, sslmode: "disable" };
    const c = await p.create({ connection });
    out.id = c.id; out.roleName = c.outs.roleName; out.createdIsBoolean = typeof c.outs.created === "boolean";
    out.again = (await p.create({ connection })).outs.created; // exists now: ensured, not created twice
    out.read = (await p.read(c.id, c.outs)).id;
    await withClient(admin, async (a) => {
      out.attrs = (await a.query("SELECT rolcanlogin, rolinherit, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'ducklake_reader'")).rows[0];
      await a.query("CREATE ROLE " + owner + " LOGIN");
      await a.query("GRANT ducklake_reader TO " + owner + " WITH ADMIN OPTION"); // what the owner-administers-readers GrantRole runs
      out.ownerAdmin = (await a.query("SELECT pg_has_role($1, 'ducklake_reader', 'USAGE WITH ADMIN OPTION') AS ok", [owner])).rows[0].ok;
      out.adminSuper = (await a.query("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).rows[0].rolsuper;
    });
    await p.delete(c.id, c.outs);
    out.afterDelete = await withClient(pgAdmin(), async (s) => (await s.query("SELECT count(*)::int AS n FROM pg_roles WHERE rolname = 'ducklake_reader'")).rows[0].n);
  } finally {
    await withClient(pgAdmin(), (s) => s.query("DROP ROLE IF EXISTS " + owner));
    await dropManagedAdmin(admin);
  }
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });`;

test("externalTarget.readerBaseRole: the serialized provider ensures ducklake_reader as a non-superuser admin and never drops it", () => {
  const r = runNodeProgram(PROGRAM, { timeout: 120000 });
  expect(r).toEqual({
    id: expect.stringMatching(/:\d+\/ducklake_reader$/),
    roleName: "ducklake_reader",
    createdIsBoolean: true,
    again: false,
    read: r.id,
    attrs: { rolcanlogin: false, rolinherit: false, rolsuper: false, rolbypassrls: false },
    ownerAdmin: true,
    adminSuper: false,
    afterDelete: 1,
  });
}, 150000);
