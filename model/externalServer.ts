// The `external` target's PostgreSQL (issue 17): the checks of its config values (host, admin role name, the
// service's CA) and the rendering of the preview-time checks against the live server
// (postgres/externalServerChecks.ts gathers the facts; this file decides what they mean). Pure.
import { X509Certificate } from "crypto";
import { isIP } from "net";
import { READER_BASE_ROLE } from "./names";

/** The PostgreSQL server of an `external` stack (validated; the password is plain here, index.ts keeps it secret). */
export interface ExternalPostgres {
  /** DNS name or IP address; verify-full checks it against the server certificate. */
  host: string;
  port: number;
  /** The service's admin login (CREATEROLE + CREATEDB; no superuser needed). */
  adminUser: string;
  adminPassword: string;
  /** PEM of the CA (or bundle) that signed the server certificate; sslmode is always verify-full. */
  caCertPem: string;
}

/** Oldest PostgreSQL major the external target accepts (the guard's SQL and the non-superuser install are tested on 15). */
export const EXTERNAL_MIN_VERSION_NUM = 150000;
/** Connections kept out of the readers' share for the owner, writer and admin (as on the VPS: model/connectionBudget.ts). */
export const OWNER_WRITER_SLOTS = 10;
/** The newest major tested with the non-superuser install; newer ones are accepted with a note. */
export const EXTERNAL_TESTED_MAJOR = 15;

/** Why `host` cannot be a verify-full host (a DNS name or an IP address), or undefined. */
export function externalHostProblem(host: string): string | undefined {
  if (isIP(host)) return undefined;
  if (host.length > 253) return `"${host}" is longer than 253 characters`;
  if (/^[0-9.]+$/.test(host)) return `"${host}" is not a valid IPv4 address`;
  const labels = host.replace(/\.$/, "").split(".");
  if (labels.some((l) => !/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l)))
    return `"${host}" is not a DNS name or IP address (letters, digits and - in dot-separated labels of at most 63 characters)`;
  return undefined;
}

/** Why `name` cannot be the admin login's role name, or undefined (it travels as a connection parameter and quoted identifier). */
export function adminRoleProblem(name: string, programRoles: readonly string[]): string | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_$.@-]{0,62}$/.test(name))
    return `"${name}" is not a role name (a letter or _, then letters, digits, _ $ . @ -, at most 63 characters)`;
  if (name.startsWith("pg_")) return `"${name}" is a reserved role name (pg_ prefix)`;
  if ([...programRoles, READER_BASE_ROLE].includes(name))
    return `"${name}" is a role this program creates and manages; the admin must be another login`;
  return undefined;
}

/**
 * The CA certificate(s) as the provider and clients need them: LF line ends, one PEM block after another,
 * ending in a newline. `problem` says why the text is unusable (not PEM, a block does not parse, expired).
 */
export function normalizeCaPem(pem: string, now: Date = new Date()): { pem: string; problem?: string; subjects: string[] } {
  const text = pem.replace(/\r\n/g, "\n").trim();
  const blocks = text.match(/-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+?\n?-----END CERTIFICATE-----/g) ?? [];
  const rest = blocks.reduce((t, b) => t.replace(b, ""), text).trim();
  if (blocks.length === 0)
    return {
      pem: "",
      problem: "is not a PEM certificate (expected -----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----)",
      subjects: [],
    };
  if (rest !== "") return { pem: "", problem: "holds text other than PEM certificates (a private key or other blocks?)", subjects: [] };
  const subjects: string[] = [];
  for (const [i, b] of blocks.entries()) {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(b);
    } catch (e) {
      return { pem: "", problem: `certificate ${i + 1} of ${blocks.length} does not parse (${(e as Error).message})`, subjects };
    }
    const subject = cert.subject.replace(/\n/g, ", ");
    subjects.push(subject);
    if (new Date(cert.validTo).getTime() < now.getTime())
      return { pem: "", problem: `certificate ${i + 1} (${subject}) expired on ${cert.validTo}`, subjects };
  }
  return { pem: blocks.map((b) => b.replace(/\n+-----END/, "\n-----END")).join("\n") + "\n", subjects };
}

// ---- Preview-time checks against the live server ------------------------------------------------------

/** What postgres/externalServerChecks.ts reads as the admin (sql/queries/external_server_facts.sql and friends). */
export interface ExternalServerFacts {
  versionNum: number;
  version: string;
  admin: { name: string; superuser: boolean; createRole: boolean; createDb: boolean; bypassRls: boolean };
  /** Roles the admin is a member of, with whether it holds ADMIN OPTION on them. */
  adminMemberOf: { role: string; adminOption: boolean }[];
  /** The server-wide `jit`: its value, where it comes from, and its context (`user`: settable per role/database). */
  jit: { setting: string; source: string; context: string };
  /** The TLS of the check's own session (made with verify-full and the configured CA). */
  tls: { ssl: boolean; version: string | null };
  /** max_connections and the slots kept from ordinary logins (superuser_reserved_connections; 16+: reserved_connections). */
  connections?: { max: number; superuserReserved: number; reserved: number };
  /** The catalog database if it exists. */
  database?: { name: string; owner: string; adminIsMemberOfOwner: boolean };
  /** The program's roles (owner, writer, reader base role) as they exist now. */
  roles: { name: string; exists: boolean; superuser: boolean; bypassRls: boolean; adminIsMember: boolean; adminHasAdminOption: boolean }[];
}

