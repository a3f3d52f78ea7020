// Cost of an ACL change before and after guard migration 006 (ACL edits enforced by statement triggers, the
// serializing lock moved to a guard-owned row), in the same run on a throw-away PostgreSQL: two databases with
// the same synthetic DuckLake catalog (fixture builder), one guarded with 001-005, one with 001-006; the same
// readers and calls, interleaved round by round so load from other processes hits both alike. Prints medians
// (ms per call) and the ratio 006 / 005.
//   npx ts-node --transpile-only bench/guard-acl-cost.ts [schemas] [tablesPerSchema] [rounds]   (default 10 30 40)
import { execFileSync } from "child_process";
import * as path from "path";
import { Client } from "pg";
import { createDuckLakeCatalog } from "../test/fixtures/ducklakeCatalog";
import { installGuard } from "../postgres/guardClient";
import { loadMigrations } from "../postgres/sqlFiles";

const [SCHEMAS = 10, TABLES = 30, ROUNDS = 40] = process.argv
  .slice(2)
  .map(Number)
  .filter((x) => x > 0);
const root = path.resolve(__dirname, "..");
const pgDir = `/tmp/ducklake-pulumi/bench-acl-${process.pid}`;
const pg = (cmd: "start" | "stop") =>
  execFileSync("bash", [path.join(root, "scripts", "local-pg.sh"), cmd], {
    env: { ...process.env, LAKE_PG_DIR: pgDir, PURGE: "1" },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

async function lake(admin: object, db: string, upTo: number): Promise<Client> {
  const a = new Client(admin);
  await a.connect();
  await a.query(`CREATE DATABASE ${db}`);
  await a.end();
  const c = new Client({ ...admin, database: db });
  await c.connect();
  const b = await createDuckLakeCatalog(c, { catalogSchema: "lake" });
  for (let s = 0; s < SCHEMAS; s++) {
    await b.createSchema(`s${s}`);
    for (let t = 0; t < TABLES; t++)
      await b.createTable(`s${s}`, `t${t}`, {
        columns: [
          { name: "id", type: "int64" },
          { name: "v", type: "varchar" },
        ],
        inlinedRows: t % 3 === 0 ? [[1, "x"]] : undefined,
      });
  }
  await installGuard(c, { catalogSchema: "lake", migrations: loadMigrations().filter((m) => m.version <= upTo) });
  return c;
}

async function main(): Promise<void> {
  const conn = JSON.parse(pg("start"));
  try {
    const a = new Client(conn);
    await a.connect();
    const readers = Array.from({ length: 20 }, (_, i) => `bench_r${i}`);
    for (const r of readers) await a.query(`CREATE ROLE ${r} LOGIN`);
    await a.end();
    const before = await lake(conn, "acl_005", 5),
      after = await lake(conn, "acl_006", 6);
    for (const c of [before, after])
      for (const [i, r] of readers.entries()) {
        await c.query("SELECT ducklake_guard.grant_read($1, $2, NULL)", [r, `s${i % SCHEMAS}`]);
        for (let t = 0; t < 10; t++) await c.query("SELECT ducklake_guard.grant_read($1, $2, $3)", [r, `s${(i + 1) % SCHEMAS}`, `t${t}`]);
      }
    const ops: Array<[string, (c: Client, i: number) => Promise<unknown>]> = [
      [
        "grant_read (table)",
        (c, i) => c.query("SELECT ducklake_guard.grant_read($1, $2, 't20')", [readers[i % 20], `s${(i + 3) % SCHEMAS}`]),
      ],
      [
        "grant_read (unchanged)",
        (c, i) => c.query("SELECT ducklake_guard.grant_read($1, $2, 't20')", [readers[i % 20], `s${(i + 3) % SCHEMAS}`]),
      ],
      [
        "revoke_read (table)",
        (c, i) => c.query("SELECT ducklake_guard.revoke_read($1, $2, 't20')", [readers[i % 20], `s${(i + 3) % SCHEMAS}`]),
      ],
      [
        "grant_read (schema)",
        (c, i) => c.query("SELECT ducklake_guard.grant_read($1, $2, NULL)", [readers[i % 20], `s${(i + 5) % SCHEMAS}`]),
      ],
      [
        "revoke_read (schema)",
        (c, i) => c.query("SELECT ducklake_guard.revoke_read($1, $2, NULL)", [readers[i % 20], `s${(i + 5) % SCHEMAS}`]),
      ],
    ];
    const times = new Map<string, { b: number[]; a: number[] }>(ops.map(([n]) => [n, { b: [], a: [] }]));
    for (let round = 0; round < ROUNDS; round++)
      for (const [name, op] of ops)
        for (const [key, c] of (round % 2
          ? [
              ["a", after],
              ["b", before],
            ]
          : [
              ["b", before],
              ["a", after],
            ]) as Array<["a" | "b", Client]>) {
          const t0 = process.hrtime.bigint();
          await op(c, round);
          times.get(name)![key].push(Number(process.hrtime.bigint() - t0) / 1e6);
        }
    console.log(
      `catalog: ${SCHEMAS} schemas × ${TABLES} tables (every third with inlined rows), 20 readers with 11 grants each; ${ROUNDS} interleaved rounds`,
    );
    for (const [name, { b, a: x }] of times)
      console.log(
        `${name.padEnd(24)} 005: ${median(b).toFixed(2)} ms   006: ${median(x).toFixed(2)} ms   ratio ${(median(x) / median(b)).toFixed(2)}×`,
      );
    await before.end();
    await after.end();
  } finally {
    pg("stop");
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
