// Program evaluation under Pulumi mocks, 200 readers, 1k → 20k grants, each size and design in its own child
// process with plain node and its default heap (as Pulumi's language host runs a program):
//   lean            LakeAccess as shipped: per reader a LakeReader (role + password) and one ReaderAcl holding
//                   all its grants; per grant one empty `ducklake:access:Grant` component, registered at most
//                   1,000 at a time (grantBatch); one bucket policy.
//   lean-unbatched  the same with every Grant registration in flight at once (the design before batching).
//   obvious         a component per grant with its own ACL entry (a dynamic resource of the same provider) as child.
//   lean-partitions lean with every grant a partition grant (`rows: { "year(ts)": [2025, 2026] }`) and the tables'
//                   specs passed as a plain value (the preview check runs; added by --partitions).
//   npx ts-node --transpile-only bench/program-scale.ts [--batch-sizes 250,4000] [--partitions] [--only lean,lean-partitions] [sizes...]   default 1000 5000 20000
// Children run the tsc-compiled program: under ts-node, source-map-support makes every stack trace Pulumi
// captures several times dearer, for all designs alike.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

// `lean-batch-<n>`: lean with `grantBatch: n` (added by --batch-sizes).
type Design = "lean" | "lean-unbatched" | "obvious" | "lean-partitions" | `lean-batch-${number}`;
const DESIGNS: Design[] = ["lean", "lean-unbatched", "obvious"];

async function child(design: Design, n: number): Promise<void> {
  const pulumi = await import("@pulumi/pulumi");
  pulumi.runtime.setMocks({ newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs }, "lake", "bench", true);
  const postgresql = await import("@pulumi/postgresql");
  const aws = await import("@pulumi/aws");
  const { LakeAccess } = await import("../components/lakeAccess");
  const { readerAclProvider } = await import("../providers/readerAcl");
  const { validateAccess } = await import("../model/grants");
  const { emptyLayout } = await import("../model/lakePaths");
  const readers = 200,
    perReader = Math.ceil(n / readers);
  const access = { readers: [] as any[], grants: [] as any[] };
  for (let r = 0; r < readers; r++) {
    access.readers.push({ name: `reader_${r}`, principal: { projectId: "2002", accessKey: `P2002${String(r).padStart(15, "0")}` } });
    // Schema-level grants for most, so the bucket policy stays under 1 MB at 20k (tables in 100 schemas).
    for (let g = 0; g < perReader && access.grants.length < n; g++)
      access.grants.push({
        reader: `reader_${r}`,
        schema: `schema_${(r + g) % 100}`,
        table: `t_${g}`,
        ...(design === "lean-partitions" ? { rows: { "year(ts)": [2025, 2026] } } : {}),
      });
  }
  const partitionSpecs =
    design === "lean-partitions"
      ? {
          tables: [...new Set(access.grants.map((g) => `${g.schema}\u0000${g.table}`))].map((k, i) => {
            const [schema, table] = k.split("\u0000");
            return { tableId: i, schema, table, keys: [{ index: 0, columnId: 1, column: "ts", type: "timestamp", transform: "year" }] };
          }),
        }
      : undefined;
  const connection = pulumi.secret({
    host: "db",
    port: 5432,
    database: "lake",
    user: "owner",
    password: "pw",
    sslmode: "verify-full" as const,
  });
  const t0 = process.hrtime.bigint();
  const outputs: any[] = [];
  if (design !== "obvious") {
    class Guard extends pulumi.CustomResource {
      constructor(name: string) {
        super("ducklake:catalog:Guard", name, {});
      }
    }
    const la = new LakeAccess("lake-access", {
      access,
      ownerProjectId: "1001",
      dataPrefix: "data/",
      connection,
      guard: new Guard("guard"),
      postgresqlProvider: new postgresql.Provider("pg", {}),
      awsProvider: new aws.Provider("s3", { region: "us-east-1" }),
      bucket: "lake",
      layout: { ...emptyLayout("s3://lake/data/") },
      partitionSpecs,
      s3Endpoint: "https://fsn1.your-objectstorage.com",
      s3Region: "fsn1",
      readerSecretKeys: pulumi.secret(Object.fromEntries(access.readers.map((r) => [r.name, "secret"]))),
      grantBatch:
        design === "lean-unbatched"
          ? Number.MAX_SAFE_INTEGER
          : design.startsWith("lean-batch-")
            ? Number(design.slice("lean-batch-".length))
            : undefined,
    });
    outputs.push(la.policyBytes);
    const grants = await la.grants;
    if (grants.size !== n) throw new Error(`registered ${grants.size} grants, expected ${n}`);
  } else {
    // The obvious design: each grant a ComponentResource with its own ACL entry (a dynamic resource of the
    // same provider, holding that one grant) as a child.
    class AclEntry extends pulumi.dynamic.Resource {
      constructor(name: string, props: Record<string, unknown>, opts: import("@pulumi/pulumi").CustomResourceOptions) {
        super(readerAclProvider, name, props, opts, "ducklake", "AclEntry");
      }
    }
    class GrantComponent extends pulumi.ComponentResource {
      constructor(name: string, g: { reader: string; schema: string; table: string | null }) {
        super("ducklake:access:Grant", name, {}, {});
        const entry = new AclEntry(
          `${name}-acl`,
          { connection, reader: g.reader, grants: [{ schema: g.schema, table: g.table }] },
          { parent: this },
        );
        this.registerOutputs({ id: entry.id });
      }
    }
    for (const g of validateAccess(access, { ownerProjectId: "1001" }).grants) outputs.push(new GrantComponent(`grant-${g.key}`, g).urn);
  }
  await new Promise<void>((resolve) => pulumi.all(outputs).apply(() => resolve()));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  process.stdout.write(JSON.stringify({ design, n, ms: Math.round(ms), peakMB: Math.round(process.resourceUsage().maxRSS / 1024) }) + "\n");
  process.exit(0);
}

