// The external target's preview-time checks against the live server (issue 17): connects as the admin login
// with sslmode=verify-full and the configured CA, reads the facts (sql/queries/external_*.sql) and leaves their
// meaning to model/externalServer.ts. A connection that fails is reported with the TLS/auth/network reason.
import type { CatalogConnection } from "../model/connection";
import { connectionFailureMessage, ExternalServerFacts } from "../model/externalServer";
import { pgClientConfig, withClient } from "./connection";
import { catalogQuery } from "./sqlFiles";

/** A failed connection of the check, with a message that says what to fix. */
export class ExternalConnectionError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = "ExternalConnectionError";
  }
}

/** Reads what externalServerChecks needs, as the admin (`admin.database` = a database it may connect to, e.g. postgres). */
export async function readExternalServerFacts(
  admin: CatalogConnection,
  opts: { catalogDatabase: string; roles: string[] },
): Promise<ExternalServerFacts> {
  if (admin.sslmode !== "verify-full") throw new Error("the external target connects with sslmode=verify-full only");
  try {
    return await withClient(
      { ...pgClientConfig(admin), connectionTimeoutMillis: 15_000, application_name: "ducklake-preview-check" },
      async (c) => {
        const s = (await c.query(catalogQuery("external_server"))).rows[0];
        const memberships = (await c.query(catalogQuery("external_admin_memberships"))).rows;
        const db = (await c.query(catalogQuery("external_database"), [opts.catalogDatabase])).rows[0];
        const roles = (await c.query(catalogQuery("external_roles"), [opts.roles])).rows;
        return {
          versionNum: s.version_num,
          version: s.version,
          admin: { name: s.admin, superuser: s.superuser, createRole: s.create_role, createDb: s.create_db, bypassRls: s.bypass_rls },
          adminMemberOf: memberships.map((m) => ({ role: m.role, adminOption: m.admin_option })),
          jit: { setting: s.jit, source: s.jit_source, context: s.jit_context },
          tls: { ssl: s.ssl, version: s.tls_version ?? null },
          connections: { max: s.max_connections, superuserReserved: s.superuser_reserved, reserved: s.reserved },
          database: db ? { name: db.name, owner: db.owner, adminIsMemberOfOwner: db.admin_is_member_of_owner } : undefined,
          roles: roles.map((r) => ({
            name: r.name,
            exists: r.exists,
            superuser: r.superuser,
            bypassRls: r.bypass_rls,
            adminIsMember: r.admin_is_member,
            adminHasAdminOption: r.admin_has_admin_option,
          })),
        };
      },
    );
  } catch (e) {
    const err = e as { code?: string; message?: string };
    // Errors of the queries themselves (permissions) are not connection failures: keep them as they are.
    if (err.code && /^[0-9A-Z]{5}$/.test(err.code) && !["28P01", "28000", "3D000"].includes(err.code)) throw e;
    throw new ExternalConnectionError(connectionFailureMessage(err, admin), err.code);
  }
}
