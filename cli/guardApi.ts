// The two functions of the catalog guard client (providers/guardClient.ts) the workflows use, behind
// a small interface so status/access/verify can be tested with the real guard and read without it.
import { Client } from "pg";
import { CliError } from "./errors";

export interface GuardStatus {
  installed: boolean;
  version: number | string | null;
  catalogSchema: string | null;
}

export interface CatalogGrant {
  reader: string;
  schema: string;
  /** null = the whole schema, including tables created later. */
  table: string | null;
}

export interface GuardApi {
  guardStatus(client: Client): Promise<GuardStatus>;
  listGrants(client: Client, reader?: string): Promise<CatalogGrant[]>;
}

/** The catalog guard client of this checkout. */
export function loadGuardApi(): GuardApi {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require("../providers/guardClient") as Partial<GuardApi>;
    if (typeof mod.guardStatus !== "function" || typeof mod.listGrants !== "function")
      throw new CliError("providers/guardClient does not export guardStatus and listGrants");
    return mod as GuardApi;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND")
      throw new CliError("the catalog guard client (providers/guardClient.ts) is missing from this checkout");
    throw e;
  }
}
