// Contract test of the external target's catalog (issue 17): every resource the Catalog component registers with
// adminIsSuperuser: false (recorded under Pulumi mocks, with its dependencies), replayed as
// terraform-provider-postgresql runs it with `superuser: false` (test/contract/postgresPlugin.ts; the dynamic
// providers run as themselves) — connected only as a managed-shape admin (LOGIN CREATEROLE CREATEDB, no superuser)
// and, where the component says so, as the owner login. Create in dependency order, the guard installed by the owner,
// a reader reading its grant, then delete in reverse order (what `pulumi destroy` does).
import { Client } from "pg";
import { randomBytes } from "crypto";
import { createManagedAdmin, dropManagedAdmin } from "../support/managedPg";
import { withClient } from "../support/pg";
import { pgAdmin, PgConnection } from "../support/services";
import { buildSampleLake, createDuckLakeCatalog } from "../fixtures/ducklakeCatalog";
import { quoteIdent } from "../../model/names";
import {
  DatabaseInputs,
  DefaultPrivilegesInputs,
  GrantInputs,
  RoleInputs,
  databaseCreate,
  databaseDeleteNonSuperuser,
  defaultPrivilegesCreate,
  defaultPrivilegesDelete,
  grantCreateOrUpdate,
  grantDelete,
  grantRoleCreate,
  grantRoleDelete,
  grantRoleRead,
  roleCreate,
  roleDeleteNonSuperuser,
  schemaCreate,
} from "./postgresPlugin";
import { Recorded, recordCatalog } from "./recordedCatalog";
import { readerBaseRoleProvider } from "../../providers/readerBaseRole";
import { writerTableGrantsProvider } from "../../providers/writerTableGrants";
import { catalogGuardProvider } from "../../providers/catalogGuard";
import { grantRead, guardStatus } from "../../postgres/guardClient";
import { loadMigrations } from "../../postgres/sqlFiles";
import type { CatalogConnection } from "../../model/connection";

const sfx = randomBytes(4).toString("hex");
const OWNER = `ext_owner_${sfx}`,
  WRITER = `ext_writer_${sfx}`,
  READER = `ext_reader_${sfx}`,
  DB = `ext_contract_${sfx}`,
  SCHEMA = "lake";
const pw = `pw${sfx}`;
let admin: PgConnection;
let rs: Recorded[];

/** Registers a Catalog in the managed shape under mocks; each resource with its inputs and the names it depends on. */
const catalogResources = (a: PgConnection): Promise<Recorded[]> =>
  recordCatalog({
    admin: a,
    database: DB,
    catalogSchema: SCHEMA,
    adminIsSuperuser: false,
    owner: OWNER,
    writer: WRITER,
    state: (r) =>
      r.type === "random:index/randomPassword:RandomPassword"
        ? { ...r.inputs, result: pw }
        : r.type === "pulumi-nodejs:dynamic/ducklake:ReaderBaseRole"
          ? { ...r.inputs, roleName: "ducklake_reader" }
          : r.inputs,
  });

const ofType = (t: string) => rs.filter((r) => r.type === t);
const named = (n: string) => rs.find((r) => r.name === n)!;
const asAdmin = <T>(fn: (c: Client) => Promise<T>, database = "postgres") => withClient({ ...admin, database }, fn);
const ownerConn = (): CatalogConnection => ({ ...admin, database: DB, user: OWNER, password: pw, sslmode: "disable" });

beforeAll(async () => {
  admin = await createManagedAdmin("extc");
  rs = await catalogResources(admin);
}, 60000);

