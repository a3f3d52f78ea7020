// How programs reach the catalog PostgreSQL. Passwords travel as Pulumi secrets.

export interface CatalogConnection {
  host: string;
  port: number;
  /** Catalog database name. */
  database: string;
  user: string;
  password: string;
  /** "disable" on the local stack, "verify-full" in prod. */
  sslmode: "disable" | "require" | "verify-full";
  /** PEM of the CA that signed the server certificate (verify-full). */
  sslRootCert?: string;
}

/** node-postgres client options for a CatalogConnection. */
export function pgClientConfig(c: CatalogConnection): {
  host: string; port: number; database: string; user: string; password: string;
  ssl?: false | { rejectUnauthorized: boolean; ca?: string; servername?: string };
} {
  const base = { host: c.host, port: c.port, database: c.database, user: c.user, password: c.password };
  if (c.sslmode === "disable") return { ...base, ssl: false };
  if (c.sslmode === "require") return { ...base, ssl: { rejectUnauthorized: false } };
  // TLS SNI must not carry an IP address (RFC 6066); node still checks the certificate's IP SAN against host.
  const isIp = /^[0-9.]+$/.test(c.host) || c.host.includes(":");
  return { ...base, ssl: { rejectUnauthorized: true, ca: c.sslRootCert, servername: isIp ? undefined : c.host } };
}
