// The two catalog-guard reads the workflows use (postgres/guardClient.ts), behind a small interface
// so tests and callers can pass a client for a specific guard build.
import { Client } from "pg";
import { guardStatus, listGrants, GuardGrant, GuardStatus } from "../postgres/guardClient";
import { loadMigrations } from "../postgres/sqlFiles";

export type { GuardGrant, GuardStatus };

export interface GuardApi {
  guardStatus(client: Client): Promise<GuardStatus>;
  listGrants(client: Client, reader?: string): Promise<GuardGrant[]>;
}

/** The catalog guard client of this checkout. */
export function loadGuardApi(): GuardApi {
  return { guardStatus, listGrants };
}

/** Highest guard migration in this checkout's sql/: what `pulumi up` would install. */
export function latestGuardVersion(): number {
  const migrations = loadMigrations();
  return migrations.length ? migrations[migrations.length - 1].version : 0;
}
