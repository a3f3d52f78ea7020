import { CatalogConnection } from "../../model/connection";
import { pgClientConfig } from "../../postgres/connection";

const base: CatalogConnection = {
  host: "db.example.com",
  port: 5432,
  database: "lake",
  user: "u",
  password: "p",
  sslmode: "verify-full",
  sslRootCert: "CA",
};

describe("pgClientConfig", () => {
  it.each([
    ["disable", false],
    ["require", { rejectUnauthorized: false }],
    ["verify-full", { rejectUnauthorized: true, ca: "CA", servername: "db.example.com" }],
  ] as const)("sslmode %s", (sslmode, ssl) => {
    expect(pgClientConfig({ ...base, sslmode }).ssl).toEqual(ssl);
  });

  it.each(["203.0.113.7", "2001:db8::1"])("verifies %s against the certificate without sending an IP as SNI", (host) => {
    expect(pgClientConfig({ ...base, host }).ssl).toEqual({ rejectUnauthorized: true, ca: "CA", servername: undefined });
  });
});
