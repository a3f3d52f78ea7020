// What the guard needs from a non-superuser installer (issue 17), and the status TLS verdict: pure functions.
import { installerProblem, InstallerShape } from "../../postgres/guardClient";
import { tlsCheck } from "../../cli/status";

const shape = (s: Partial<InstallerShape> = {}): InstallerShape => ({
  user: "lakeadmin",
  superuser: false,
  owner: "ducklake_owner",
  actsAsOwner: true,
  readerRole: "ok",
  installed: false,
  ...s,
});

describe("installerProblem: each refusal names the statement that fixes it", () => {
  test("a superuser, or an admin acting as the owner with ducklake_reader prepared: no problem", () => {
    expect(installerProblem(shape({ superuser: true, actsAsOwner: false, readerRole: "missing" }))).toBeUndefined();
    expect(installerProblem(shape())).toBeUndefined();
  });
  test("ducklake_reader missing: the owner cannot create it; the admin's two statements are named", () => {
    expect(installerProblem(shape({ readerRole: "missing" }))).toBe(
      'role ducklake_reader does not exist and the catalog owner "ducklake_owner" cannot create it (no CREATEROLE); as the admin login (CREATEROLE) run once per server: ' +
        'CREATE ROLE ducklake_reader NOLOGIN NOINHERIT; GRANT ducklake_reader TO "ducklake_owner" WITH ADMIN OPTION;',
    );
  });
  test("no ADMIN OPTION for the owner, or an admin outside the owner role", () => {
    expect(installerProblem(shape({ readerRole: "no admin" }))).toMatch(/GRANT ducklake_reader TO "ducklake_owner" WITH ADMIN OPTION;$/);
    expect(installerProblem(shape({ actsAsOwner: false }))).toMatch(/GRANT "ducklake_owner" TO "lakeadmin";/);
  });
  test("an installed guard is upgraded without looking at ducklake_reader again", () => {
    expect(installerProblem(shape({ installed: true, readerRole: "no admin" }))).toBeUndefined();
  });
});

describe("tlsCheck", () => {
  test("loopback may be plain; a network connection must be TLS with verify-full", () => {
    expect(tlsCheck({ ssl: false }, { host: "127.0.0.1", sslmode: "disable" }).ok).toBe(true);
    expect(tlsCheck({ ssl: false }, { host: "db.example.com", sslmode: "disable" })).toEqual({
      ok: false,
      detail: expect.stringMatching(/in clear; set sslmode verify-full/),
    });
    expect(tlsCheck({ ssl: true, tlsVersion: "TLSv1.3" }, { host: "db.example.com", sslmode: "require" })).toEqual({
      ok: false,
      detail: expect.stringMatching(/^TLSv1.3 but sslmode require does not check the server's certificate/),
    });
    expect(tlsCheck({ ssl: true, tlsVersion: "TLSv1.3" }, { host: "db.example.com", sslmode: "verify-full" })).toEqual({
      ok: true,
      detail: "TLSv1.3 (sslmode verify-full)",
    });
  });
});
