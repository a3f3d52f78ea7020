// The real reader, end to end: DuckDB 1.5.5 with ducklake, postgres and httpfs against real PostgreSQL
// (the catalog guard) and real Ceph RGW (bucket policy), through the project's own code paths only:
// the owner loads TPC-H with `npm run load-sample` and writes through `openLakeSession`; grants are
// applied the way `pulumi up` applies them (test/support/lakeApply.ts: ReaderAcl provider + bucket
// policy builder); each reader attaches with the setup the program renders for it (renderReaderSetup)
// with its own PostgreSQL login and S3 key. One lake is shared by the whole file; the tests run in order
// and tell one story (grants → reads → writer activity → revoke → the CLIs a user runs).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { randomBytes } from "crypto";
import { spawnSync } from "child_process";
import { Client } from "pg";
import { DuckDBConnection } from "@duckdb/node-api";
import { createTestDatabase, dropTestDatabase, withClient } from "../support/pg";
import { createTestBucket, s3Client, testStorage } from "../support/s3";
import { pgAdmin, PgConnection, repoRoot, rgw } from "../support/services";
import { AccessStack } from "../support/lakeApply";
import { describeWithDuckDB, rows, runPasted, scalar } from "../support/duckdb";
import { installGuard } from "../../postgres/guardClient";
import { AccessSpec } from "../../model/accessSpec";
import { renderReaderSetup } from "../../model/grants";
import { quoteIdent, quoteLiteral } from "../../model/names";
import { LakeConnectionInfo, parseLakeConnectionInfo, ReaderConnection } from "../../cli/connectionInfo";
import { DuckSession, openDuckDB, openLakeSession } from "../../cli/duckdbSession";
import { verifyLake } from "../../cli/verify";

const hex = randomBytes(3).toString("hex");
const R = { ana: `e2e_ana_${hex}`, ben: `e2e_ben_${hex}`, cleo: `e2e_cleo_${hex}` };
const passwords: Record<string, string> = Object.fromEntries(Object.values(R).map((r) => [r, randomBytes(12).toString("hex")]));
/** What each reader is granted (schema, or schema.table). ben gets `sales` whole, tables created later included. */
const GRANTS: Array<[string, string, string?]> = [
  [R.ana, "tpch", "nation"],
  [R.ana, "tpch", "orders"],
  [R.ana, "sales", "small"],
  [R.ben, "sales"],
  [R.cleo, "hr", "salaries"],
  [R.cleo, "tpch", "supplier"],
];

let conn: PgConnection;
let bucket: string;
let info: LakeConnectionInfo;
let stack: AccessStack;
let ownerPg: Client;
let owner: DuckSession;
let dir: string;
let connFile: string;
/** One long-lived DuckDB per reader, attached with its rendered setup (kept across writer activity). */
const sessions: Record<string, DuckSession> = {};

function spec(grants: Array<[string, string, string?]>): AccessSpec {
  return {
    readers: info.readers.map((r) => ({ name: r.name, principal: { projectId: r.s3.projectId, accessKey: r.s3.accessKey } })),
    grants: grants.map(([reader, schema, table]) => (table ? { reader, schema, table } : { reader, schema })),
  };
}

const reader = (name: string): ReaderConnection => info.readers.find((r) => r.name === name)!;

/** The setup the program renders for this reader (what `pulumi stack output readerDuckdbSetups` shows). */
function setupFor(name: string): string {
  const r = reader(name);
  return renderReaderSetup({
    reader: r.name,
    password: r.password,
    host: info.catalog.host,
    port: info.catalog.port,
    database: info.catalog.database,
    sslmode: info.catalog.sslmode,
    catalogSchema: info.catalog.schema,
    s3Endpoint: info.storage.endpoint,
    s3Region: info.storage.region,
    accessKey: r.s3.accessKey,
    secretKey: r.s3.secretKey,
    bucket: info.storage.bucket,
  });
}