afterAll(async () => {
  await withClient(pgAdmin(), async (c) => {
    await c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [DB]);
    await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(DB)}`);
    for (const r of [READER, WRITER, OWNER]) await c.query(`DROP ROLE IF EXISTS ${quoteIdent(r)}`);
  });
  await dropManagedAdmin(admin);
});

describe("externalTarget.contract: the managed-shape Catalog replayed as the plugin runs it without superuser", () => {
  it("externalTarget.contract: registers exactly these resource types, the memberships before the database and the guard", () => {
    expect([...new Set(rs.map((r) => r.type))].filter((t) => /postgresql|dynamic/.test(t)).sort()).toEqual([
      "postgresql:index/database:Database",
      "postgresql:index/defaultPrivileges:DefaultPrivileges",
      "postgresql:index/grant:Grant",
      "postgresql:index/grantRole:GrantRole",
      "postgresql:index/role:Role",
      "postgresql:index/schema:Schema",
      "pulumi-nodejs:dynamic/ducklake:CatalogGuard",
      "pulumi-nodejs:dynamic/ducklake:ReaderBaseRole",
      "pulumi-nodejs:dynamic/ducklake:WriterTableGrants",
      "pulumi:providers:postgresql",
    ]);
    expect(named("ducklake-catalog-postgres").inputs).toMatchObject({ superuser: "false", username: admin.user });
    expect(named("ducklake-catalog-writer").inputs.bypassRowLevelSecurity).toBe(false);
    const deps = (n: string) => named(n).dependencies.join(" ");
    for (const m of [
      "ducklake-catalog-admin-member-of-owner",
      "ducklake-catalog-admin-member-of-writer",
      "ducklake-catalog-owner-administers-readers",
      "ducklake-catalog-owner-member-of-writer",
    ]) {
      expect(deps("ducklake-catalog-database")).toContain(m);
      expect(deps("ducklake-catalog-guard")).toContain(m);
    }
    expect(deps("ducklake-catalog-writer-future-tables")).toContain("ducklake-catalog-admin-member-of-writer");
  });

  it("externalTarget.contract: create as the admin (no superuser), the guard installed by the owner login; a reader reads exactly its grant", async () => {
    expect((await asAdmin((c) => c.query("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))).rows[0].rolsuper).toBe(false);
    await asAdmin(async (c) => {
      for (const r of ofType("postgresql:index/role:Role")) await roleCreate(c, { ...(r.inputs as RoleInputs), password: pw });
    });
    const base = named("ducklake-catalog-reader-base-role");
    await readerBaseRoleProvider.create({ connection: { ...base.inputs.connection, password: admin.password } } as any);
    await asAdmin(async (c) => {
      for (const g of ofType("postgresql:index/grantRole:GrantRole")) await grantRoleCreate(c, g.inputs as any);
      // the plugin's grantRoleMembership finds the admin a member already: nothing temporary
      expect((await c.query("SELECT pg_has_role(current_user, $1, 'MEMBER') AS m", [OWNER])).rows[0].m).toBe(true);
      await databaseCreate(c, named("ducklake-catalog-database").inputs as DatabaseInputs);
      expect(await grantRoleRead(c, { role: OWNER, grantRole: "ducklake_reader" })).toEqual({ withAdminOption: true });
      expect(await grantRoleRead(c, { role: OWNER, grantRole: WRITER })).toEqual({ withAdminOption: false });
      expect(await grantRoleRead(c, { role: WRITER, grantRole: OWNER })).toBeUndefined();
    });
    await asAdmin(async (c) => {
      for (const s of ofType("postgresql:index/schema:Schema")) await schemaCreate(c, s.inputs as any);
      for (const g of ofType("postgresql:index/grant:Grant"))
        expect(await grantCreateOrUpdate(c, g.inputs as GrantInputs)).toEqual([...g.inputs.privileges].sort());
      for (const d of ofType("postgresql:index/defaultPrivileges:DefaultPrivileges"))
        expect(await defaultPrivilegesCreate(c, d.inputs as DefaultPrivilegesInputs)).toEqual([...d.inputs.privileges].sort());
    }, DB);
    // The owner builds the catalog (DuckLake's first ATTACH), then WriterTableGrants and the guard run as the owner.
    const wtg = named("ducklake-catalog-writer-existing-tables");
    const guard = named("ducklake-catalog-guard");
    expect([wtg.inputs.connection.user, guard.inputs.connection.user]).toEqual([OWNER, OWNER]);
    await withClient(ownerConn(), async (o) => {
      await buildSampleLake(await createDuckLakeCatalog(o, { catalogSchema: SCHEMA }));
    });
    expect(
      (await writerTableGrantsProvider.create!({ connection: ownerConn(), schema: SCHEMA, owner: OWNER, writer: WRITER })).outs.missing,
    ).toEqual([]);
    const g = await catalogGuardProvider.create!({
      connection: ownerConn(),
      catalogSchema: SCHEMA,
      catalogOwner: guard.inputs.catalogOwner,
      catalogWriter: guard.inputs.catalogWriter,
      migrations: loadMigrations(),
    });
    expect(g.outs).toMatchObject({
      version: loadMigrations().at(-1)!.version,
      eventTrigger: false,
      catalogWriter: WRITER,
      unprotected: [],
    });
    // A reader as LakeReader makes it (the admin, IN ROLE ducklake_reader), granted one table by the owner.
    await asAdmin((c) => c.query(`CREATE ROLE ${quoteIdent(READER)} LOGIN PASSWORD '${pw}' IN ROLE ducklake_reader`));
    await withClient(ownerConn(), async (o) => {
      await grantRead(o, { reader: READER, schema: "sales", table: "orders" });
      expect((await guardStatus(o)).catalogOwner).toBe(OWNER);
    });
    const seen = await withClient({ ...admin, database: DB, user: READER, password: pw }, async (r) =>
      (await r.query(`SELECT t.table_name FROM ${SCHEMA}.ducklake_table t WHERE t.end_snapshot IS NULL ORDER BY 1`)).rows.map(
        (x) => x.table_name,
      ),
    );
    expect(seen).toEqual(["orders"]);
    // The writer (no BYPASSRLS) sees every catalog row through the guard's write policy.
    const writerSees = await withClient({ ...admin, database: DB, user: WRITER, password: pw }, async (w) => {
      expect((await w.query("SELECT rolbypassrls FROM pg_roles WHERE rolname = current_user")).rows[0].rolbypassrls).toBe(false);
      return (await w.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.ducklake_table WHERE end_snapshot IS NULL`)).rows[0].n;
    });
    const ownerSees = await withClient(
      ownerConn(),
      async (o) => (await o.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.ducklake_table WHERE end_snapshot IS NULL`)).rows[0].n,
    );
    expect(writerSees).toBe(ownerSees);
    expect(ownerSees).toBeGreaterThan(5);
  });

  it("externalTarget.contract: delete in reverse order as the admin: guard, privileges, database, memberships, roles; ducklake_reader stays", async () => {
    const guard = named("ducklake-catalog-guard");
    await catalogGuardProvider.delete!("g", { connection: ownerConn(), catalogSchema: SCHEMA, catalogOwner: OWNER } as any);
    await asAdmin(async (c) => {
      for (const d of ofType("postgresql:index/defaultPrivileges:DefaultPrivileges"))
        await defaultPrivilegesDelete(c, d.inputs as DefaultPrivilegesInputs);
      for (const g of ofType("postgresql:index/grant:Grant")) await grantDelete(c, g.inputs as GrantInputs);
    }, DB);
    expect(guard.inputs.catalogOwner).toBe(OWNER);
    await asAdmin(async (c) => {
      await c.query(`DROP ROLE ${quoteIdent(READER)}`);
      await databaseDeleteNonSuperuser(c, DB, OWNER);
      for (const g of ofType("postgresql:index/grantRole:GrantRole")) await grantRoleDelete(c, g.inputs as any);
      for (const r of ofType("postgresql:index/role:Role").reverse()) await roleDeleteNonSuperuser(c, r.inputs.name);
      const left = await c.query("SELECT rolname FROM pg_roles WHERE rolname = ANY($1) ORDER BY 1", [[OWNER, WRITER, "ducklake_reader"]]);
      expect(left.rows.map((r) => r.rolname)).toEqual(["ducklake_reader"]);
      expect((await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [DB])).rows).toEqual([]);
    });
    await readerBaseRoleProvider.delete!("b", {} as any); // shared: never dropped
    expect((await asAdmin((c) => c.query("SELECT 1 FROM pg_roles WHERE rolname = 'ducklake_reader'"))).rows.length).toBe(1);
  });
});
