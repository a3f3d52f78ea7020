// Where the bucket policy learns each table's folder: the live catalog when it can be read, otherwise
// DuckLake's default layout (before the first ATTACH there are no tables, so every grant then uses the
// default rule, and a name that needs a UUID folder is refused until the table exists).
import { Client } from "pg";
import { CatalogConnection } from "../model/connection";
import { pgClientConfig } from "../postgres/connection";
import { emptyLayout, IndexedLayout, indexLayout } from "../model/lakePaths";
import { readCatalogLayout } from "./catalogLayout";

export interface LayoutSource {
  /** Sealed and indexed once here: every later lookup on this object is O(1). */
  layout: IndexedLayout;
  /** "catalog" when read from the live catalog, else why the default layout was used. */
  source: string;
}

/** Reads the layout from the catalog (with a short connect timeout); falls back to the default rule. */
export async function catalogLayoutOrDefault(
  conn: CatalogConnection,
  opts: { bucket: string; dataPath: string; catalogSchema: string; partitionTables?: { schema: string; table: string }[] },
): Promise<LayoutSource> {
  const fallback = (why: string): LayoutSource => ({ layout: indexLayout(emptyLayout(opts.dataPath)), source: `default layout (${why})` });
  const client = new Client({ ...pgClientConfig(conn), connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (e) {
    return fallback(`catalog not reachable: ${(e as Error).message}`);
  }
  try {
    const { rows } = await client.query("SELECT to_regclass(format('%I.ducklake_metadata', $1::text)) IS NOT NULL AS ok", [
      opts.catalogSchema,
    ]);
    if (!rows[0].ok) return fallback("no DuckLake catalog yet");
    // A catalog that exists but cannot be read as expected (another bucket, broken rows) is an error, not a fallback.
    const layout = await readCatalogLayout(client, {
      bucket: opts.bucket,
      catalogSchema: opts.catalogSchema,
      partitionTables: opts.partitionTables,
    });
    return { layout, source: "catalog" };
  } finally {
    await client.end().catch(() => undefined);
  }
}