/** A fresh DuckDB (offline extensions when present) with the reader's pasted setup run in it. */
async function attachAsReader(name: string): Promise<DuckSession> {
  const s = await openDuckDB();
  try {
    await runPasted(s.connection, setupFor(name));
  } catch (e) {
    s.close();
    throw e;
  }
  return s;
}

const q = (schema: string, table: string) => `lake.${quoteIdent(schema)}.${quoteIdent(table)}`;
/** Row count and an order-independent checksum of every column of every row. */
const fingerprint = (c: DuckDBConnection, schema: string, table: string) =>
  rows(c, `SELECT count(*) AS n, coalesce(sum(hash(x)::HUGEINT), 0) AS h FROM ${q(schema, table)} AS x`);
const listTables = async (c: DuckDBConnection) =>
  (await rows(c, "SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE database_name = 'lake' ORDER BY 1")).map((r) => r[0]);
const ownerTables = () => listTables(owner.connection);
const granted = (name: string, tables: unknown[]) =>
  (tables as string[]).filter((t) => {
    const [s, tb] = t.split(".");
    return GRANTS.some(([r, gs, gt]) => r === name && gs === s && (gt === undefined || gt === tb));
  });
/** Reader's view equals the owner's: same tables listed (its grants only), same fingerprints. */
async function expectSameAsOwner(name: string, c: DuckDBConnection): Promise<void> {
  const mine = granted(name, await ownerTables());
  expect({ name, tables: await listTables(c) }).toEqual({ name, tables: mine });
  for (const t of mine as string[]) {
    const [s, tb] = t.split(".");
    expect({ name, t, fp: await fingerprint(c, s, tb) }).toEqual({ name, t, fp: await fingerprint(owner.connection, s, tb) });
  }
}

/** A data file of a table, as the owner's DuckDB lists it (s3://bucket/data/...). */
async function dataFile(schema: string, table: string): Promise<string> {
  const f = await rows(
    owner.connection,
    `SELECT data_file FROM ducklake_list_files('lake', ${quoteLiteral(table)}, schema => ${quoteLiteral(schema)}) LIMIT 1`,
  );
  expect(f.length).toBe(1);
  return String(f[0][0]);
}

