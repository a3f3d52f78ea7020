// Many readers at once, with the real DuckDB client against a guarded catalog on a throw-away PostgreSQL
// configured like production (max_connections as rendered for the server type, superuser_reserved 3).
//   npx ts-node --transpile-only bench/concurrent-readers.ts [--sizes 1,50,100,200] [--server cx23]
//     [--limit 4] [--max-connections N] [--hold-ms 0]
// For each N: N readers each open one DuckDB session (ATTACH 'ducklake:postgres:…' READ_ONLY + one query)
// at once, from child processes; all sessions stay open until every one has answered (they hold their
// connections concurrently). Prints served/refused and p50/p95 ATTACH+query, as ratios to N=1 of the
// same run, and the private memory of a reader backend. Then the hog test: one reader opens sessions
// until PostgreSQL refuses it; another reader and the owner must still connect. Loopback only.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFileSync, fork, ChildProcess } from "child_process";
import { Client } from "pg";
import { DuckDBInstance } from "@duckdb/node-api";
import { SERVER_TYPES } from "../model/cost";
import { DEFAULT_READER_CONNECTION_LIMIT, maxConnectionsFor, SUPERUSER_RESERVED_CONNECTIONS } from "../model/connectionBudget";
import { attachReadOnlySql, buildLake, BenchLake, createReaders, duckdbOptions, OWNER, PgAdmin } from "./concurrentReaders/lake";
import { Pooler, startPgBouncer } from "./concurrentReaders/pgbouncer";
import type { SessionJob, SessionResult } from "./concurrentReaders/sessionWorker";

const repo = path.resolve(__dirname, "..");
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const sizes = arg("sizes", "1,50,100,200").split(",").map(Number);
const serverType = arg("server", "cx23");
const limit = Number(arg("limit", String(DEFAULT_READER_CONNECTION_LIMIT)));
const maxConnections = Number(arg("max-connections", String(maxConnectionsFor(SERVER_TYPES[serverType].ramGb))));
const extensionDir = [path.join(repo, "..", "shared", "duckdb", "extensions"), "/work/shared/duckdb/extensions"].find((d) =>
  fs.existsSync(d),
);
/** DuckDB connections per session querying at once (each may take one pooled catalog connection). */
const parallel = Number(arg("parallel", "1"));
/** Measure through PgBouncer (session or transaction pooling) instead of PostgreSQL directly. */
const pooler = arg("pooler", "none") as "none" | "session" | "transaction";
/** PgBouncer's max_client_conn (global: 1.18 has no per-user client cap). Default 2 × max N + 50. */
const maxClientsArg = arg("max-clients", "");
/** How many sessions the hog tries at most. Default: its limit + 20. */
const hogMax = Number(arg("hog-max", "0"));
const CHILDREN = 8;
const ROUND_TIMEOUT_MS = 180_000;

