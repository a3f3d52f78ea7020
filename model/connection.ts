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
