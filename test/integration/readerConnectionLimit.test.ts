// Reader connection limits on real PostgreSQL: the SQL the postgresql provider runs for a Role's
// connectionLimit (CREATE ROLE … WITH … CONNECTION LIMIT n; on update, in a transaction: ALTER ROLE "r"
// CONNECTION LIMIT n), replayed; and the rendered max_connections/superuser_reserved_connections on a
// cluster of their own, filled with readers up to the preview's budget.
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { execFileSync } from "child_process";
import { randomBytes } from "crypto";
import { Client, ClientConfig } from "pg";
import { createTestDatabase, dropTestDatabase, withClient } from "../support/pg";
import { pgAdmin, PgConnection } from "../support/services";
import { quoteIdent, quoteLiteral } from "../../model/names";
import { renderPostgresqlConf } from "../../model/cloudInit";
import { connectionBudget, OWNER_WRITER_RESERVED_CONNECTIONS, SUPERUSER_RESERVED_CONNECTIONS } from "../../model/connectionBudget";

const PASSWORD = "pw" + randomBytes(8).toString("hex");
const suffix = randomBytes(3).toString("hex");

async function open(config: ClientConfig): Promise<Client> {
  const c = new Client({ ...config, connectionTimeoutMillis: 10000 });
  await c.connect();
  return c;
}
async function refusal(config: ClientConfig): Promise<string | undefined> {
  try {
    const c = await open(config);
    await c.end();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

describe("reader CONNECTION LIMIT (the provider's SQL, replayed)", () => {
  let db: PgConnection;
  const owner = `conn_owner_${suffix}`;
  const readers = [`conn_hog_${suffix}`, `conn_other_${suffix}`];
  const held: Client[] = [];
  const as = (user: string): ClientConfig => ({ ...db, user, password: PASSWORD });

  beforeAll(async () => {
    db = await createTestDatabase("conn_limit");
    await withClient(pgAdmin(), async (c) => {
      await c.query(`CREATE ROLE ${quoteIdent(owner)} WITH LOGIN PASSWORD ${quoteLiteral(PASSWORD)}`);
      // Create, as the provider does: the int option is always there (default -1 = unlimited).
      for (const r of readers)
        await c.query(`CREATE ROLE ${quoteIdent(r)} WITH LOGIN PASSWORD ${quoteLiteral(PASSWORD)} CONNECTION LIMIT 2 INHERIT`);
    });
  });
  afterAll(async () => {
    for (const c of held) await c.end().catch(() => undefined);
    await dropTestDatabase(db);
    await withClient(pgAdmin(), async (c) => {
      for (const r of [...readers, owner]) await c.query(`DROP ROLE IF EXISTS ${quoteIdent(r)}`);
    });
  });

  it("refuses a reader past its limit while other readers and the owner still connect", async () => {
    for (let i = 0; i < 2; i++) held.push(await open(as(readers[0])));
    expect(await refusal(as(readers[0]))).toMatch(new RegExp(`too many connections for role "${readers[0]}"`));
    expect(await refusal(as(readers[1]))).toBeUndefined();
    expect(await refusal(as(owner))).toBeUndefined();
  });

  it("changes in place on update (ALTER ROLE … CONNECTION LIMIT in a transaction), read back as rolconnlimit", async () => {
    await withClient(pgAdmin(), async (c) => {
      await c.query("BEGIN");
      await c.query(`ALTER ROLE ${quoteIdent(readers[0])} CONNECTION LIMIT 3`);
      await c.query("COMMIT");
      expect((await c.query("SELECT rolconnlimit FROM pg_roles WHERE rolname = $1", [readers[0]])).rows[0].rolconnlimit).toBe(3);
    });
    held.push(await open(as(readers[0]))); // the third session, refused before the update
    expect(await refusal(as(readers[0]))).toMatch(/too many connections for role/);
    // Lowering does not end sessions already open (PostgreSQL checks the limit at login only): new ones are refused.
    await withClient(pgAdmin(), (c) => c.query(`ALTER ROLE ${quoteIdent(readers[0])} CONNECTION LIMIT 1`));
    const { rows } = await withClient(pgAdmin(), (c) =>
      c.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1", [readers[0]]),
    );
    expect(rows[0].n).toBe(3);
    expect(await refusal(as(readers[0]))).toMatch(/too many connections for role/);
  });
});

// A cluster of its own with the rendered connection settings: readers filling exactly the budget's reader
// slots leave the owner/writer reserve and the superuser slots free; past the budget (what the preview warns
// about) PostgreSQL 15 refuses the owner too and only superusers get in.
const PG_BIN = fs
  .readdirSync("/usr/lib/postgresql")
  .sort()
  .map((v) => `/usr/lib/postgresql/${v}/bin`)
  .reverse()
  .find((d) => fs.existsSync(`${d}/initdb`));
const isRoot = process.getuid?.() === 0;
const asPg = (cmd: string, args: string[]) =>
  execFileSync(isRoot ? "runuser" : cmd, isRoot ? ["-u", "postgres", "--", cmd, ...args] : args, { stdio: "pipe", encoding: "utf8" });
async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

(PG_BIN ? describe : describe.skip)("rendered max_connections and reserves on a real server", () => {
  const ramGb = 1; // the smallest sizing (max_connections 100) keeps the test light; the rules are the same at 448
  const dir = `/tmp/ducklake-pulumi/connlimit-pg-${randomBytes(4).toString("hex")}`;
  const data = path.join(dir, "data");
  let port = 0;
  const clients: Client[] = [];
  const superPw = randomBytes(12).toString("hex");
  const cfg = (user: string, password = PASSWORD): ClientConfig => ({ host: "127.0.0.1", port, user, password, database: "postgres" });

  beforeAll(async () => {
    fs.mkdirSync(dir, { recursive: true });
    fs.chmodSync(dir, 0o755);
    fs.writeFileSync(path.join(dir, "pw"), superPw + "\n");
    if (isRoot) execFileSync("chown", ["-R", "postgres", dir]);
    asPg(`${PG_BIN}/initdb`, ["-D", data, "-U", "postgres", "--pwfile", path.join(dir, "pw"), "--auth=scram-sha-256", "--locale=C.UTF-8"]);
    port = await freePort();
    // Only the connection settings of the rendered fragment (the rest needs TLS files; tested elsewhere).
    const rendered = renderPostgresqlConf({ ramGb })
      .split("\n")
      .filter((l) => /^(max_connections|superuser_reserved_connections|reserved_connections) /.test(l));
    expect(rendered).toEqual(["max_connections = 100", "superuser_reserved_connections = 3"]);
    fs.appendFileSync(
      path.join(data, "postgresql.conf"),
      [`listen_addresses = '127.0.0.1'`, `port = ${port}`, `unix_socket_directories = '${dir}'`, "fsync = off", ...rendered, ""].join("\n"),
    );
    asPg(`${PG_BIN}/pg_ctl`, ["-D", data, "-l", path.join(dir, "log"), "-w", "-t", "60", "start"]);
  }, 120000);
  afterAll(async () => {
    for (const c of clients) await c.end().catch(() => undefined);
    try {
      asPg(`${PG_BIN}/pg_ctl`, ["-D", data, "-m", "immediate", "stop"]);
    } catch {
      /* not running */
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("readers at their limits use exactly the reader slots: the owner and the superuser still connect; one more is refused", async () => {
    const limit = 3;
    const budget = connectionBudget({ ramGb, postgresVersion: 15, readers: [] });
    expect(budget.maxConnections).toBe(100);
    const nReaders = Math.floor(budget.readerSlots / limit); // 87 slots: 29 readers × 3
    const names = Array.from({ length: nReaders }, (_, i) => `r${i}`);
    expect(
      connectionBudget({ ramGb, postgresVersion: 15, readers: names.map((name) => ({ name, connectionLimit: limit })) }).warnings,
    ).toEqual([]);
    await withClient(cfg("postgres", superPw), async (c) => {
      await c.query(`SET password_encryption = 'scram-sha-256'`);
      await c.query(`CREATE ROLE owner_role LOGIN PASSWORD ${quoteLiteral(PASSWORD)}`);
      for (const n of names)
        await c.query(`CREATE ROLE ${quoteIdent(n)} LOGIN PASSWORD ${quoteLiteral(PASSWORD)} CONNECTION LIMIT ${limit}`);
      expect((await c.query("SHOW superuser_reserved_connections")).rows[0].superuser_reserved_connections).toBe(
        String(SUPERUSER_RESERVED_CONNECTIONS),
      );
    });
    // Every reader tries one more session than its limit: those are refused by the role limit, not the server.
    for (const n of names) {
      for (let i = 0; i < limit; i++) clients.push(await open(cfg(n)));
      expect(await refusal(cfg(n))).toMatch(/too many connections for role/);
    }
    expect(clients.length).toBe(nReaders * limit);
    // The owner/writer reserve is still free: OWNER_WRITER_RESERVED_CONNECTIONS sessions of the owner fit.
    for (let i = 0; i < OWNER_WRITER_RESERVED_CONNECTIONS + (budget.readerSlots - nReaders * limit); i++)
      clients.push(await open(cfg("owner_role")));
    // Now only the superuser slots are left: non-superusers are refused, the admin (superuser) gets in.
    expect(await refusal(cfg("owner_role"))).toMatch(/remaining connection slots are reserved/);
    expect(await refusal(cfg("postgres", superPw))).toBeUndefined();
  }, 180000);
});