function pctl(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

function startPostgres(dir: string): PgAdmin {
  // Other runs on this machine pick ports too: retry on a random one when the bind loses a race.
  for (let attempt = 1; ; attempt++) {
    const env = { ...process.env, LAKE_PG_DIR: dir, LAKE_PG_PORT: String(40000 + Math.floor(Math.random() * 20000)) };
    try {
      execFileSync("bash", [path.join(repo, "scripts", "local-pg.sh"), "start"], { env, stdio: ["ignore", "ignore", "inherit"] });
      break;
    } catch (e) {
      if (attempt >= 3) throw e;
    }
  }
  return JSON.parse(fs.readFileSync(path.join(dir, "connection.json"), "utf8"));
}

function stopPostgres(dir: string): void {
  execFileSync("bash", [path.join(repo, "scripts", "local-pg.sh"), "stop"], {
    env: { ...process.env, LAKE_PG_DIR: dir, PURGE: "1" },
    stdio: "ignore",
  });
}

/** The production connection settings (ALTER SYSTEM), then a restart so max_connections applies. */
async function applyProductionSettings(admin: PgAdmin & { dataDir?: string }): Promise<void> {
  const c = new Client(admin);
  await c.connect();
  await c.query(`ALTER SYSTEM SET max_connections = ${Math.floor(maxConnections)}`);
  await c.query(`ALTER SYSTEM SET superuser_reserved_connections = ${SUPERUSER_RESERVED_CONNECTIONS}`);
  await c.end();
  const pgBin = fs
    .readdirSync("/usr/lib/postgresql")
    .sort()
    .map((v) => `/usr/lib/postgresql/${v}/bin`)
    .pop()!;
  const ctl = [
    `${pgBin}/pg_ctl`,
    "-D",
    admin.dataDir!,
    "-w",
    "-t",
    "60",
    "-m",
    "fast",
    "restart",
    "-l",
    path.join(path.dirname(admin.dataDir!), "server.log"),
  ];
  if (process.getuid?.() === 0) execFileSync("runuser", ["-u", "postgres", "--", ...ctl], { stdio: "ignore" });
  else execFileSync(ctl[0], ctl.slice(1), { stdio: "ignore" });
}

interface Child {
  proc: ChildProcess;
  prepared: Promise<void>;
  go(): void;
  results: Promise<SessionResult[]>;
  release(): Promise<void>;
}

function startChild(jobs: SessionJob[]): Child {
  const proc = fork(path.join(__dirname, "concurrentReaders", "sessionWorker.ts"), [], {
    execArgv: ["-r", "ts-node/register/transpile-only"],
    env: { ...process.env, UV_THREADPOOL_SIZE: String(Math.min(1024, jobs.length * 2 + 4)) },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const prepared = new Promise<void>((resolve, reject) => {
    proc.on("message", (m: { type: string }) => {
      if (m.type === "prepared") resolve();
    });
    proc.on("exit", (code) => reject(new Error(`session worker exited (${code}) before preparing`)));
  });
  const results = new Promise<SessionResult[]>((resolve, reject) => {
    proc.on("message", (m: { type: string; results?: SessionResult[] }) => {
      if (m.type === "results") resolve(m.results!);
    });
    proc.on("exit", (code) => reject(new Error(`session worker exited (${code}) before reporting`)));
  });
  prepared.catch(() => undefined);
  results.catch(() => undefined);
  proc.send({ type: "prepare", jobs, extensionDir });
  const release = () =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        proc.kill("SIGKILL");
        resolve();
      }, 15_000);
      proc.on("exit", () => {
        clearTimeout(t);
        resolve();
      });
      proc.send({ type: "release" });
    });
  return { proc, prepared, go: () => proc.send({ type: "go" }), results, release };
}

/** Private memory (MB) of each live backend of these roles: /proc/<pid>/smaps_rollup Private_*. */
async function backendPrivateMb(admin: PgAdmin, roles: string[]): Promise<number[]> {
  const c = new Client(admin);
  await c.connect();
  const { rows } = await c.query("SELECT pid FROM pg_stat_activity WHERE usename = ANY($1)", [roles]);
  await c.end();
  const out: number[] = [];
  for (const { pid } of rows) {
    try {
      const t = fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
      const kb = [...t.matchAll(/^Private_(?:Clean|Dirty):\s+(\d+) kB/gm)].reduce((s, m) => s + Number(m[1]), 0);
      out.push(kb / 1024);
    } catch {
      /* not readable here (other host/user) */
    }
  }
  return out;
}

async function countBackends(admin: PgAdmin, roles: string[]): Promise<number> {
  const c = new Client(admin);
  await c.connect();
  try {
    return Number((await c.query("SELECT count(*) AS n FROM pg_stat_activity WHERE usename = ANY($1)", [roles])).rows[0].n);
  } finally {
    await c.end();
  }
}

interface Round {
  n: number;
  backends: number;
  served: number;
  refused: number;
  failed: number;
  p50: number;
  p95: number;
  wallMs: number;
  backendMb: number[];
  errors: string[];
}

