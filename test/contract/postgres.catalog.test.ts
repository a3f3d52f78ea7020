// Contract test: every postgresql.* resource the Catalog component registers, with the inputs it registers
// them with (recorded under Pulumi mocks), replayed as terraform-provider-postgresql would run it
// (test/contract/postgresPlugin.ts cites the plugin's functions) against the real test PostgreSQL:
// create, DuckLake-like writes by owner and writer, refresh (read must give back the inputs: no drift),
// update where the plugin would run one, delete (what `pulumi destroy` does to the data).
import { Client } from "pg";
import { randomBytes } from "crypto";
import { pgAdmin, PgConnection } from "../support/services";
import { withClient } from "../support/pg";
import { buildSampleLake, createDuckLakeCatalog } from "../fixtures/ducklakeCatalog";
import { quoteIdent } from "../../model/names";
import {
  DatabaseInputs,
  DefaultPrivilegesInputs,
  GrantInputs,
  RoleInputs,
  databaseCreate,
  databaseDelete,
  databaseRead,
  defaultPrivilegesCreate,
  defaultPrivilegesDelete,
  defaultPrivilegesRead,
  grantCreateOrUpdate,
  grantDelete,
  grantGrantSql,
  grantRead,
  grantRevokeSql,
  roleCreate,
  roleDelete,
  roleRead,
  schemaCreate,
  schemaDelete,
  schemaRead,
} from "./postgresPlugin";
import { Recorded, recordCatalog } from "./recordedCatalog";
import { missingWriterTables, writerTableGrantsProvider } from "../../providers/writerTableGrants";
import { installGuard } from "../../postgres/guardClient";
import type { CatalogConnection } from "../../model/connection";

const sfx = randomBytes(4).toString("hex");
// Role names are cluster-wide: rename the fixed ones so parallel test files cannot collide.
const OWNER = `ducklake_owner_${sfx}`,
  WRITER = `ducklake_writer_${sfx}`,
  DB = `contract_cat_${sfx}`,
  SCHEMA = "lake";

/** Registers a Catalog under mocks and returns its resources with their inputs and ignoreChanges. */
const catalogResources = (admin: PgConnection): Promise<Recorded[]> =>
  recordCatalog({
    admin,
    database: DB,
    catalogSchema: SCHEMA,
    owner: OWNER,
    writer: WRITER,
    state: (r) =>
      r.type === "random:index/randomPassword:RandomPassword" ? { ...r.inputs, result: `Pw${randomBytes(12).toString("hex")}` } : r.inputs,
  });

let admin: PgConnection;
let rs: Recorded[];
const ofType = (t: string) => rs.filter((r) => r.type === t);
const pw = `pw${sfx}`;
const inDb = <T>(fn: (c: Client) => Promise<T>) => withClient({ ...admin, database: DB }, fn);
const as = <T>(role: string, fn: (c: Client) => Promise<T>) => withClient({ ...admin, database: DB, user: role, password: pw }, fn);

beforeAll(async () => {
  admin = pgAdmin();
  rs = await catalogResources(admin);
}, 60000);

