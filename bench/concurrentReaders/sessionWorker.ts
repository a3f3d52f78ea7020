// Child process of bench/concurrent-readers.ts: opens the reader sessions it is given (one DuckDB instance
// each: ATTACH the lake READ_ONLY as the reader, one query), reports each one, keeps them open until the
// parent says "release", then closes them. Sessions of one child run at once on libuv's thread pool
// (the parent sizes UV_THREADPOOL_SIZE to the session count).
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { attachReadOnlySql, duckdbOptions } from "./lake";

export interface SessionJob {
  id: number;
  reader: string;
  host: string;
  port: number;
  database: string;
  password: string;
  /** Extra DuckDB connections of the same session that query at once (postgres extension pool). */
  parallel?: number;
}
export interface SessionResult {
  id: number;
  reader: string;
  ok: boolean;
  ms: number;
  rows?: number;
  error?: string;
}
export type WorkerMessage = { type: "prepare"; jobs: SessionJob[]; extensionDir?: string } | { type: "go" } | { type: "release" };

const QUERY = "SELECT count(*) AS n, sum(cents) AS total FROM lake.sales.orders";

interface Prepared {
  job: SessionJob;
  instance: DuckDBInstance;
  c: DuckDBConnection;
}

/** Untimed: the DuckDB instance with its extensions loaded (client-side CPU, not the server's work). */
async function prepare(job: SessionJob, extensionDir: string | undefined): Promise<Prepared> {
  const instance = await DuckDBInstance.create(":memory:", duckdbOptions(extensionDir));
  const c = await instance.connect();
  await c.run("LOAD ducklake; LOAD postgres");
  return { job, instance, c };
}

/** Timed: ATTACH as the reader + one query. */
async function openSession({ job, instance, c }: Prepared, held: Array<() => void>): Promise<SessionResult> {
  const t0 = performance.now();
  const conns: DuckDBConnection[] = [c];
  try {
    await c.run(attachReadOnlySql({ host: job.host, port: job.port, database: job.database, user: job.reader, password: job.password }));
    const more = await Promise.all(Array.from({ length: Math.max(0, (job.parallel ?? 1) - 1) }, () => instance.connect()));
    conns.push(...more);
    const counts = await Promise.all(conns.map(async (cn) => Number((await cn.runAndReadAll(QUERY)).getRows()[0][0])));
    const ms = performance.now() - t0;
    held.push(() => {
      for (const cn of conns) cn.closeSync();
      instance.closeSync();
    });
    return { id: job.id, reader: job.reader, ok: true, ms, rows: counts[0] };
  } catch (e) {
    const ms = performance.now() - t0;
    for (const cn of conns) cn.closeSync();
    instance.closeSync();
    // DuckDB's error text carries the connection string: keep only PostgreSQL's own message.
    const msg = String((e as Error).message).replace(/password=('[^']*'|\S+)/g, "password=***");
    return { id: job.id, reader: job.reader, ok: false, ms, error: msg };
  }
}

if (require.main === module) {
  const held: Array<() => void> = [];
  let prepared: Prepared[] = [];
  process.on("message", async (m: WorkerMessage) => {
    if (m.type === "prepare") {
      prepared = await Promise.all(m.jobs.map((j) => prepare(j, m.extensionDir)));
      process.send!({ type: "prepared" });
    } else if (m.type === "go") {
      const results = await Promise.all(prepared.map((p) => openSession(p, held)));
      process.send!({ type: "results", results });
    } else if (m.type === "release") {
      for (const close of held.splice(0)) {
        try {
          close();
        } catch {
          /* already closed */
        }
      }
      process.send!({ type: "released" }, () => process.exit(0));
    }
  });
}
