import * as pulumi from "@pulumi/pulumi";
import * as postgresql from "@pulumi/postgresql";
import * as random from "@pulumi/random";
import { CatalogConnection } from "../model/connection";
import { roleAttachSql } from "../model/attach";
import { RESERVED_CONNECTIONS_SINCE } from "../model/connectionBudget";
import { CatalogGuard } from "../providers/catalogGuard";
import { WriterTableGrants } from "../providers/writerTableGrants";
import { ReaderBaseRole } from "../providers/readerBaseRole";
import { writeCaFile } from "./caFile";

/** Login role that owns the catalog tables: the only role that runs DuckLake maintenance. */
export const CATALOG_OWNER_ROLE = "ducklake_owner";
/**
 * Login role for pipelines that write data. On a server the program builds it has BYPASSRLS (it must see every
 * row it may change); on an external server (no superuser to give it) the guard's write policy lets it see them.
 */
export const CATALOG_WRITER_ROLE = "ducklake_writer";

export interface CatalogArgs {
  /**
   * Superuser connection to the PostgreSQL server (any database; the catalog database is created
   * here). Secret. Its host should depend on server readiness (an Output of the ready command).
   */
  admin: pulumi.Input<CatalogConnection>;
  /** Catalog database name (plain identifier, validated by model/config). */
  database: string;
  /** PostgreSQL schema of the DuckLake catalog tables (default public). */
  catalogSchema: string;
  /** DuckLake DATA_PATH, e.g. s3://my-lake/data/. */
  dataPath: pulumi.Input<string>;
  /** File name clients keep the server CA in (prod ATTACH strings; default ducklake-ca.pem). */
  caFileName?: string;
  /** PostgreSQL major of the server; 16+ lets the owner and writer use reserved_connections (rendered postgresql.conf). */
  postgresVersion?: number;
  /**
   * Where the program writes the server CA for the postgresql provider (verify-full), an absolute path:
   * terraform-provider-postgresql takes `sslrootcert` as a file path only. Needed when admin is verify-full.
   */
  providerCaFile?: string;
  /** Protect the catalog database (Pulumi `protect`): its delete is DROP DATABASE … WITH (FORCE). */
  protect?: boolean;
  /**
   * Whether `admin` is a superuser (default true: the VPS and local targets). false = the managed shape of the
   * external target, a login with CREATEROLE and CREATEDB only: the provider runs with superuser: false, the writer
   * gets no BYPASSRLS, the admin creates ducklake_reader and grants it to the owner WITH ADMIN OPTION, becomes a
   * member of the owner and writer (database ownership, the writer's default privileges), the owner becomes a member
   * of the writer (the guard acts on the writer's inlined tables), and the guard is installed by the owner login.
   */
  adminIsSuperuser?: boolean;
}

/**
 * The DuckLake catalog database on PostgreSQL: a postgresql.Provider bound to the server, the
 * database, its owner role and a writer role, with the DuckLake ATTACH statement per role.
 */
export class Catalog extends pulumi.ComponentResource {
  readonly provider: postgresql.Provider;
  readonly database: postgresql.Database;
  /** The admin's connection to the catalog database (secret; a superuser except on the external target): admin tools. */
  readonly adminConnection: pulumi.Output<CatalogConnection>;
  readonly ownerConnection: pulumi.Output<CatalogConnection>;
  readonly writerConnection: pulumi.Output<CatalogConnection>;
  /** `ATTACH 'ducklake:postgres:…' AS lake (…)` per role; passwords come from PGPASSWORD/.pgpass. */
  readonly attachSql: { owner: pulumi.Output<string>; writer: pulumi.Output<string> };
  readonly catalogSchema: string;
  /** The catalog guard (RLS + ACL) installed in the catalog database. */
  readonly guard: CatalogGuard;

