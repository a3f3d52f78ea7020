// On the VPS target the guard provider connects as the superuser on every preview, refresh and update. Every guard
// object belongs to the catalog owner, who can replace a guard function (or the setting table) with code that runs
// as its caller: a superuser calling it would run the owner's code with superuser rights. The provider therefore
// acts as the guard's owner for everything but the migration files (postgres/guardClient.ts actAsGuardOwner).
// Found by the security review of this session; each step below made the owner a superuser before the fix.
import { randomBytes } from "crypto";
import { Client } from "pg";
import { createTestDatabase, dropTestDatabase } from "../support/pg";
import { PgConnection } from "../support/services";
import { buildSampleLake, createDuckLakeCatalog } from "../fixtures/ducklakeCatalog";
import { catalogGuardProvider } from "../../providers/catalogGuard";
import { loadMigrations } from "../../postgres/sqlFiles";
import type { CatalogConnection } from "../../model/connection";

const OWNER = `cg_su_owner_${randomBytes(3).toString("hex")}`;
const PASSWORD = randomBytes(9).toString("hex");
let su: PgConnection;
let suClient: Client;
let ownerClient: Client;
let connection: CatalogConnection;

const isSuperuser = async () => (await suClient.query("SELECT rolsuper FROM pg_roles WHERE rolname = $1", [OWNER])).rows[0].rolsuper;

beforeAll(async () => {
  su = await createTestDatabase("cg_susafe");
  suClient = new Client(su);
  await suClient.connect();
  await suClient.query(`CREATE ROLE ${OWNER} LOGIN PASSWORD '${PASSWORD}'`);
  await suClient.query(`ALTER DATABASE ${su.database} OWNER TO ${OWNER}`);
  ownerClient = new Client({ ...su, user: OWNER, password: PASSWORD });
  await ownerClient.connect();
  await buildSampleLake(await createDuckLakeCatalog(ownerClient, { catalogSchema: "lake" }));
  connection = { host: su.host, port: su.port, database: su.database, user: su.user, password: su.password, sslmode: "disable" };
});
afterAll(async () => {
  await ownerClient.end();
  await suClient.end();
  await dropTestDatabase(su);
  await suClient.connect().catch(() => undefined);
  const c = new Client({ ...su, database: "postgres" });
  await c.connect();
  await c.query(`DROP OWNED BY ${OWNER}`).catch(() => undefined);
  await c.query(`DROP ROLE IF EXISTS ${OWNER}`);
  await c.end();
});

test("a catalog owner that plants code in guard objects does not get it run by the superuser provider", async () => {
  const migrations = loadMigrations();
  const inputs = (await catalogGuardProvider.check!({}, { connection, catalogSchema: "lake", catalogOwner: OWNER, migrations })).inputs;
  const created = await catalogGuardProvider.create!(inputs);
  expect(created.outs).toMatchObject({ version: migrations.at(-1)!.version, catalogOwner: OWNER });
  expect(await isSuperuser()).toBe(false);

  // The owner (it owns the guard schema and its functions) plants an escalation: a function that makes it a
  // superuser when a superuser runs it, behind a guard function the provider calls and behind the setting table.
  await ownerClient.query(`
    CREATE FUNCTION ducklake_guard.pwn() RETURNS boolean LANGUAGE plpgsql AS $$
    BEGIN
      IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN EXECUTE 'ALTER ROLE ${OWNER} SUPERUSER'; END IF;
      RETURN true;
    END $$`);
  await ownerClient.query(`
    CREATE OR REPLACE FUNCTION ducklake_guard.unprotected_catalog_tables() RETURNS TABLE (table_name text, problem text)
    LANGUAGE plpgsql AS $$ BEGIN PERFORM ducklake_guard.pwn(); RETURN; END $$`);
  await ownerClient.query("ALTER TABLE ducklake_guard.setting RENAME TO setting_real");
  await ownerClient.query("CREATE VIEW ducklake_guard.setting AS SELECT * FROM ducklake_guard.setting_real WHERE ducklake_guard.pwn()");

  // What every `pulumi preview` (diff), `pulumi refresh` (read) and `pulumi up` (update) does with the superuser.
  await catalogGuardProvider.diff!(created.id, { ...created.outs, unprotected: [] }, inputs);
  expect(await isSuperuser()).toBe(false);
  await catalogGuardProvider.read!(created.id, created.outs);
  expect(await isSuperuser()).toBe(false);
  await catalogGuardProvider.update!(created.id, created.outs, inputs);
  expect(await isSuperuser()).toBe(false);
}, 120_000);
