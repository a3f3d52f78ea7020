// What the external target's preview checks make of the server's facts (model/externalServer.ts): the cases a
// PostgreSQL 15 test server cannot show (older and newer versions, a superuser-only jit, PostgreSQL 16 role
// administration, DNS failures). The live cases are in test/integration/externalTarget.checks.test.ts.
import { connectionFailureMessage, externalCheckVerdict, ExternalServerFacts, externalServerChecks } from "../../model/externalServer";

const healthy = (): ExternalServerFacts => ({
  versionNum: 150020,
  version: "15.20",
  admin: { name: "lakeadmin", superuser: false, createRole: true, createDb: true, bypassRls: false },
  adminMemberOf: [],
  jit: { setting: "off", source: "configuration file", context: "user" },
  tls: { ssl: true, version: "TLSv1.3" },
  roles: ["ducklake_owner", "ducklake_writer", "ducklake_reader"].map((name) => ({
    name,
    exists: false,
    superuser: false,
    bypassRls: false,
    adminIsMember: false,
    adminHasAdminOption: false,
  })),
});
const run = (f: ExternalServerFacts) => externalServerChecks(f, { catalogDatabase: "ducklake", adminUser: "lakeadmin" });
const only = (f: ExternalServerFacts, check: string) => run(f).filter((c) => c.check === check);

describe("externalTarget.render", () => {
  it("externalTarget.render: a healthy managed server gives six ok checks and no warning", () => {
    const checks = run(healthy());
    expect(checks.map((c) => [c.check, c.level])).toEqual([
      ["version", "ok"],
      ["privileges", "ok"],
      ["jit", "ok"],
      ["tls", "ok"],
      ["database", "ok"],
      ["roles", "ok"],
    ]);
    expect(externalCheckVerdict(checks, "db:5432")).toEqual([]);
  });

  it("externalTarget.render: PostgreSQL 14 is refused; 16 passes with what is untested there", () => {
    expect(only({ ...healthy(), versionNum: 140011, version: "14.11" }, "version")).toEqual([
      {
        check: "version",
        level: "error",
        message: "PostgreSQL 15 or newer is required; the server runs 14.11: upgrade the service to 15 or newer",
      },
    ]);
    const v16 = only({ ...healthy(), versionNum: 160004, version: "16.4" }, "version");
    expect(v16).toEqual([
      {
        check: "version",
        level: "warning",
        message: expect.stringMatching(
          /^PostgreSQL 16 \(16\.4\): the non-superuser install is tested on 15 only; PostgreSQL 16 changed CREATEROLE/,
        ),
      },
    ]);
  });

  it("externalTarget.render: on 16+, an existing program role the admin cannot administer is a warning", () => {
    const f = { ...healthy(), versionNum: 170002, version: "17.2" };
    f.roles[0] = { ...f.roles[0], exists: true, adminIsMember: true, adminHasAdminOption: false };
    expect(only(f, "roles")).toEqual([
      {
        check: "roles",
        level: "warning",
        message:
          'role "ducklake_owner" exists and "lakeadmin" has no ADMIN OPTION on it: PostgreSQL 17 may refuse to change it or its members',
      },
      { check: "roles", level: "ok", message: "no program role bypasses row-level security" },
    ]);
  });

  it("externalTarget.render: a superuser admin passes the privilege check, saying superuser is not needed", () => {
    const f = healthy();
    f.admin = { ...f.admin, superuser: true, createRole: false, createDb: false };
    expect(only(f, "privileges")[0]).toMatchObject({ level: "ok", message: expect.stringMatching(/superuser \(not needed/) });
  });

  it("externalTarget.render: jit on and settable only by a superuser is refused; an unencrypted session is refused", () => {
    expect(only({ ...healthy(), jit: { setting: "on", source: "default", context: "superuser" } }, "jit")[0]).toMatchObject({
      level: "error",
      message: expect.stringMatching(/only a superuser may change it.*ask the service to set jit = off/),
    });
    expect(only({ ...healthy(), tls: { ssl: false, version: null } }, "tls")[0].level).toBe("error");
  });

  it("externalTarget.render: the verdict lists every error at once", () => {
    const f = { ...healthy(), versionNum: 130000, version: "13.0" };
    f.admin = { ...f.admin, createRole: false, createDb: false };
    f.database = { name: "ducklake", owner: "someone", adminIsMemberOfOwner: false };
    expect(() => externalCheckVerdict(run(f), "db.example.com:5432")).toThrow(
      /^the external PostgreSQL db\.example\.com:5432 cannot hold the catalog \(3 problems\):\n {2}- version: .*\n {2}- privileges: .*lacks CREATEROLE and CREATEDB.*\n {2}- database: database "ducklake" exists and belongs to "someone"/,
    );
  });

  it("externalTarget.render: connection failures name their cause", () => {
    const c = { host: "db.example.com", port: 5432, user: "lakeadmin" };
    expect(connectionFailureMessage({ code: "ENOTFOUND", message: "getaddrinfo ENOTFOUND db.example.com" }, c)).toBe(
      'host "db.example.com" does not resolve (ENOTFOUND): check externalPgHost',
    );
    expect(connectionFailureMessage({ code: "CERT_HAS_EXPIRED", message: "certificate has expired" }, c)).toMatch(
      /not valid now \(CERT_HAS_EXPIRED\)/,
    );
    expect(connectionFailureMessage({ message: "Connection terminated due to connection timeout" }, c)).toMatch(
      /^cannot reach db\.example\.com:5432/,
    );
  });

  it("externalTarget.render: the readers' connection limits against the server's max_connections (16+: reserved_connections counts too)", () => {
    const f = { ...healthy(), connections: { max: 100, superuserReserved: 3, reserved: 5 } };
    const readers = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `r${i}`, connectionLimit: 4 }));
    const at = (n: number) =>
      externalServerChecks(f, { catalogDatabase: "ducklake", adminUser: "lakeadmin", readers: readers(n) }).filter(
        (c) => c.check === "connections",
      );
    expect(at(20)).toEqual([
      { check: "connections", level: "ok", message: "readers may hold 80 of the 82 connections left for them (max_connections = 100)" },
    ]);
    expect(at(21)[0]).toMatchObject({
      level: "warning",
      message: expect.stringMatching(/^21 readers may hold 84 catalog connections together.*: 82 for readers;.*at most 3 per reader/),
    });
    // without readers (or facts) there is nothing to compare
    expect(run(f).some((c) => c.check === "connections")).toBe(false);
  });
});