async function round(admin: PgAdmin, lake: BenchLake, readers: string[]): Promise<Round> {
  const jobs: SessionJob[] = readers.map((reader, id) => ({
    id,
    reader,
    host: lake.host,
    port: lake.port,
    database: lake.database,
    password: lake.readerPassword,
    parallel,
  }));
  const k = Math.min(CHILDREN, jobs.length);
  const children = Array.from({ length: k }, (_, i) => startChild(jobs.filter((_, j) => j % k === i)));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`round N=${jobs.length} took over ${ROUND_TIMEOUT_MS} ms`)), ROUND_TIMEOUT_MS);
  });
  try {
    // Every session's DuckDB is up with its extensions loaded before the clock starts: then all ATTACH at once.
    await Promise.race([Promise.all(children.map((c) => c.prepared)), timeout]);
    const t0 = performance.now();
    for (const c of children) c.go();
    const results = (await Promise.race([Promise.all(children.map((c) => c.results)), timeout])).flat();
    const wallMs = performance.now() - t0;
    const backendMb = await backendPrivateMb(admin, readers);
    const backends = await countBackends(admin, readers);
    const ok = results.filter((r) => r.ok);
    const refused = results.filter((r) => !r.ok && /too many clients|remaining connection slots|too many connections/.test(r.error ?? ""));
    // PostgreSQL's own words (DuckDB wraps them in the connection string, password masked by the worker)
    const why = (e = "") => (/FATAL:\s*([^\n]+)/.exec(e)?.[1] ?? e.split("\n")[0]).slice(0, 160);
    const errors = [...new Set(results.filter((r) => !r.ok).map((r) => why(r.error)))].slice(0, 3);
    for (const r of ok) if (r.rows !== 10000) throw new Error(`${r.reader} read ${r.rows} rows, expected 10000`);
    return {
      n: jobs.length,
      backends,
      served: ok.length,
      refused: refused.length,
      failed: results.length - ok.length - refused.length,
      p50: pctl(
        ok.map((r) => r.ms),
        50,
      ),
      p95: pctl(
        ok.map((r) => r.ms),
        95,
      ),
      wallMs,
      backendMb,
      errors,
    };
  } finally {
    clearTimeout(timer);
    await Promise.all(children.map((c) => c.release()));
  }
}

