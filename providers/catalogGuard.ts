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
   * Connection to the catalog database: a superuser (also installs the event trigger), the catalog owner, or
   * (managed PostgreSQL) an admin login that is a member of the owner; objects are owned by the catalog owner.
   * Secret.
   */
  connection: pulumi.Input<CatalogConnection>;
  /** PostgreSQL schema holding the ducklake_* tables (DuckLake's METADATA_SCHEMA). Default "public". */
  catalogSchema?: pulumi.Input<string>;
  /**
   * Role owning the DuckLake catalog tables (DuckLake must write as it). Default: owner of
   * ducklake_metadata, else of the database. Only used on first install.
   */
  catalogOwner?: pulumi.Input<string>;
  /**
   * Login role DuckLake's writers use. It gets the guard's write policy on every catalog table, so it needs no
   * BYPASSRLS (which only a superuser can give). None of its members may be a reader (the guard refuses them).
   */
  catalogWriter?: pulumi.Input<string>;
}

interface GuardInputs {
  connection: CatalogConnection;
  catalogSchema: string;
  catalogOwner: string;
  catalogWriter: string;
  migrations: guard.GuardMigration[];
}

interface GuardOutputs {
  connection: CatalogConnection;
  catalogSchema: string;
  catalogOwner: string;
  version: number;
  migrationNames: string[];
  eventTrigger: boolean;
  catalogWriter: string;
  /** How new inlined tables get granted (setting inlined_grants: commit_trigger[,event_trigger]; "" before it existed). */
  inlinedGrants: string;
  /**
   * Catalog tables (or guard triggers) protect_all() would repair, as "<table>: <problem>": DuckLake created them
   * after the guard was installed (without an event trigger nothing protects them at creation). Fails closed; the
   * next `pulumi up` sees them in diff and protects them.
   */
  unprotected: string[];
}

/** How a dynamic provider sees an input not known yet at preview. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const isUnknown = (v: unknown) => v === UNKNOWN;

async function install(i: GuardInputs): Promise<GuardOutputs> {
  return withCatalog(i.connection, async (c) => {
    await guard.installGuard(c, {
      catalogSchema: i.catalogSchema,
      catalogOwner: i.catalogOwner || undefined,
      catalogWriter: i.catalogWriter || undefined,
      migrations: i.migrations,
    });
    // Catalog tables DuckLake created since the last run (e.g. its first ATTACH after the install): protect them.
    await guard.actAsGuardOwner(c);
    if ((await guard.unprotectedCatalogTables(c)).length) await guard.protectAll(c);
    const state = await installedState(c);
    return {
      ...state,
      connection: i.connection,
      catalogSchema: i.catalogSchema,
      migrationNames: i.migrations.filter((m) => m.version <= state.version).map((m) => m.name),
    };
  });
}

/** What the guard in the database says about itself (the provider's outputs other than its inputs). */
async function installedState(
  c: Parameters<typeof guard.guardStatus>[0],
): Promise<Pick<GuardOutputs, "catalogOwner" | "version" | "eventTrigger" | "catalogWriter" | "inlinedGrants" | "unprotected">> {
  const s = await guard.guardStatus(c);
  return {
    catalogOwner: s.catalogOwner ?? "",
    version: s.version ?? 0,
    eventTrigger: s.eventTrigger === true,
    catalogWriter: s.catalogWriter ?? "",
    inlinedGrants: s.inlinedGrants ?? "",
    unprotected: (await guard.unprotectedCatalogTables(c)).map((u) => `${u.table}: ${u.problem}`),
  };
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
    if (news.catalogWriter !== undefined && news.catalogWriter !== "" && !isUnknown(news.catalogWriter)) {
      const p = guard.catalogWriterProblem(news.catalogWriter);
      if (p) failures.push({ property: "catalogWriter", reason: p });
    }
    return { inputs: { ...news, catalogSchema, catalogOwner: news.catalogOwner ?? "", catalogWriter: news.catalogWriter ?? "" }, failures };
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
    const writerChanged = differs(olds.catalogWriter ?? "", news.catalogWriter ?? "");
    // Catalog tables created after the install have no policy: ask the live database (a plain `pulumi up` runs
    // no read), and let the update protect them. Unknown connection (first preview) or unreachable: no finding.
    let unprotected = (olds.unprotected ?? []).length > 0;
    const connectable = nc && ![nc.host, nc.port, nc.database, nc.user, nc.password].some(isUnknown);
    if (!unprotected && connectable && !replaces.length)
      unprotected = await withCatalog(nc!, async (c) => (await guard.actAsGuardOwner(c), guard.unprotectedCatalogTables(c)))
        .then((u) => u.length > 0)
        .catch(() => false);
    const changes =
      replaces.length > 0 || latest !== olds.version || JSON.stringify(o) !== JSON.stringify(n) || writerChanged || unprotected;
    return { changes, replaces, deleteBeforeReplace: true };
  },

  async create(inputs: GuardInputs): Promise<pulumi.dynamic.CreateResult> {
    const outs = await install(inputs);
    return { id: `${inputs.connection.database}/${inputs.catalogSchema}`, outs };
  },

  async read(id: pulumi.ID, props: GuardOutputs): Promise<pulumi.dynamic.ReadResult> {
    // As the guard's owner, never as a superuser (guard.actAsGuardOwner says why).
    const s = await withCatalog(props.connection, async (c) => (await guard.actAsGuardOwner(c), guard.guardStatus(c)));
    if (!s.installed) return { id: "" };
    const state = await withCatalog(props.connection, async (c) => (await guard.actAsGuardOwner(c), installedState(c)));
    return { id, props: { ...props, ...state, catalogSchema: s.catalogSchema } };
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
  /** Whether the event trigger is installed (the install connection was a superuser). */
  declare public readonly eventTrigger: pulumi.Output<boolean>;
  /** How new inlined tables get granted: "commit_trigger" (no superuser needed), with ",event_trigger" when both. */
  declare public readonly inlinedGrants: pulumi.Output<string>;
  /** Catalog tables the guard does not protect yet (empty after an update). */
  declare public readonly unprotected: pulumi.Output<string[]>;

  constructor(name: string, args: CatalogGuardArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      catalogGuardProvider,
      name,
      {
        connection: pulumi.secret(args.connection),
        catalogSchema: args.catalogSchema ?? DEFAULT_CATALOG_SCHEMA,
        catalogOwner: args.catalogOwner ?? "",
        catalogWriter: args.catalogWriter ?? "",
        migrations: loadMigrations(),
        version: undefined,
        migrationNames: undefined,
        eventTrigger: undefined,
        inlinedGrants: undefined,
        unprotected: undefined,
      },
      { ...opts, additionalSecretOutputs: ["connection", ...(opts?.additionalSecretOutputs ?? [])] },
      "ducklake",
      "CatalogGuard",
    );
  }
}