afterAll(async () => {
  await withClient(admin, async (c) => {
    await c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [DB]);
    await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(DB)}`);
    for (const r of [WRITER, OWNER]) {
      const { rows } = await c.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [r]);
      if (rows.length) {
        await c.query(`DROP OWNED BY ${quoteIdent(r)}`);
        await c.query(`DROP ROLE ${quoteIdent(r)}`);
      }
    }
  });
});

describe("the Catalog's postgresql resources, replayed as the plugin runs them", () => {
  it("registers exactly these PostgreSQL resource types (each one is replayed below)", () => {
    const types = [...new Set(rs.filter((r) => /postgresql|pulumi-nodejs:dynamic/.test(r.type)).map((r) => r.type))].sort();
    // The provider's connection is replayed in test/integration/cloudInit.postgres.test.ts (verify-full),
    // the guard in test/integration/catalogGuard.provider.test.ts.
    expect(types).toEqual([
      "postgresql:index/database:Database",
      "postgresql:index/defaultPrivileges:DefaultPrivileges",
      "postgresql:index/grant:Grant",
      "postgresql:index/role:Role",
      "postgresql:index/schema:Schema",
      "pulumi-nodejs:dynamic/ducklake:CatalogGuard",
      "pulumi-nodejs:dynamic/ducklake:WriterTableGrants",
      "pulumi:providers:postgresql",
    ]);
  });

  it("create: roles, database, schema, grants, default privileges and the writer's existing-table grants", async () => {
    await withClient(admin, async (c) => {
      for (const r of ofType("postgresql:index/role:Role")) await roleCreate(c, { ...(r.inputs as RoleInputs), password: pw });
      const [d] = ofType("postgresql:index/database:Database");
      await databaseCreate(c, d.inputs as DatabaseInputs);
    });
    await inDb(async (c) => {
      for (const s of ofType("postgresql:index/schema:Schema")) await schemaCreate(c, s.inputs as any);
      // A table the owner made before any grant existed (e.g. a catalog restored from a dump).
      await c.query(`SET ROLE ${quoteIdent(OWNER)}`);
      await c.query(`CREATE TABLE ${SCHEMA}.pre_existing (id int)`);
      await c.query("RESET ROLE");
      for (const g of ofType("postgresql:index/grant:Grant"))
        expect(await grantCreateOrUpdate(c, g.inputs as GrantInputs)).toEqual([...g.inputs.privileges].sort());
      for (const d of ofType("postgresql:index/defaultPrivileges:DefaultPrivileges"))
        expect(await defaultPrivilegesCreate(c, d.inputs as DefaultPrivilegesInputs)).toEqual([...d.inputs.privileges].sort());
    });
    const wtg = rs.find((r) => r.name === "ducklake-catalog-writer-existing-tables")!;
    const conn: CatalogConnection = { ...wtg.inputs.connection, database: DB };
    const created = await writerTableGrantsProvider.create!({ connection: conn, schema: SCHEMA, owner: OWNER, writer: WRITER });
    expect(created.outs.missing).toEqual([]);
    await as(WRITER, (w) =>
      w.query(
        `INSERT INTO ${SCHEMA}.pre_existing VALUES (1); UPDATE ${SCHEMA}.pre_existing SET id = 2; DELETE FROM ${SCHEMA}.pre_existing`,
      ),
    );
  });

  it("refresh after the guard install and DuckLake writes (owner ATTACH, writer-created and altered inlined tables) reads back every input: no drift", async () => {
    // What the CatalogGuard resource does (providers/catalogGuard.ts create → installGuard, as the admin):
    // among others GRANT ducklake_reader TO <owner> WITH ADMIN OPTION.
    await inDb((su) => installGuard(su, { catalogSchema: SCHEMA, catalogOwner: OWNER }));
    await inDb(async (su) => {
      await su.query(`SET ROLE ${quoteIdent(OWNER)}`);
      const lake = await buildSampleLake(await createDuckLakeCatalog(su, { catalogSchema: SCHEMA }));
      await su.query("RESET ROLE");
      const orders = lake.tables["sales.orders"];
      await as(WRITER, async (w) => {
        await w.query(
          `CREATE TABLE ${SCHEMA}.ducklake_inlined_data_${orders}_7 (row_id bigint, begin_snapshot bigint, end_snapshot bigint, v text)`,
        );
        await w.query(`INSERT INTO ${SCHEMA}.ducklake_inlined_data_${orders}_7 VALUES (1, 1, NULL, 'x')`);
        await w.query(`ALTER TABLE ${SCHEMA}.ducklake_inlined_data_${orders}_7 ADD COLUMN w int`);
        await w.query(`INSERT INTO ${SCHEMA}.ducklake_snapshot SELECT * FROM ${SCHEMA}.ducklake_snapshot LIMIT 0`);
      });
      // the owner alters a catalog table, as a DuckLake migration does
      await su.query(`SET ROLE ${quoteIdent(OWNER)}; ALTER TABLE ${SCHEMA}.ducklake_metadata ADD COLUMN contract_probe int; RESET ROLE`);
    });
    await inDb(async (c) => {
      for (const g of ofType("postgresql:index/grant:Grant"))
        expect([g.name, await grantRead(c, g.inputs as GrantInputs)]).toEqual([g.name, [...g.inputs.privileges].sort()]);
      for (const d of ofType("postgresql:index/defaultPrivileges:DefaultPrivileges"))
        expect([d.name, await defaultPrivilegesRead(c, d.inputs as DefaultPrivilegesInputs)]).toEqual([
          d.name,
          [...d.inputs.privileges].sort(),
        ]);
      for (const s of ofType("postgresql:index/schema:Schema"))
        expect(await schemaRead(c, s.inputs.name)).toEqual({ name: s.inputs.name, owner: s.inputs.owner });
    });
    await withClient(admin, async (c) => {
      for (const r of ofType("postgresql:index/role:Role")) {
        const got = await roleRead(c, r.inputs.name);
        expect(got).toMatchObject({
          name: r.inputs.name,
          login: r.inputs.login === true,
          bypassRowLevelSecurity: r.inputs.bypassRowLevelSecurity === true,
          superuser: false,
        });
        // `roles` read back differently from the inputs is a diff, unless Pulumi ignores that input
        // (the plugin's update would then REVOKE the membership: resource_postgresql_role.go, revokeRoles).
        // (pulumi-terraform-bridge removes ignored attributes from the plugin's diff.)
        if (!r.ignoreChanges.includes("roles")) expect([r.name, got!.roles]).toEqual([r.name, r.inputs.roles ?? []]);
        else expect([r.name, got!.roles]).toEqual([r.name, ["ducklake_reader"]]); // the guard's membership, kept
        expect(got!.passwordScheme).toBe("SCRAM-SHA-256"); // readRolePassword then keeps the state's password: no diff
      }
      const [d] = ofType("postgresql:index/database:Database");
      expect(await databaseRead(c, DB)).toEqual({
        name: DB,
        owner: OWNER,
        encoding: d.inputs.encoding,
        allowConnections: true,
        isTemplate: false,
        connectionLimit: -1,
      });
    });
    const read = await writerTableGrantsProvider.read!("id", {
      connection: { ...admin, database: DB, sslmode: "disable" },
      schema: SCHEMA,
      owner: OWNER,
      writer: WRITER,
    });
    expect(read.props.missing).toEqual([]);
    const diff = await writerTableGrantsProvider.diff!("id", read.props, { ...read.props, missing: undefined });
    expect(diff.changes).toBe(false);
  });

  it("the writer keeps every right on tables it created and SELECT/INSERT/UPDATE/DELETE on the owner's, before and after", async () => {
    await inDb(async (c) => {
      const { rows } = await c.query(
        `SELECT c.relname, pg_get_userbyid(c.relowner) AS owner,
          has_table_privilege($2, c.oid, 'SELECT') AND has_table_privilege($2, c.oid, 'INSERT') AND has_table_privilege($2, c.oid, 'UPDATE')
          AND has_table_privilege($2, c.oid, 'DELETE') AS rw, has_table_privilege($2, c.oid, 'TRUNCATE') AS trunc
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'`,
        [SCHEMA, WRITER],
      );
      expect(rows.length).toBeGreaterThan(20);
      for (const r of rows) expect([r.relname, r.rw]).toEqual([r.relname, true]);
      for (const r of rows.filter((x) => x.owner === WRITER)) expect([r.relname, r.trunc]).toEqual([r.relname, true]);
      expect(rows.filter((x) => x.owner === WRITER).length).toBe(1);
    });
  });

  it("a table losing a writer privilege shows on refresh and the update grants it back, revoking nothing", async () => {
    await inDb((c) => c.query(`REVOKE UPDATE ON ${SCHEMA}.ducklake_snapshot FROM ${quoteIdent(WRITER)}`));
    const conn: CatalogConnection = { ...admin, database: DB, sslmode: "disable" };
    expect(await missingWriterTables(conn, SCHEMA, OWNER, WRITER)).toEqual(["ducklake_snapshot"]);
    const read = await writerTableGrantsProvider.read!("id", { connection: conn, schema: SCHEMA, owner: OWNER, writer: WRITER });
    expect((await writerTableGrantsProvider.diff!("id", read.props, { ...read.props, missing: undefined })).changes).toBe(true);
    await writerTableGrantsProvider.update!("id", read.props, { connection: conn, schema: SCHEMA, owner: OWNER, writer: WRITER });
    expect(await missingWriterTables(conn, SCHEMA, OWNER, WRITER)).toEqual([]);
  });

  it("the removed postgresql.Grant on all tables would drift here, and its update strips the writer's own TRUNCATE", async () => {
    const old: GrantInputs = {
      database: DB,
      role: WRITER,
      objectType: "table",
      schema: SCHEMA,
      objects: [],
      privileges: ["SELECT", "INSERT", "UPDATE", "DELETE"],
    };
    await inDb(async (c) => {
      expect(await grantRead(c, old)).not.toEqual([...old.privileges].sort()); // the plugin's read: drift
      const inlined = (await c.query(`SELECT relname FROM pg_class WHERE relowner = to_regrole($1) AND relkind = 'r'`, [WRITER])).rows[0]
        .relname;
      await c.query("BEGIN");
      await c.query(`${grantRevokeSql(old)}; ${grantGrantSql(old)}`);
      const {
        rows: [{ t }],
      } = await c.query(`SELECT has_table_privilege($1, $2, 'TRUNCATE') AS t`, [WRITER, `${SCHEMA}.${inlined}`]);
      await c.query("ROLLBACK");
      expect(t).toBe(false);
    });
  });

  it("delete: grants and default privileges revoke; the schema refuses while DuckLake tables are in it; the database is dropped WITH (FORCE) under open sessions", async () => {
    await inDb(async (c) => {
      for (const d of ofType("postgresql:index/defaultPrivileges:DefaultPrivileges")) {
        await defaultPrivilegesDelete(c, d.inputs as DefaultPrivilegesInputs);
        expect(await defaultPrivilegesRead(c, d.inputs as DefaultPrivilegesInputs)).toEqual([]);
      }
      for (const g of ofType("postgresql:index/grant:Grant")) {
        await grantDelete(c, g.inputs as GrantInputs);
        expect(await grantRead(c, { ...(g.inputs as GrantInputs), privileges: [] })).toEqual([]);
      }
      await expect(schemaDelete(c, SCHEMA)).rejects.toThrow(/cannot drop schema lake because other objects depend on it/);
    });
    // A pipeline still connected loses its session: this is why the database is protected on prod.
    const pipeline = new Client({ ...admin, database: DB, user: OWNER, password: pw });
    await pipeline.connect();
    const ended = new Promise<string>((resolve) => pipeline.on("error", (e) => resolve(String(e.message))));
    await withClient(admin, (c) => databaseDelete(c, DB));
    expect(await ended).toMatch(/terminating connection due to administrator command/);
    await pipeline.end().catch(() => undefined);
    await withClient(admin, async (c) => {
      expect(await databaseRead(c, DB)).toBeUndefined();
      for (const r of [WRITER, OWNER]) {
        await roleDelete(c, r);
        expect(await roleRead(c, r)).toBeUndefined();
      }
    });
  });
});
