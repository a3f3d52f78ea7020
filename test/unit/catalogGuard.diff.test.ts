// CatalogGuard's dynamic provider, check and diff (pure; the SQL side is tested on real PostgreSQL).
import { catalogGuardProvider } from "../../providers/catalogGuard";
import { loadMigrations } from "../../postgres/sqlFiles";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"; // how preview passes a value not known yet
const migrations = loadMigrations();
const latest = migrations[migrations.length - 1].version;
const connection = { host: "10.0.0.2", port: 5432, database: "ducklake", user: "postgres", password: "pw", sslmode: "disable" };
const olds = {
  connection,
  catalogSchema: "public",
  catalogOwner: "",
  version: latest,
  migrationNames: migrations.map((m) => m.name),
  eventTrigger: true,
};
const diff = (news: Record<string, unknown>) =>
  catalogGuardProvider.diff!("id", olds, { connection, catalogSchema: "public", catalogOwner: "", migrations, ...news });

describe("diff with values unknown at preview (issue 11, item 11)", () => {
  test("an unknown host, port or database is not a replace", async () => {
    for (const field of ["host", "port", "database"]) {
      const d = await diff({ connection: { ...connection, [field]: UNKNOWN } });
      expect({ field, replaces: d.replaces }).toEqual({ field, replaces: [] });
      expect(d.changes).toBe(true); // the update runs diff again with the real value
    }
  });
  test("a connection unknown as a whole, or an unknown catalog schema, is not a replace either", async () => {
    expect((await diff({ connection: UNKNOWN })).replaces).toEqual([]);
    expect((await diff({ catalogSchema: UNKNOWN })).replaces).toEqual([]);
  });
  test("a known different host or schema still replaces; the same inputs change nothing", async () => {
    expect((await diff({ connection: { ...connection, host: "10.0.0.3" } })).replaces).toEqual(["connection"]);
    expect((await diff({ catalogSchema: "lake" })).replaces).toEqual(["catalogSchema"]);
    expect(await diff({})).toMatchObject({ changes: false, replaces: [] });
  });
});

describe("catalog tables created after the install (issue 17: no event trigger without superuser)", () => {
  test("tables the last read found unprotected make the next up an update, whatever the inputs", async () => {
    const d = await catalogGuardProvider.diff!(
      "id",
      { ...olds, unprotected: ["ducklake_table: no guard read policy"] },
      { connection, catalogSchema: "public", catalogOwner: "", migrations },
    );
    expect(d).toMatchObject({ changes: true, replaces: [] });
  });
  test("a new writer is an update, not a replace; a bad writer name fails the preview", async () => {
    expect(await diff({ catalogWriter: "ducklake_writer" })).toMatchObject({ changes: true, replaces: [] });
    const r = await catalogGuardProvider.check!({}, { connection, catalogSchema: "public", migrations, catalogWriter: " w" });
    expect(r.failures).toEqual([{ property: "catalogWriter", reason: expect.stringMatching(/white space/) }]);
  });
});

describe("check refuses an applied migration whose file changed (issue 12, item 4)", () => {
  const news = { connection, catalogSchema: "public", migrations };
  test("an edited file fails the preview, naming the file", async () => {
    const edited = migrations.map((m) => (m.version === 2 ? { ...m, sql: `${m.sql}\n-- edited` } : m));
    const r = await catalogGuardProvider.check!({ ...news, migrations }, { ...news, migrations: edited });
    expect(r.failures).toEqual([
      {
        property: "migrations",
        reason: expect.stringMatching(/^sql\/002_catalog_policies\.sql differs from the file applied by the previous deployment/),
      },
    ]);
  });
  test("a new migration, or CRLF line endings, is fine", async () => {
    const older = migrations.slice(0, -1);
    expect((await catalogGuardProvider.check!({ ...news, migrations: older }, news)).failures).toEqual([]);
    const crlf = migrations.map((m) => ({ ...m, sql: m.sql.replace(/\n/g, "\r\n") }));
    expect((await catalogGuardProvider.check!({ ...news, migrations }, { ...news, migrations: crlf })).failures).toEqual([]);
  });
});
