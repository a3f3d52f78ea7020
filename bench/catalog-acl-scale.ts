// Cost of AclEntry resources in a Pulumi program under mocks (no engine): registration time, memory, and
// the size of the serialized provider stored with each entry. Also a baseline of the same number of plain
// CustomResources, so the figures print as ratios measured in this run.
//   npx ts-node --transpile-only bench/catalog-acl-scale.ts [N ...]     (default 1000 5000)
//   ACL_SCALE_JSON=1 prints one JSON line per N (used by test/unit/catalogGuard.resources.test.ts)
import * as pulumi from "@pulumi/pulumi";
import type { CatalogConnection } from "../model/connection";

const registered: Array<{ type: string; name: string; inputs: Record<string, unknown> }> = [];
pulumi.runtime.setMocks({
  newResource: (args) => { registered.push({ type: args.type, name: args.name, inputs: args.inputs }); return { id: `${args.name}-id`, state: args.inputs }; },
  call: (args) => args.inputs,
}, "bench", "bench", false);

const connection: CatalogConnection = { host: "10.0.0.2", port: 5432, database: "lake", user: "lake_owner", password: "s3cret", sslmode: "disable" };
const settle = (outs: pulumi.Output<unknown>[]) => Promise.all(outs.map((o) => new Promise((r) => o.apply(r))));

async function measure(n: number, make: (i: number) => pulumi.Output<unknown>): Promise<{ ms: number; rssMB: number }> {
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  const t0 = process.hrtime.bigint();
  const outs: pulumi.Output<unknown>[] = [];
  for (let i = 0; i < n; i++) outs.push(make(i));
  await settle(outs);
  await new Promise((r) => setTimeout(r, 50));
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, rssMB: (process.memoryUsage().rss - rss0) / 2 ** 20 };
}

class Plain extends pulumi.CustomResource {
  constructor(name: string, props: Record<string, unknown>) { super("bench:index:Plain", name, props); }
}

async function main(): Promise<void> {
  const { AclEntry } = await import("../providers/aclEntry");
  const { CatalogGuard } = await import("../providers/catalogGuard");
  const sizes = process.argv.slice(2).map(Number).filter((x) => x > 0);
  for (const n of sizes.length ? sizes : [1000, 5000]) {
    registered.length = 0;
    const base = await measure(n, (i) => new Plain(`p${n}-${i}`, { connection: pulumi.secret(connection), reader: `r${i % 50}`, schema: "s", table: `t${i}` }).urn);
    registered.length = 0;
    const guard = new CatalogGuard(`guard-${n}`, { connection, catalogSchema: "lake" });
    const acl = await measure(n, (i) => new AclEntry(`e${n}-${i}`, { connection, reader: `r${i % 50}`, schema: "s", table: i % 10 ? `t${i}` : null }, { dependsOn: guard }).status);
    const entries = registered.filter((r) => r.type === "pulumi-nodejs:dynamic/ducklake:AclEntry");
    const providers = new Set(entries.map((e) => e.inputs.__provider as string));
    const probe = new AclEntry(`probe-${n}`, { connection, reader: "probe", schema: "s" });
    const secrets = { aclConnection: await pulumi.isSecret(probe.connection), guardConnection: await pulumi.isSecret(guard.connection) };
    const probeTable = await new Promise((r) => probe.table.apply(r));
    const result = {
      secrets, probeTable,
      n, plainMs: Math.round(base.ms), aclMs: Math.round(acl.ms), ratio: +(acl.ms / base.ms).toFixed(2),
      msPerEntry: +(acl.ms / n).toFixed(3), rssMB: Math.round(acl.rssMB), plainRssMB: Math.round(base.rssMB),
      entries: entries.length, distinctProviderTexts: providers.size, providerBytes: [...providers][0]?.length ?? 0,
      guardType: registered.find((r) => r.type.endsWith("CatalogGuard"))?.type,
      tableNullEntries: entries.filter((e) => e.inputs.table === null && String(e.name).startsWith("e")).length,
      migrations: (registered.find((r) => r.type.endsWith("CatalogGuard"))?.inputs.migrations as Array<{ name: string }> | undefined)?.map((m) => m.name),
    };
    if (process.env.ACL_SCALE_JSON === "1") console.log(JSON.stringify(result));
    else console.log(`AclEntry × ${n}: ${result.aclMs} ms (${result.msPerEntry} ms each), ${result.ratio}× a plain CustomResource (${result.plainMs} ms); ` +
      `+${result.rssMB} MB RSS (plain +${result.plainRssMB} MB); ${result.distinctProviderTexts} serialized provider text of ${result.providerBytes} bytes shared by all`);
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
