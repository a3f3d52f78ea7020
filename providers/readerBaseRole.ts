// The shared reader base role `ducklake_reader` on a server without superuser (the external target). sql/001
// creates it when installed by a superuser; the catalog owner that installs the guard there has no CREATEROLE, so
// the admin login ensures it first. It is shared by every catalog database on the server (one per cluster), so
// this resource creates it when missing and never drops it; it refuses a role that would bypass the guard.
import * as pulumi from "@pulumi/pulumi";
import type { CatalogConnection } from "../model/connection";
import { withCatalog } from "../postgres/connection";

export interface ReaderBaseRoleArgs {
  /** The admin login (CREATEROLE), any database on the server. Secret. */
  connection: pulumi.Input<CatalogConnection>;
}

interface State {
  connection: CatalogConnection;
  roleName: string;
  /** Whether this resource created the role (false: it existed). */
  created: boolean;
}

// Fixed role name: the guard's SQL (sql/001-006) names it literally.
const ROLE = "ducklake_reader";

/** Creates ducklake_reader NOLOGIN NOINHERIT unless it exists; refuses one with SUPERUSER, BYPASSRLS or LOGIN. */
export async function ensureReaderBaseRole(conn: CatalogConnection): Promise<boolean> {
  return withCatalog(conn, async (c) => {
    const { rows } = await c.query("SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_catalog.pg_roles WHERE rolname = $1", [ROLE]);
    if (rows.length) {
      const r = rows[0];
      if (r.rolsuper || r.rolbypassrls || r.rolcanlogin)
        throw new Error(
          `role ${ROLE} exists with ${[r.rolsuper && "SUPERUSER", r.rolbypassrls && "BYPASSRLS", r.rolcanlogin && "LOGIN"].filter(Boolean).join(", ")}: ` +
            `every reader is a member of it; have the service run ALTER ROLE ${ROLE} NOSUPERUSER NOBYPASSRLS NOLOGIN`,
        );
      return false;
    }
    try {
      await c.query(`CREATE ROLE ${ROLE} NOLOGIN NOINHERIT`);
    } catch (e) {
      if ((e as { code?: string }).code !== "42710") throw e; // created meanwhile by another stack's install
      return false;
    }
    return true;
  });
}

export const readerBaseRoleProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: State): Promise<pulumi.dynamic.CreateResult> {
    const created = await ensureReaderBaseRole(inputs.connection);
    return {
      id: `${inputs.connection.host}:${inputs.connection.port}/${ROLE}`,
      outs: { connection: inputs.connection, roleName: ROLE, created },
    };
  },
  async diff(_id: pulumi.ID, olds: State, news: State): Promise<pulumi.dynamic.DiffResult> {
    const moved = olds.connection.host !== news.connection.host || olds.connection.port !== news.connection.port;
    return { changes: moved || JSON.stringify(olds.connection) !== JSON.stringify(news.connection), replaces: moved ? ["connection"] : [] };
  },
  async update(_id: pulumi.ID, olds: State, news: State): Promise<pulumi.dynamic.UpdateResult> {
    await ensureReaderBaseRole(news.connection);
    return { outs: { connection: news.connection, roleName: ROLE, created: olds.created } };
  },
  async read(id: pulumi.ID, props: State): Promise<pulumi.dynamic.ReadResult> {
    const exists = await withCatalog(
      props.connection,
      async (c) => (await c.query("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1", [ROLE])).rows.length > 0,
    );
    return exists ? { id, props } : { id: "" };
  },
  // Never dropped: other catalog databases on the server enrol their readers in it too.
  async delete(): Promise<void> {
    /* shared role: left in place */
  },
};

/** Ensures `ducklake_reader` exists on the server (created by the admin login; never dropped). */
export class ReaderBaseRole extends pulumi.dynamic.Resource {
  declare public readonly roleName: pulumi.Output<string>;
  declare public readonly created: pulumi.Output<boolean>;

  constructor(name: string, args: ReaderBaseRoleArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      readerBaseRoleProvider,
      name,
      { connection: pulumi.secret(args.connection), roleName: undefined, created: undefined },
      { ...opts, additionalSecretOutputs: ["connection"] },
      "ducklake",
      "ReaderBaseRole",
    );
  }
}