/** One DuckDB session as `reader`: undefined when served, else PostgreSQL's message. */
async function duckSession(lake: BenchLake, reader: string, keep: Array<() => void>): Promise<string | undefined> {
  const db = await DuckDBInstance.create(":memory:", duckdbOptions(extensionDir));
  const c = await db.connect();
  try {
    await c.run(
      attachReadOnlySql({ host: lake.host, port: lake.port, database: lake.database, user: reader, password: lake.readerPassword }),
    );
    await c.run("SELECT count(*) FROM lake.sales.orders");
    keep.push(() => {
      c.closeSync();
      db.closeSync();
    });
    return undefined;
  } catch (e) {
    c.closeSync();
    db.closeSync();
    const m = /FATAL:\s*([^\n"]+)/.exec(String((e as Error).message));
    return m
      ? m[1].trim()
      : String((e as Error).message)
          .split("\n")[0]
          .replace(/password=\S+/g, "password=***");
  }
}

async function hogTest(admin: PgAdmin, lake: BenchLake, hog: string, other: string): Promise<void> {
  const keep: Array<() => void> = [];
  try {
    let opened = 0;
    let refusal: string | undefined;
    while (opened < (hogMax || limit + 20)) {
      refusal = await duckSession(lake, hog, keep);
      if (refusal) break;
      opened++;
    }
    const otherErr = await duckSession(lake, other, keep);
    const owner = new Client({ ...admin, database: lake.database, user: OWNER, password: lake.ownerPassword });
    let ownerOk = true;
    try {
      await owner.connect();
      await owner.query("SELECT 1");
    } catch {
      ownerOk = false;
    } finally {
      await owner.end().catch(() => undefined);
    }
    console.log(
      `\nhog test (CONNECTION LIMIT ${limit}): ${hog} opened ${opened} DuckDB sessions, then was refused: "${refusal ?? "(never refused)"}"`,
    );
    console.log(`  another reader: ${otherErr ? `REFUSED (${otherErr})` : "served"}; catalog owner: ${ownerOk ? "connected" : "REFUSED"}`);
  } finally {
    for (const close of keep) close();
  }
}

/** Through the pooler, interleaved clients of two readers each run as their own role and see only their grants. */
async function poolerRlsCheck(lake: BenchLake, a: string, b: string): Promise<void> {
  const clients = [a, b, a, b].map((user) => ({
    user,
    c: new Client({ host: lake.host, port: lake.port, database: lake.database, user, password: lake.readerPassword }),
  }));
  for (const { c } of clients) await c.connect();
  try {
    const seen: string[] = [];
    for (let i = 0; i < 3; i++)
      for (const { user, c } of clients) {
        const r = await c.query(
          "SELECT current_user AS u, session_user AS s, (SELECT string_agg(table_name, ',' ORDER BY table_name) FROM lake.ducklake_table WHERE end_snapshot IS NULL) AS t",
        );
        const row = r.rows[0];
        if (row.u !== user || row.s !== user) throw new Error(`through the pooler ${user} ran as ${row.u}/${row.s}`);
        seen.push(`${user}:${row.t}`);
      }
    const tables = [...new Set(seen.map((x) => x.split(":")[1]))];
    if (tables.length !== 1 || tables[0] !== "orders") throw new Error(`readers saw ${tables.join(" | ")}, expected only orders`);
    console.log(
      `pooler RLS check: 24 interleaved queries of ${a} and ${b} each ran as their own role and saw only "orders" (not "secret")`,
    );
  } finally {
    for (const { c } of clients) await c.end();
  }
}

async function main(): Promise<void> {
  if (!extensionDir) throw new Error("no DuckDB extensions folder (../shared/duckdb/extensions); see its README");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-readers-"));
  try {
    const admin = startPostgres(path.join(dir, "pg"));
    await applyProductionSettings(admin);
    const dataPath = path.join(dir, "data") + "/";
    fs.mkdirSync(dataPath, { recursive: true });
    fs.chmodSync(dir, 0o755);
    const lake = await buildLake(admin, { database: "bench_lake", dataPath, extensionDir });
    const maxN = Math.max(...sizes);
    const readers = Array.from({ length: Math.max(2, maxN) }, (_, i) => `reader_${String(i + 1).padStart(3, "0")}`);
    await createReaders(admin, lake, [...readers, "reader_hog"], limit);
    console.log(
      `PostgreSQL ${serverType} settings: max_connections=${maxConnections}, superuser_reserved_connections=${SUPERUSER_RESERVED_CONNECTIONS}; ` +
        `${readers.length + 1} readers, CONNECTION LIMIT ${limit} each; ${os.cpus().length} CPUs; DuckDB sessions from ${CHILDREN} child processes`,
    );
    let pool: Pooler | undefined;
    let sessionLake = lake;
    if (pooler !== "none") {
      pool = startPgBouncer({
        dir: path.join(dir, "pgbouncer"),
        pgPort: admin.port,
        database: lake.database,
        superuser: admin.user,
        superuserPassword: admin.password,
        poolMode: pooler,
        perUserServerConnections: limit,
        serverConnections: maxConnections - SUPERUSER_RESERVED_CONNECTIONS - 10,
        maxClients: Number(maxClientsArg || 2 * maxN + 50),
      });
      sessionLake = { ...lake, port: pool.port };
      console.log(
        `through PgBouncer (${pooler} pooling) on 127.0.0.1:${pool.port}: per-user pools of ${limit}, at most ${maxConnections - SUPERUSER_RESERVED_CONNECTIONS - 10} server connections`,
      );
    }
    try {
      if (pool) await poolerRlsCheck(sessionLake, readers[0], readers[1]);
      console.log("\n    N  served  refused  failed   p50 ms   p95 ms  p50/base  p95/base   wall s  server conns  backend MB (median)");
      let base: Round | undefined;
      for (const n of sizes) {
        const r = await round(admin, sessionLake, readers.slice(0, n));
        base ??= r;
        const med = pctl(r.backendMb, 50);
        console.log(
          `${String(n).padStart(5)}  ${String(r.served).padStart(6)}  ${String(r.refused).padStart(7)}  ${String(r.failed).padStart(6)}  ` +
            `${r.p50.toFixed(0).padStart(7)}  ${r.p95.toFixed(0).padStart(7)}  ${(r.p50 / base.p50).toFixed(2).padStart(8)}  ${(r.p95 / base.p95).toFixed(2).padStart(8)}  ` +
            `${(r.wallMs / 1000).toFixed(1).padStart(7)}  ${String(r.backends).padStart(12)}  ${Number.isFinite(med) ? `${med.toFixed(2)} (${r.backendMb.length} backends)` : "n/a"}`,
        );
        for (const e of r.errors) console.log(`       error: ${e}`);
      }
      await hogTest(admin, sessionLake, "reader_hog", readers[0]);
    } finally {
      pool?.stop();
    }
  } finally {
    stopPostgres(path.join(dir, "pg"));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