export interface ExternalCheck {
  /** Short key of the check (version, privileges, jit, tls, database, roles). */
  check: string;
  level: "ok" | "warning" | "error";
  message: string;
}

/**
 * What the facts mean for the external target: one message per check, errors first naming the fix. Errors
 * stop the preview (nothing is applied); warnings are shown and the deployment proceeds.
 */
export function externalServerChecks(
  f: ExternalServerFacts,
  opts: { catalogDatabase: string; adminUser: string; readers?: { name: string; connectionLimit: number }[] },
): ExternalCheck[] {
  const out: ExternalCheck[] = [];
  const major = Math.floor(f.versionNum / 10000);
  if (f.versionNum < EXTERNAL_MIN_VERSION_NUM)
    out.push({
      check: "version",
      level: "error",
      message: `PostgreSQL 15 or newer is required; the server runs ${f.version}: upgrade the service to 15 or newer`,
    });
  else if (major > EXTERNAL_TESTED_MAJOR)
    out.push({
      check: "version",
      level: "warning",
      message:
        `PostgreSQL ${major} (${f.version}): the non-superuser install is tested on ${EXTERNAL_TESTED_MAJOR} only; PostgreSQL 16 changed ` +
        "CREATEROLE (granting a role needs ADMIN OPTION on it, the creator of a role gets it): roles the program creates work, roles that exist already may not",
    });
  else out.push({ check: "version", level: "ok", message: `PostgreSQL ${f.version}` });

  const missing = [!f.admin.createRole && "CREATEROLE", !f.admin.createDb && "CREATEDB"].filter((x): x is string => !!x);
  if (!f.admin.superuser && missing.length)
    out.push({
      check: "privileges",
      level: "error",
      message:
        `the admin login "${opts.adminUser}" lacks ${missing.join(" and ")}: ask the service for a login with CREATEROLE and CREATEDB ` +
        "(the RDS master user, the Azure server admin, a Cloud SQL cloudsqlsuperuser member); superuser is not needed",
    });
  else
    out.push({
      check: "privileges",
      level: "ok",
      message: f.admin.superuser
        ? `"${opts.adminUser}" is a superuser (not needed: CREATEROLE + CREATEDB suffice)`
        : `"${opts.adminUser}" has CREATEROLE and CREATEDB`,
    });

  // jit: the catalog's queries run slower with it; the program sets it off on the database (as the owner) and per reader role.
  if (f.jit.setting === "off") out.push({ check: "jit", level: "ok", message: `jit is off (${f.jit.source})` });
  else if (f.jit.context === "user" || f.jit.context === "superuser")
    out.push({
      check: "jit",
      level: f.jit.context === "user" ? "warning" : "error",
      message:
        f.jit.context === "user"
          ? `jit is on server-wide (${f.jit.source}); the guard install sets it off for the catalog database (ALTER DATABASE … SET jit = off as its owner), so nothing to do`
          : `jit is on and only a superuser may change it here (context ${f.jit.context}): ask the service to set jit = off (a parameter group / server flag)`,
    });
  else
    out.push({
      check: "jit",
      level: "error",
      message: `jit is on and cannot be set per database (context ${f.jit.context}): ask the service to set jit = off server-wide`,
    });

  if (!f.tls.ssl)
    out.push({
      check: "tls",
      level: "error",
      message: "the check's session is not encrypted although it asked for verify-full: refuse this server",
    });
  else out.push({ check: "tls", level: "ok", message: `TLS ${f.tls.version ?? "?"} with the server certificate verified (verify-full)` });

  if (f.database && !f.database.adminIsMemberOfOwner && !f.admin.superuser)
    out.push({
      check: "database",
      level: "error",
      message:
        `database "${f.database.name}" exists and belongs to "${f.database.owner}", of which "${opts.adminUser}" is not a member: ` +
        `use another catalogDatabase (pulumi config set ducklake:catalogDatabase <name>), or have "${f.database.owner}" granted to "${opts.adminUser}" deliberately`,
    });
  else if (f.database)
    out.push({
      check: "database",
      level: "ok",
      message:
        `database "${f.database.name}" exists (owner "${f.database.owner}") and the admin may act as its owner ` +
        "(one this stack did not create must be imported first: docs/infrastructure.md, the external target)",
    });
  else out.push({ check: "database", level: "ok", message: `database "${opts.catalogDatabase}" will be created` });

  const badRoles = f.roles.filter((r) => r.exists && (r.superuser || r.bypassRls));
  for (const r of badRoles)
    out.push({
      check: "roles",
      level: "error",
      message:
        `role "${r.name}" exists with ${r.superuser ? "SUPERUSER" : "BYPASSRLS"}: it would see every catalog row past the guard; ` +
        `drop it or have the service remove the attribute (ALTER ROLE "${r.name}" NO${r.superuser ? "SUPERUSER" : "BYPASSRLS"})`,
    });
  if (major >= 16)
    for (const r of f.roles.filter((x) => x.exists && !x.superuser && !x.adminHasAdminOption && !f.admin.superuser))
      out.push({
        check: "roles",
        level: "warning",
        message: `role "${r.name}" exists and "${opts.adminUser}" has no ADMIN OPTION on it: PostgreSQL ${major} may refuse to change it or its members`,
      });
  if (!badRoles.length) out.push({ check: "roles", level: "ok", message: "no program role bypasses row-level security" });

  // The readers' CONNECTION LIMITs together against what the service leaves ordinary logins, keeping
  // OWNER_WRITER_SLOTS for the owner, writer and admin (the service reserves nothing for them).
  if (f.connections && opts.readers?.length) {
    const c = f.connections;
    const slots = c.max - c.superuserReserved - c.reserved - OWNER_WRITER_SLOTS;
    const sum = opts.readers.reduce((s, r) => s + r.connectionLimit, 0);
    out.push(
      sum > slots
        ? {
            check: "connections",
            level: "warning",
            message:
              `${opts.readers.length} readers may hold ${sum} catalog connections together, but the server runs max_connections = ${c.max} ` +
              `(${c.superuserReserved + c.reserved} reserved by the service, ${OWNER_WRITER_SLOTS} kept here for the owner, writer and admin): ${slots} for readers; ` +
              `when they all connect at once the last ones are refused and the owner and writer can be locked out. Fix: lower readerConnectionLimit ` +
              `to at most ${Math.max(1, Math.floor(slots / opts.readers.length))} per reader, or raise max_connections at the service`,
          }
        : {
            check: "connections",
            level: "ok",
            message: `readers may hold ${sum} of the ${slots} connections left for them (max_connections = ${c.max})`,
          },
    );
  }
  return out;
}