/** Runs one of the project's CLIs as a user does (ts-node, --from a 0600 file), with stdin. */
function cli(script: string, args: string[], input = "") {
  const r = spawnSync(
    path.join(repoRoot, "node_modules", ".bin", "ts-node"),
    ["--transpile-only", path.join(repoRoot, "cli", script), ...args],
    { cwd: repoRoot, encoding: "utf8", input, env: { ...process.env, DUCKLAKE_CONNECTION: "" }, timeout: 240_000 },
  );
  return {
    code: r.status,
    stdout: r.stdout,
    stderr: r.stderr.replace(
      /^(Warning: NodeVersionSupportWarning|versions published|will require node|To continue|and security|More information|\(Use `node).*\n?/gm,
      "",
    ),
  };
}

describeWithDuckDB("readers on a real lake with the real DuckDB client", () => {
  beforeAll(async () => {
    const svc = rgw();
    bucket = await createTestBucket("e2e");
    conn = await createTestDatabase("e2e");
    info = parseLakeConnectionInfo({
      stack: "e2e",
      catalog: { host: conn.host, port: conn.port, database: conn.database, user: conn.user, password: conn.password, sslmode: "disable" },
      storage: testStorage(bucket),
      readers: Object.values(R).map((name, i) => ({
        name,
        password: passwords[name],
        s3: { projectId: svc.readerProject, ...svc.readers[i] },
        grants: GRANTS.filter(([r]) => r === name).map(([, schema, table]) => (table ? { schema, table } : { schema })),
      })),
    });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-duck-"));
    connFile = path.join(dir, "lake.json");
    fs.writeFileSync(connFile, JSON.stringify(info), { mode: 0o600 });
    ownerPg = new Client(conn);
    await ownerPg.connect();
    // `pulumi up` installs the guard before DuckLake's first ATTACH creates the catalog tables.
    await installGuard(ownerPg);
    // The program's LakeReader: a login role with a generated password, member of the reader base role.
    for (const name of Object.values(R)) {
      await ownerPg.query(`CREATE ROLE ${quoteIdent(name)} LOGIN PASSWORD ${quoteLiteral(passwords[name])}`);
      await ownerPg.query(`GRANT ducklake_reader TO ${quoteIdent(name)}`);
    }
    stack = new AccessStack({
      connection: { ...info.catalog },
      catalogSchema: info.catalog.schema,
      owner: ownerPg,
      bucket,
      ownerProjectId: svc.adminProject,
      dataPrefix: "data/",
      backupsPrefix: "backups/",
      adminS3: s3Client(svc.admin),
    });
  }, 120_000);

  afterAll(async () => {
    for (const s of Object.values(sessions)) s.close();
    owner?.close();
    await ownerPg?.end();
    if (conn) await dropTestDatabase(conn);
    await withClient(pgAdmin(), async (c) => {
      for (const r of Object.values(R)) await c.query(`DROP ROLE IF EXISTS ${quoteIdent(r)}`);
    });
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the owner loads TPC-H with `npm run load-sample` (one line per table), and a re-run changes nothing", () => {
    const first = cli("loadSample.ts", ["--from", connFile, "--sf", "0.01"]);
    expect(first.stderr).toMatch(/^attaching the lake as owner /m);
    expect(first.stderr).toMatch(/^\[1\/8\] tpch\.region: 5 rows created/m);
    expect(first.stderr).toMatch(/^\[8\/8\] tpch\.lineitem: 60175 rows created/m);
    expect(first.stdout).toBe("load-sample: 8 tables, 86805 rows in lake.tpch (sf 0.01)\n");
    expect(first.code).toBe(0);
    const again = cli("loadSample.ts", ["--from", connFile, "--sf", "0.01"]);
    expect(again.stderr.match(/rows already loaded/g)).toHaveLength(8);
    expect(again.code).toBe(0);
  }, 300_000);

  it("the owner adds a partitioned table, inlined inserts, a view and a hidden schema; grants are applied as `pulumi up` does", async () => {
    owner = await openLakeSession(info);
    const c = owner.connection;
    await c.run("CALL lake.set_option('data_inlining_row_limit', 10)");
    await c.run("CREATE SCHEMA lake.sales; CREATE SCHEMA lake.hr");
    await c.run("CREATE TABLE lake.sales.events (id INTEGER, region VARCHAR, amount DOUBLE)");
    await c.run("ALTER TABLE lake.sales.events SET PARTITIONED BY (region)");
    await c.run("INSERT INTO lake.sales.events SELECT i, ['north', 'south', 'east'][i % 3 + 1], i * 1.5 FROM range(3000) t(i)");
    await c.run("CREATE TABLE lake.sales.small (id INTEGER, label VARCHAR)");
    await c.run("INSERT INTO lake.sales.small VALUES (1, 'one'), (2, 'two'), (3, 'three')");
    await c.run(
      "CREATE VIEW lake.sales.by_region AS SELECT region, count(*) AS n, sum(amount) AS total FROM lake.sales.events GROUP BY region",
    );
    await c.run("CREATE TABLE lake.hr.salaries AS SELECT i AS id, 1000 + i AS salary FROM range(2000) t(i)");
    await c.run("CREATE TABLE lake.hr.notes (id INTEGER, note VARCHAR)");
    await c.run("INSERT INTO lake.hr.notes VALUES (1, 'confidential')");
    // Inlined: no data file, rows in a ducklake_inlined_data_* table of the catalog.
    expect(await rows(c, "SELECT count(*) FROM ducklake_list_files('lake', 'small', schema => 'sales')")).toEqual([["0"]]);
    expect(Number(await scalar(c, "SELECT count(*) FROM ducklake_list_files('lake', 'events', schema => 'sales')"))).toBeGreaterThanOrEqual(
      3,
    );
    const up = await stack.up(spec(GRANTS));
    expect(up.acl).toEqual({ [R.ana]: "create", [R.ben]: "create", [R.cleo]: "create" });
    expect(up.policyApplied).toBe(true);
  }, 120_000);

  it("each reader attaches with its rendered setup, lists exactly its grants and reads them as the owner does", async () => {
    for (const name of Object.values(R)) {
      sessions[name] = await attachAsReader(name);
      await expectSameAsOwner(name, sessions[name].connection);
    }
    // The view of a schema granted whole is ben's; nobody else's.
    const views = async (c: DuckDBConnection) =>
      (await rows(c, "SELECT schema_name || '.' || view_name FROM duckdb_views() WHERE database_name = 'lake' AND NOT internal")).map(
        (r) => r[0],
      );
    expect(await views(sessions[R.ben].connection)).toEqual(["sales.by_region"]);
    expect(await views(sessions[R.ana].connection)).toEqual([]);
    expect(await rows(sessions[R.ben].connection, "SELECT * FROM lake.sales.by_region ORDER BY region")).toEqual(
      await rows(owner.connection, "SELECT * FROM lake.sales.by_region ORDER BY region"),
    );
    // `USE lake` (last line of the setup) worked: unqualified names resolve in the lake.
    expect(await scalar(sessions[R.ana].connection, "SELECT count(*) FROM tpch.nation")).toBe("25");
  }, 120_000);

  it("everything else does not exist for a reader; its files answer 403; ungranted inlined rows are permission denied", async () => {
    const ana = sessions[R.ana].connection;
    for (const t of ["lake.tpch.lineitem", "lake.hr.salaries", "lake.hr.notes", "lake.sales.events", "lake.sales.by_region"])
      await expect(ana.run(`SELECT * FROM ${t}`)).rejects.toThrow(/does not exist/);
    await expect(sessions[R.cleo].connection.run("SELECT * FROM lake.tpch.nation")).rejects.toThrow(/does not exist/);
    // By path, around the catalog: S3 refuses what is not granted, serves what is.
    await expect(ana.run(`SELECT count(*) FROM read_parquet(${quoteLiteral(await dataFile("hr", "salaries"))})`)).rejects.toThrow(/403/);
    await expect(ana.run(`SELECT count(*) FROM read_parquet(${quoteLiteral(await dataFile("tpch", "lineitem"))})`)).rejects.toThrow(/403/);
    expect(await scalar(ana, `SELECT count(*) FROM read_parquet(${quoteLiteral(await dataFile("tpch", "orders"))})`)).toBe("15000");
    // Around DuckLake: the catalog through the postgres extension, with the reader's own secret.
    const inlined = (
      await ownerPg.query(
        "SELECT s.schema_name, t.table_name, i.table_name AS inlined FROM ducklake_inlined_data_tables i " +
          "JOIN ducklake_table t ON t.table_id = i.table_id AND t.end_snapshot IS NULL JOIN ducklake_schema s ON s.schema_id = t.schema_id AND s.end_snapshot IS NULL",
      )
    ).rows;
    const inl = (s: string, t: string) => inlined.find((r) => r.schema_name === s && r.table_name === t)!.inlined as string;
    await ana.run("ATTACH '' AS cat (TYPE postgres, SECRET lake_catalog, READ_ONLY)");
    expect(await scalar(ana, `SELECT count(*) FROM cat.public.${quoteIdent(inl("sales", "small"))}`)).toBe("3");
    await expect(ana.run(`SELECT * FROM cat.public.${quoteIdent(inl("hr", "notes"))}`)).rejects.toThrow(/permission denied/);
    // The catalog rows it can read there are its own tables' only (the guard's row-level security).
    expect(await scalar(ana, "SELECT count(*) FROM cat.public.ducklake_table WHERE end_snapshot IS NULL")).toBe("3");
    await ana.run("DETACH cat");
    // Read-only: the attach refuses writes before they reach either guard.
    await expect(ana.run("INSERT INTO lake.tpch.nation SELECT * FROM lake.tpch.nation")).rejects.toThrow(/read.only/i);
  }, 120_000);

  it("snapshots(), table_info(), time travel and table_changes() work on granted tables", async () => {
    const ana = sessions[R.ana].connection;
    const ownerSnaps = await rows(owner.connection, "SELECT snapshot_id FROM lake.snapshots() ORDER BY 1");
    expect(await rows(ana, "SELECT snapshot_id FROM lake.snapshots() ORDER BY 1")).toEqual(ownerSnaps);
    expect(await scalar(ana, "SELECT * FROM lake.current_snapshot()")).toBe(ownerSnaps.at(-1)![0]);
    expect((await rows(ana, "SELECT table_name FROM lake.table_info() ORDER BY 1")).map((r) => r[0])).toEqual([
      "nation",
      "orders",
      "small",
    ]);
    const before = await scalar(owner.connection, "SELECT * FROM lake.current_snapshot()");
    await owner.connection.run("INSERT INTO lake.sales.small VALUES (4, 'four')");
    const after = await scalar(owner.connection, "SELECT * FROM lake.current_snapshot()");
    expect(await scalar(ana, "SELECT count(*) FROM lake.sales.small")).toBe("4");
    expect(await scalar(ana, `SELECT count(*) FROM lake.sales.small AT (VERSION => ${Number(before)})`)).toBe("3");
    const changes = `SELECT change_type, id, label FROM ducklake_table_changes('lake', 'sales', 'small', ${Number(before) + 1}, ${Number(after)})`;
    expect(await rows(owner.connection, changes)).toEqual([["insert", 4, "four"]]);
    expect(await rows(ana, changes)).toEqual([["insert", 4, "four"]]);
  }, 120_000);

  it("writer activity after the grants keeps every reader right: inlined inserts, ALTER TABLE, deletes, a new table, compaction, expiry and cleanup", async () => {
    const c = owner.connection;
    const steps: Array<[string, string]> = [
      ["inlined insert", "INSERT INTO lake.sales.small VALUES (5, 'five'), (6, 'six')"],
      ["ALTER TABLE (a new inlined table)", "ALTER TABLE lake.sales.small ADD COLUMN note VARCHAR"],
      ["insert after ALTER", "INSERT INTO lake.sales.small VALUES (7, 'seven', 'new column')"],
      ["deletes", "DELETE FROM lake.sales.events WHERE id % 10 = 0"],
      ["delete in an inlined table", "DELETE FROM lake.sales.small WHERE id = 2"],
      ["new table in a schema granted whole", "CREATE TABLE lake.sales.fresh AS SELECT i AS id FROM range(100) t(i)"],
      ["more files to compact", "INSERT INTO lake.sales.events SELECT i, 'north', 1 FROM range(3000, 3100) t(i)"],
      ["compaction", "CALL ducklake_merge_adjacent_files('lake')"],
      ["snapshot expiry", "CALL ducklake_expire_snapshots('lake', older_than => now())"],
      ["file cleanup", "CALL ducklake_cleanup_old_files('lake', cleanup_all => true)"],
    ];
    for (const [what, sql] of steps) {
      await c.run(sql);
      for (const name of [R.ana, R.ben]) {
        try {
          await expectSameAsOwner(name, sessions[name].connection);
        } catch (e) {
          throw new Error(`after ${what}: ${(e as Error).message}`);
        }
      }
    }
    expect(await listTables(sessions[R.ben].connection)).toContain("sales.fresh");
    expect(await listTables(sessions[R.ana].connection)).not.toContain("sales.fresh");
    // A fresh attach after all of it agrees too.
    const fresh = await attachAsReader(R.ben);
    try {
      await expectSameAsOwner(R.ben, fresh.connection);
    } finally {
      fresh.close();
    }
  }, 240_000);

  it("revoke: a new session no longer sees the tables and their files answer 403; open sessions read nothing more", async () => {
    const file = await dataFile("hr", "salaries");
    // Three open sessions that have read the tables (DuckLake caches the catalog it loaded).
    const open = [sessions[R.cleo], await attachAsReader(R.cleo), await attachAsReader(R.cleo)];
    for (const o of open) {
      expect(await listTables(o.connection)).toEqual(["hr.salaries", "tpch.supplier"]);
      expect(await scalar(o.connection, "SELECT count(*) FROM lake.tpch.supplier")).toBe("100");
    }
    expect(await scalar(open[0].connection, `SELECT count(*) FROM read_parquet(${quoteLiteral(file)})`)).toBe("2000");
    const up = await stack.up(spec(GRANTS.filter(([r]) => r !== R.cleo)));
    expect(up.acl[R.cleo]).toBe("update");
    // Files by path: refused at once.
    await expect(open[0].connection.run(`SELECT count(*) FROM read_parquet(${quoteLiteral(file)})`)).rejects.toThrow(/403/);
    // A new session: the tables do not exist.
    const fresh = await attachAsReader(R.cleo);
    try {
      expect(await listTables(fresh.connection)).toEqual([]);
      await expect(fresh.connection.run("SELECT count(*) FROM lake.hr.salaries")).rejects.toThrow(/does not exist/);
    } finally {
      fresh.close();
    }
    const attempt = async (o: DuckSession) => {
      const out: Record<string, string> = {};
      for (const t of ["hr.salaries", "tpch.supplier"]) {
        try {
          out[t] = `rows ${JSON.stringify(await rows(o.connection, `SELECT count(*), sum(hash(x)::HUGEINT) FROM lake.${t} x`))}`;
        } catch (e) {
          out[t] = (e as Error).message.split("\n")[0];
        }
      }
      return out;
    };
    // Open sessions: (0) right away, (1) after a data write, (2) after a schema change.
    const seen: Record<string, string>[] = [await attempt(open[0])];
    await owner.connection.run("INSERT INTO lake.sales.small VALUES (100, 'after revoke', NULL)");
    seen.push(await attempt(open[1]));
    await owner.connection.run("CREATE TABLE lake.sales.after_revoke (i INTEGER)");
    seen.push(await attempt(open[2]));
    // No rows in any case. Until a schema change reloads the catalog, DuckDB 1.5.5 fails hard: the cached
    // table is gone from the catalog rows it re-reads, and the error invalidates the reader's whole database.
    const crashed = {
      "hr.salaries": expect.stringMatching(/^INTERNAL Error: Table \d+ does not exist$/),
      "tpch.supplier": expect.stringMatching(/database has been invalidated because of a previous fatal error/),
    };
    expect(seen).toEqual([
      crashed,
      crashed,
      {
        "hr.salaries": expect.stringMatching(/^Catalog Error: Table with name "hr.salaries" does not exist/),
        "tpch.supplier": expect.stringMatching(/^Catalog Error: Table with name "tpch.supplier" does not exist/),
      },
    ]);
    open.slice(1).forEach((o) => o.close());
    open[0].close();
    // Granted again for the tests below; cleo starts a new session as a user would.
    await stack.up(spec(GRANTS));
    await owner.connection.run("DELETE FROM lake.sales.small WHERE id = 100; DROP TABLE lake.sales.after_revoke");
    sessions[R.cleo] = await attachAsReader(R.cleo);
    expect(await scalar(sessions[R.cleo].connection, "SELECT count(*) FROM lake.hr.salaries")).toBe("2000");
  }, 120_000);

  it("`npm run shell -- --reader` as a user types it: prompt-less stdin, a table listing, a read, a refused table", () => {
    const r = cli(
      "shell.ts",
      ["--from", connFile, "--reader", R.ana],
      ".tables\nSELECT count(*) AS n FROM tpch.nation;\nSELECT * FROM hr.salaries;\nSELECT snapshot_id FROM lake.current_snapshot() AS s(snapshot_id);\n.quit\n",
    );
    expect(r.stderr).toContain(`connected as reader ${R.ana} (read-only)`);
    expect(r.stdout).toMatch(/^lake\s+sales\s+small$/m);
    expect(r.stdout).toMatch(/^lake\s+tpch\s+nation$/m);
    expect(r.stdout).toMatch(/^lake\s+tpch\s+orders$/m);
    expect(r.stdout).not.toMatch(/lineitem|salaries/);
    expect(r.stdout).toMatch(/^n\n-+\n25\n\(1 row\)$/m);
    expect(r.stderr).toMatch(/^Error: Catalog Error: Table with name "hr.salaries" does not exist because schema "hr" does not exist/m);
    expect(r.code).toBe(1); // one failed statement on non-interactive input
  }, 120_000);

  it("`npm run shell -- --reader` in a terminal (tmux): the reader's prompt, a result, an error, .quit", async () => {
    const session = `e2e-shell-${hex}`;
    const tmux = (...args: string[]) => spawnSync("tmux", args, { encoding: "utf8" });
    const pane = () => tmux("capture-pane", "-p", "-t", session, "-S", "-200").stdout;
    // Typed literally; tmux reads a trailing `;` as its own command separator unless escaped.
    const type = (line: string) => {
      tmux("send-keys", "-t", session, "-l", line.replace(/;$/, "\\;"));
      tmux("send-keys", "-t", session, "Enter");
    };
    const waitFor = async (re: RegExp) => {
      for (let i = 0; i < 240 && !re.test(pane()); i++) await new Promise((r) => setTimeout(r, 250));
      expect(pane()).toMatch(re);
    };
    const cmd = `cd ${quoteLiteral(repoRoot)} && DUCKLAKE_CONNECTION= node_modules/.bin/ts-node --transpile-only cli/shell.ts --from ${quoteLiteral(connFile)} --reader ${R.ana}; echo "shell exited $?"; sleep 30`;
    expect(tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "50", cmd).status).toBe(0);
    try {
      await waitFor(new RegExp(`lake\\(${R.ana}\\)>\\s*$`, "m"));
      type("SELECT count(*) AS n FROM tpch.nation;");
      await waitFor(/> SELECT count\(\*\) AS n FROM tpch\.nation;\nn\n--\n25\n\(1 row\)\nlake\(/);
      type("SELECT * FROM hr.salaries;");
      await waitFor(/^Error: Catalog Error: Table with name "hr.salaries" does not exist/m);
      type(".quit");
      // Interactive: a failed statement does not make the exit code non-zero.
      await waitFor(/^shell exited 0$/m);
    } finally {
      tmux("kill-session", "-t", session);
    }
  }, 120_000);

  it("verify: the DuckDB probe attaches as each reader, lists exactly its grants and reads one", async () => {
    const report = await verifyLake(info, { duckdb: true, probeWrites: false });
    const duck = report.rows.filter((x) => x.object === "(duckdb attach, list, read)");
    expect(duck.map((x) => [x.reader, x.ok])).toEqual(Object.values(R).map((n) => [n, true]));
    expect(duck.find((x) => x.reader === R.ben)).toMatchObject({
      catalog: "3 tables listed",
      s3: expect.stringMatching(/^read sales\.\w+ \(1 row\)$/),
    });
    expect(report.problems).toEqual([]);
    // And it catches a reader that DuckDB cannot use: a wrong password in the connection info.
    const broken = { ...info, readers: info.readers.map((r) => (r.name === R.ana ? { ...r, password: "wrong" } : r)) };
    const bad = await verifyLake(broken, { duckdb: true, probeWrites: false, readers: [R.ana] });
    expect(bad.problems).toContainEqual(
      expect.stringMatching(new RegExp(`^${R.ana}: DuckDB cannot attach the lake as this reader: .*password authentication failed`)),
    );
  }, 180_000);
});