  constructor(name: string, args: CatalogArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ducklake:catalog:Catalog", name, {}, opts);
    const parent = { parent: this };
    const superuser = args.adminIsSuperuser ?? true;
    const admin = pulumi.output(args.admin);
    this.catalogSchema = args.catalogSchema;

    // Only the password is secret; host, port and user stay readable in previews.
    // verify-full: the plugin (lib/pq) reads the CA from a file, so the program writes the stack's CA there
    // first (components/caFile.ts); the path exists before the provider is configured.
    const unsecretAdmin = pulumi.unsecret(admin);
    const sslrootcert = unsecretAdmin.apply((a) => {
      if (a.sslmode !== "verify-full") return undefined;
      if (!a.sslRootCert) throw new Error("Catalog: admin connection is verify-full but has no sslRootCert (CA PEM)");
      if (!args.providerCaFile)
        throw new Error("Catalog: admin connection is verify-full: give providerCaFile (where the provider reads the CA)");
      return writeCaFile(args.providerCaFile, a.sslRootCert);
    });
    this.provider = new postgresql.Provider(
      `${name}-postgres`,
      {
        host: unsecretAdmin.host,
        port: unsecretAdmin.port,
        username: unsecretAdmin.user,
        password: pulumi.secret(admin.password),
        database: "postgres",
        sslmode: unsecretAdmin.sslmode,
        sslrootcert,
        // false: the plugin then never assumes superuser rights (e.g. it grants itself the new owner of a database).
        superuser,
        connectTimeout: 30,
      },
      parent,
    );
    const withProvider = { parent: this, provider: this.provider };

    const ownerPassword = new random.RandomPassword(`${name}-owner-password`, { length: 32, special: false }, parent);
    const writerPassword = new random.RandomPassword(`${name}-writer-password`, { length: 32, special: false }, parent);

    // The guard makes the owner a member of ducklake_reader WITH ADMIN OPTION (sql/001). The plugin's read
    // reports that membership as `roles`, and its update revokes every membership not in `roles`
    // (resource_postgresql_role.go, revokeRoles): the bridge drops ignored attributes from the diff.
    const owner = new postgresql.Role(
      `${name}-owner`,
      {
        name: CATALOG_OWNER_ROLE,
        login: true,
        password: ownerPassword.result,
      },
      { ...withProvider, ignoreChanges: ["roles"] },
    );
    const writer = new postgresql.Role(
      `${name}-writer`,
      {
        name: CATALOG_WRITER_ROLE,
        login: true,
        password: writerPassword.result,
        // Only a superuser may give BYPASSRLS (PostgreSQL 15+: "must be superuser to create bypassrls users").
        bypassRowLevelSecurity: superuser,
      },
      withProvider,
    );

    // The managed shape: what a superuser would otherwise do implicitly. Each membership is its own resource, so a
    // preview shows it and a destroy revokes it.
    const memberships: pulumi.Resource[] = [];
    if (!superuser) {
      // ducklake_reader is shared by every catalog on the server: ensured, never dropped (providers/readerBaseRole.ts).
      const readerBase = new ReaderBaseRole(`${name}-reader-base-role`, { connection: admin }, parent);
      memberships.push(
        new postgresql.GrantRole(
          `${name}-owner-administers-readers`,
          { role: owner.name, grantRole: readerBase.roleName, withAdminOption: true },
          withProvider,
        ),
      );
      // CREATE DATABASE … OWNER and ALTER DEFAULT PRIVILEGES FOR ROLE need the admin to be a member of that role.
      for (const [key, role] of [
        ["owner", owner],
        ["writer", writer],
      ] as const)
        memberships.push(
          new postgresql.GrantRole(`${name}-admin-member-of-${key}`, { role: unsecretAdmin.user, grantRole: role.name }, withProvider),
        );
      // The owner (which installs and runs the guard) must act on the writer's inlined tables: partition row filters
      // enable RLS and create policies on them, which only their owner — the writer — or its members may do. Never
      // the other direction (the writer would then own the guard).
      memberships.push(
        new postgresql.GrantRole(`${name}-owner-member-of-writer`, { role: owner.name, grantRole: writer.name }, withProvider),
      );
    }
    const afterMemberships = { ...withProvider, dependsOn: memberships };

    // Readers can never fill the slots kept for the owner and writer (PostgreSQL 16+; on 15 the preview's
    // connection budget is the only guard: model/connectionBudget.ts).
    if ((args.postgresVersion ?? 0) >= RESERVED_CONNECTIONS_SINCE) {
      for (const [key, role] of [
        ["owner", owner],
        ["writer", writer],
      ] as const)
        new postgresql.GrantRole(
          `${name}-${key}-reserved-connections`,
          { role: role.name, grantRole: "pg_use_reserved_connections" },
          withProvider,
        );
    }

    // Its delete (and any replace) runs DROP DATABASE … WITH (FORCE) (terraform-provider-postgresql,
    // resource_postgresql_database.go, resourcePostgreSQLDatabaseDelete): protected on prod.
    this.database = new postgresql.Database(
      `${name}-database`,
      {
        name: args.database,
        owner: owner.name,
        encoding: "UTF8",
        template: "template0",
      },
      { ...afterMemberships, protect: args.protect ?? false },
    );
    const db = this.database.name;

    // `public` is owned by pg_database_owner (the owner role) since PostgreSQL 15; any other schema is made here.
    const schemaDeps: pulumi.Resource[] = [];
    if (args.catalogSchema !== "public") {
      schemaDeps.push(
        new postgresql.Schema(
          `${name}-schema`,
          {
            name: args.catalogSchema,
            database: db,
            owner: owner.name,
          },
          withProvider,
        ),
      );
    }
    const afterSchema = { ...withProvider, dependsOn: [...schemaDeps, ...memberships] };

    const grants: pulumi.Resource[] = [];
    // CONNECT only: no TEMPORARY. DuckLake's writes, updates and maintenance through DuckDB's postgres extension run
    // without temp tables (tested with DuckDB 1.5.5), and a temp table shadowing pg_roles/pg_class was an attack on the guard.
    grants.push(
      new postgresql.Grant(
        `${name}-writer-connect`,
        {
          database: db,
          role: writer.name,
          objectType: "database",
          privileges: ["CONNECT"],
        },
        withProvider,
      ),
    );
    grants.push(
      new postgresql.Grant(
        `${name}-writer-schema`,
        {
          database: db,
          role: writer.name,
          objectType: "schema",
          schema: args.catalogSchema,
          privileges: ["USAGE", "CREATE"],
        },
        afterSchema,
      ),
    );
    // Catalog tables exist once the owner first ATTACHes. Tables present now: granted by a resource that
    // only adds (providers/writerTableGrants.ts: a postgresql.Grant on all tables reads the writer's own
    // tables as drift and revokes on every refresh). Tables created later: the default privileges below.
    const connectionAs = (user: pulumi.Input<string>, password: pulumi.Input<string>) =>
      pulumi.secret(
        pulumi
          .all([admin, db, user, password])
          .apply(([a, database, u, p]): CatalogConnection => ({ ...a, database, user: u, password: p })),
      );
    this.adminConnection = connectionAs(admin.user, admin.password);
    this.ownerConnection = connectionAs(owner.name, ownerPassword.result);
    this.writerConnection = connectionAs(writer.name, writerPassword.result);
    // Without a superuser, the owner itself grants on its tables and installs the guard.
    const installer = superuser ? this.adminConnection : this.ownerConnection;
    grants.push(
      new WriterTableGrants(
        `${name}-writer-existing-tables`,
        {
          connection: installer,
          schema: args.catalogSchema,
          owner: owner.name,
          writer: writer.name,
        },
        { parent: this, dependsOn: [this.database, ...schemaDeps, ...memberships] },
      ),
    );
    grants.push(
      new postgresql.DefaultPrivileges(
        `${name}-writer-future-tables`,
        {
          database: db,
          owner: owner.name,
          role: writer.name,
          objectType: "table",
          schema: args.catalogSchema,
          privileges: ["SELECT", "INSERT", "UPDATE", "DELETE"],
        },
        afterSchema,
      ),
    );
    // Inlined-data tables the writer creates must stay maintainable by the owner, and the catalog guard
    // (running as the owner) must be able to grant SELECT on them to the readers of their table.
    grants.push(
      new postgresql.DefaultPrivileges(
        `${name}-owner-on-writer-tables`,
        {
          database: db,
          owner: writer.name,
          role: owner.name,
          objectType: "table",
          schema: args.catalogSchema,
          privileges: ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"],
          withGrantOption: true,
        },
        afterSchema,
      ),
    );

    const caFile = args.caFileName ?? "ducklake-ca.pem";
    // No password inside: not secret.
    const attachAs = (user: pulumi.Input<string>) =>
      pulumi.unsecret(
        pulumi.all([admin, db, user, args.dataPath]).apply(([a, database, u, dataPath]) =>
          roleAttachSql(
            {
              host: a.host,
              port: a.port,
              database,
              user: u,
              sslmode: a.sslmode,
              sslRootCert: a.sslmode === "verify-full" ? caFile : undefined,
            },
            { dataPath, metadataSchema: args.catalogSchema },
          ),
        ),
      );
    this.attachSql = { owner: attachAs(owner.name), writer: attachAs(writer.name) };

    // Row-level security for readers across the whole catalog (providers/catalogGuard.ts). Installed as a
    // superuser where there is one (its event trigger grants readers each new inlined-data table), else as the owner.
    this.guard = new CatalogGuard(
      `${name}-guard`,
      {
        connection: installer,
        catalogSchema: args.catalogSchema,
        catalogOwner: owner.name,
        // The guard's write policy lets the writer see every catalog row without BYPASSRLS (the external target).
        catalogWriter: writer.name,
      },
      { parent: this, dependsOn: [this.database, owner, writer, ...schemaDeps, ...memberships, ...grants] },
    );

    this.registerOutputs({ adminConnection: this.adminConnection, attachSql: this.attachSql, guardVersion: this.guard.version });
  }
}