/** The preview's verdict: throws one Error listing every error (what to fix), returns the warnings to show. */
export function externalCheckVerdict(checks: ExternalCheck[], where: string): string[] {
  const errors = checks.filter((c) => c.level === "error");
  if (errors.length)
    throw new Error(
      `the external PostgreSQL ${where} cannot hold the catalog (${errors.length} problem${errors.length === 1 ? "" : "s"}):\n` +
        errors.map((c) => `  - ${c.check}: ${c.message}`).join("\n"),
    );
  return checks.filter((c) => c.level === "warning").map((c) => `${c.check}: ${c.message}`);
}

/**
 * Why the preview could not connect to the external server, with what to do: TLS (host name not in the
 * certificate, certificate not signed by the configured CA, expired, no TLS at all), authentication, network.
 * `err` is what node-postgres / node's TLS threw (code and message are kept in the text).
 */
export function connectionFailureMessage(
  err: { code?: string; message?: string },
  c: { host: string; port: number; user: string },
): string {
  const code = err.code ?? "";
  const msg = err.message ?? String(err);
  const where = `${c.host}:${c.port}`;
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID")
    return `TLS: the server certificate of ${where} does not name host "${c.host}" (${msg}): set externalPgHost to a name the certificate holds (verify-full checks the host name)`;
  if (
    [
      "SELF_SIGNED_CERT_IN_CHAIN",
      "DEPTH_ZERO_SELF_SIGNED_CERT",
      "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
      "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
      "UNABLE_TO_GET_ISSUER_CERT",
    ].includes(code)
  )
    return `TLS: the server certificate of ${where} is not signed by the CA in externalPgCaCert (${code}: ${msg}): store the service's CA (bundle) in externalPgCaCert`;
  if (code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID")
    return `TLS: the server certificate of ${where} is not valid now (${code}): the service must renew it`;
  if (/does not support SSL/i.test(msg))
    return `TLS: ${where} does not accept TLS connections: the external target connects with sslmode=verify-full only; enable TLS on the service`;
  if (code === "28P01" || code === "28000")
    return `authentication of "${c.user}" at ${where} failed (${code}: ${msg}): check externalPgAdminUser and externalPgAdminPassword, and that the service allows this login from here`;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `host "${c.host}" does not resolve (${code}): check externalPgHost`;
  if (code === "ECONNREFUSED" || code === "ETIMEDOUT" || code === "EHOSTUNREACH" || /timeout/i.test(msg))
    return `cannot reach ${where} (${code || msg}): check externalPgHost/externalPgPort and that the service's network rules let this machine in`;
  return `cannot connect to ${where} as "${c.user}": ${code ? `${code}: ` : ""}${msg}`;
}
