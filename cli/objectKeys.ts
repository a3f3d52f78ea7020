// Where a DuckLake table's files live in the bucket, from the catalog's paths (spec 1.0): file =
// data_path + schema.path + table.path + file.path, each part relative to the one before when its
// path_is_relative flag is set. Pure functions.

export interface CatalogPath {
  path: string | null;
  isRelative: boolean | null;
}

/** Joins catalog path parts: a relative part extends the base, an absolute part replaces it. */
export function resolveCatalogPath(dataPath: string, ...parts: CatalogPath[]): string {
  let out = dataPath;
  for (const p of parts) {
    const value = p.path ?? "";
    out = p.isRelative === false ? value : out + value;
  }
  return out;
}

/** Splits `s3://bucket/key` into bucket and key; undefined for other schemes. */
export function parseS3Url(url: string): { bucket: string; key: string } | undefined {
  const m = /^(?:s3|s3a|r2):\/\/([^/]+)\/?(.*)$/.exec(url);
  return m ? { bucket: m[1], key: m[2] } : undefined;
}
