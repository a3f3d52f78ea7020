// Installs and upgrades the catalog guard (sql/ migrations) in a DuckLake catalog database as a Pulumi
// dynamic resource. The program reads the migration files once and passes them as an input, so the
// provider needs no file access and a new migration shows up as an update in the preview.
import * as pulumi from "@pulumi/pulumi";
import type { CatalogConnection } from "../model/connection";
import { withCatalog } from "../postgres/connection";
import { DEFAULT_CATALOG_SCHEMA } from "../model/names";
import * as guard from "../postgres/guardClient";
import { loadMigrations } from "../postgres/sqlFiles";

export interface CatalogGuardArgs {
  /**
   * Connection to the catalog database. Use a superuser (the event trigger that grants new inlined
   * tables needs one; objects are still owned by the catalog owner) or the catalog owner. Secret.
   */
  connection: pulumi.Input<CatalogConnection>;
  /** PostgreSQL schema holding the ducklake_* tables (DuckLake's METADATA_SCHEMA). Default "public". */
  catalogSchema?: pulumi.Input<string>;
  /**
   * Role owning the DuckLake catalog tables (DuckLake must write as it). Default: owner of
   * ducklake_metadata, else of the database. Only used on first install.
   */
  catalogOwner?: pulumi.Input<string>;
}

interface GuardInputs {
  connection: CatalogConnection;
  catalogSchema: string;
  catalogOwner: string;
  migrations: guard.GuardMigration[];
}

interface GuardOutputs {
  connection: CatalogConnection;
  catalogSchema: string;
  catalogOwner: string;
  version: number;
  migrationNames: string[];
  eventTrigger: boolean;
}

/** How a dynamic provider sees an input not known yet at preview. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const isUnknown = (v: unknown) => v === UNKNOWN;

async function install(i: GuardInputs): Promise<GuardOutputs> {
  return withCatalog(i.connection, async (c) => {
    await guard.installGuard(c, { catalogSchema: i.catalogSchema, catalogOwner: i.catalogOwner || undefined, migrations: i.migrations });
    const s = await guard.guardStatus(c);
    return {
      connection: i.connection,
      catalogSchema: i.catalogSchema,
      catalogOwner: s.catalogOwner ?? "",
      version: s.version ?? 0,
      migrationNames: i.migrations.filter((m) => m.version <= (s.version ?? 0)).map((m) => m.name),
      eventTrigger: s.eventTrigger === true,
    };
  });
}

/** The dynamic provider (exported so integration tests drive it against real PostgreSQL). */
export const catalogGuardProvider: pulumi.dynamic.ResourceProvider = {
  async check(olds: any, news: any): Promise<pulumi.dynamic.CheckResult> {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    const catalogSchema = news.catalogSchema ?? "public";
    if (typeof catalogSchema === "string" && !isUnknown(catalogSchema)) {
      const p = guard.catalogSchemaProblem(catalogSchema);
      if (p) failures.push({ property: "catalogSchema", reason: p });
    }
    if (!Array.isArray(news.migrations) || news.migrations.length === 0)
      failures.push({ property: "migrations", reason: "no guard migrations given (sql/ not found?)" });
    // An applied migration edited since the last deployment: refuse at preview, naming the file.
    else if (Array.isArray(olds?.migrations))
      for (const reason of guard.changedMigrationProblems(olds.migrations, news.migrations))
        failures.push({ property: "migrations", reason });
    return { inputs: { ...news, catalogSchema, catalogOwner: news.catalogOwner ?? "" }, failures };
  },

  async diff(_id: pulumi.ID, olds: GuardOutputs, news: GuardInputs): Promise<pulumi.dynamic.DiffResult> {
    const replaces: string[] = [];
    const o = olds.connection,
      n = news.connection;
    // A value not known at preview (e.g. the server's address before it exists) is not a change yet: the
    // diff the update runs sees the real value and replaces only if it really differs.
    const differs = (a: unknown, b: unknown) => !isUnknown(b) && a !== b;
    const nc = isUnknown(n) ? undefined : n;
    if (nc && (differs(o.host, nc.host) || differs(o.port, nc.port) || differs(o.database, nc.database))) replaces.push("connection");
    if (differs(olds.catalogSchema, news.catalogSchema)) replaces.push("catalogSchema");
    const latest = Array.isArray(news.migrations) && news.migrations.length ? news.migrations[news.migrations.length - 1].version : 0;
    const changes = replaces.length > 0 || latest !== olds.version || JSON.stringify(o) !== JSON.stringify(n);
    return { changes, replaces, deleteBeforeReplace: true };
  },

  async create(inputs: GuardInputs): Promise<pulumi.dynamic.CreateResult> {
    const outs = await install(inputs);
    return { id: `${inputs.connection.database}/${inputs.catalogSchema}`, outs };
  },

  async read(id: pulumi.ID, props: GuardOutputs): Promise<pulumi.dynamic.ReadResult> {
    const s = await withCatalog(props.connection, (c) => guard.guardStatus(c));
    if (!s.installed) return { id: "" };
    return {
      id,
      props: {
        ...props,
        catalogSchema: s.catalogSchema,
        catalogOwner: s.catalogOwner ?? "",
        version: s.version ?? 0,
        eventTrigger: s.eventTrigger === true,
      },
    };
  },

  async update(_id: pulumi.ID, _olds: GuardOutputs, news: GuardInputs): Promise<pulumi.dynamic.UpdateResult> {
    return { outs: await install(news) };
  },

  async delete(_id: pulumi.ID, props: GuardOutputs): Promise<void> {
    await withCatalog(props.connection, (c) => guard.uninstallGuard(c));
  },
};

/** The catalog guard installed in one DuckLake catalog database; `version` is the applied migration. */
export class CatalogGuard extends pulumi.dynamic.Resource {
  declare public readonly connection: pulumi.Output<CatalogConnection>;
  declare public readonly catalogSchema: pulumi.Output<string>;
  declare public readonly catalogOwner: pulumi.Output<string>;
  declare public readonly version: pulumi.Output<number>;
  declare public readonly migrationNames: pulumi.Output<string[]>;
  /** Whether new inlined tables are granted automatically (the install connection was a superuser). */
  declare public readonly eventTrigger: pulumi.Output<boolean>;

  constructor(name: string, args: CatalogGuardArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      catalogGuardProvider,
      name,
      {
        connection: pulumi.secret(args.connection),
        catalogSchema: args.catalogSchema ?? DEFAULT_CATALOG_SCHEMA,
        catalogOwner: args.catalogOwner ?? "",
        migrations: loadMigrations(),
        version: undefined,
        migrationNames: undefined,
        eventTrigger: undefined,
      },
      { ...opts, additionalSecretOutputs: ["connection", ...(opts?.additionalSecretOutputs ?? [])] },
      "ducklake",
      "CatalogGuard",
    );
  }
}