function main(): void {
  const args = process.argv.slice(2);
  const bs = args.indexOf("--batch-sizes");
  if (bs >= 0) {
    for (const b of args[bs + 1].split(",").map(Number)) DESIGNS.push(`lean-batch-${b}`);
    args.splice(bs, 2);
  }
  const only = args.indexOf("--only");
  if (only >= 0) {
    const keep = args[only + 1].split(",");
    DESIGNS.splice(0, DESIGNS.length, ...DESIGNS.filter((d) => keep.includes(d)));
    if (keep.includes("lean-partitions")) DESIGNS.push("lean-partitions");
    args.splice(only, 2);
  }
  const pt = args.indexOf("--partitions");
  if (pt >= 0) {
    DESIGNS.push("lean-partitions");
    args.splice(pt, 1);
  }
  const sizes = args.map(Number).filter((x) => x > 0);
  const rows: { design: Design; n: number; ms: number; peakMB: number }[] = [];
  const root = path.resolve(__dirname, "..");
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "program-scale-"));
  execFileSync(
    process.execPath,
    [require.resolve("typescript/bin/tsc"), "-p", path.join(root, "tsconfig.json"), "--outDir", out, "--noEmit", "false"],
    { cwd: root, stdio: "inherit" },
  );
  const compiled = path.join(out, "bench", "program-scale.js");
  for (const n of sizes.length ? sizes : [1000, 5000, 20000])
    for (const design of DESIGNS) {
      try {
        let text: string;
        try {
          text = execFileSync(process.execPath, [compiled, "--child", design, String(n)], {
            cwd: root,
            encoding: "utf8",
            stdio: ["ignore", "pipe", "ignore"],
            timeout: 600000,
            env: { ...process.env, NODE_PATH: path.join(root, "node_modules") },
          });
        } catch (e) {
          // Pulumi's promise-leak notice at exit sets a non-zero code; the measurement line is still valid.
          text = String((e as { stdout?: string }).stdout ?? "");
        }
        const line = text
          .trim()
          .split("\n")
          .find((l) => l.startsWith("{"));
        if (!line) throw new Error("no measurement printed");
        rows.push(JSON.parse(line));
      } catch (e) {
        console.error(`${design} × ${n} failed: ${(e as Error).message.split("\n")[0]}`);
      }
      const r = rows[rows.length - 1];
      if (r && r.design === design && r.n === n)
        console.log(
          `${design.padEnd(9)} ${String(n).padStart(6)} grants: ${(r.ms / 1000).toFixed(1)} s, peak ${r.peakMB} MB RSS (${(r.ms / n).toFixed(2)} ms/grant)`,
        );
    }
  const perGrant = (d: Design) => rows.filter((r) => r.design === d).sort((a, b) => a.n - b.n);
  for (const d of DESIGNS) {
    const rs = perGrant(d);
    // Marginal cost between consecutive sizes (the fixed part — readers, policy, module loading — cancels out).
    const steps = rs
      .slice(1)
      .map(
        (r, i) =>
          `${rs[i].n}→${r.n}: ${((r.ms - rs[i].ms) / (r.n - rs[i].n)).toFixed(2)} ms, ` +
          `${Math.round(((r.peakMB - rs[i].peakMB) * 1024) / (r.n - rs[i].n))} KB`,
      );
    if (steps.length) console.log(`${d} per added grant: ${steps.join("; ")}`);
  }
  for (const n of [...new Set(rows.map((r) => r.n))]) {
    const obvious = rows.find((r) => r.n === n && r.design === "obvious");
    for (const d of DESIGNS.filter((x) => x !== "obvious")) {
      const lean = rows.find((r) => r.n === n && r.design === d);
      if (lean && obvious)
        console.log(
          `${n} grants: ${d} is ${(obvious.ms / lean.ms).toFixed(2)}× as fast and needs ${(lean.peakMB / obvious.peakMB).toFixed(2)}× the peak memory of the obvious design`,
        );
    }
  }
}

if (process.argv[2] === "--child") void child(process.argv[3] as Design, Number(process.argv[4]));
else main();
