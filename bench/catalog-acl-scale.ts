// Cost of the catalog ACL in a Pulumi program under mocks (no engine): ReaderAcl resources (one per reader,
// carrying all of that reader's grants) — registration time, memory, and the size of the serialized provider
// Pulumi stores in each one's state — against the same number of plain CustomResources carrying the same
// inputs, so the figures print as ratios measured in this run.
//   npx ts-node --transpile-only bench/catalog-acl-scale.ts [readers] [grantsPerReader]   (default 200 100)
//   ACL_SCALE_JSON=1 prints one JSON line (used by test/unit/catalogGuard.resources.test.ts)
import * as pulumi from "@pulumi/pulumi";
import type { CatalogConnection } from "../model/connection";

const registered: Array<{ type: string; name: string; inputs: Record<string, unknown> }> = [];
pulumi.runtime.setMocks(
  {
    newResource: (args) => {
      registered.push({ type: args.type, name: args.name, inputs: args.inputs });
      return { id: `${args.name}-id`, state: args.inputs };
    },
    call: (args) => args.inputs,
  },
  "bench",
  "bench",
  false,
);

const connection: CatalogConnection = {
  host: "10.0.0.2",
  port: 5432,
  database: "lake",
  user: "lake_owner",
  password: "s3cret",
  sslmode: "disable",
};
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
  constructor(name: string, props: Record<string, unknown>) {
    super("bench:index:Plain", name, props);
  }
}

/** Reader i's grants: one schema grant, the rest single tables, given in reverse order (the resource sorts them). */
function grantsOf(i: number, perReader: number): Array<{ schema: string; table: string | null }> {
  const out: Array<{ schema: string; table: string | null }> = [{ schema: `schema_${i % 100}`, table: null }];
  for (let t = 1; t < perReader; t++) out.push({ schema: `schema_${(i + t) % 100}`, table: `table_${t}` });
  return out.reverse();
}

async function main(): Promise<void> {
  const { ReaderAcl } = await import("../providers/readerAcl");
  const { CatalogGuard } = await import("../providers/catalogGuard");
  const [readers = 200, perReader = 100] = process.argv
    .slice(2)
    .map(Number)
    .filter((x) => x > 0);
  const base = await measure(
    readers,
    (i) => new Plain(`p-${i}`, { connection: pulumi.secret(connection), reader: `r${i}`, grants: grantsOf(i, perReader) }).urn,
  );
  registered.length = 0;
  const guard = new CatalogGuard("guard", { connection, catalogSchema: "lake" });
  const acls: InstanceType<typeof ReaderAcl>[] = [];
  const acl = await measure(readers, (i) => {
    const a = new ReaderAcl(`acl-${i}`, { connection, reader: `r${i}`, grants: grantsOf(i, perReader) }, { dependsOn: guard });
    acls.push(a);
    return a.urn;
  });
  const entries = registered.filter((r) => r.type === "pulumi-nodejs:dynamic/ducklake:ReaderAcl");
  const providers = new Set(entries.map((e) => e.inputs.__provider as string));
  const first = entries.find((e) => e.name === "acl-0")!;
  const result = {
    readers,
    perReader,
    secrets: { aclConnection: await pulumi.isSecret(acls[0].connection), guardConnection: await pulumi.isSecret(guard.connection) },
    plainMs: Math.round(base.ms),
    aclMs: Math.round(acl.ms),
    ratio: +(acl.ms / base.ms).toFixed(2),
    msPerReader: +(acl.ms / readers).toFixed(3),
    rssMB: Math.round(acl.rssMB),
    plainRssMB: Math.round(base.rssMB),
    entries: entries.length,
    distinctProviderTexts: providers.size,
    providerBytes: [...providers][0]?.length ?? 0,
    firstGrants: first.inputs.grants,
    guardType: registered.find((r) => r.type.endsWith("CatalogGuard"))?.type,
    migrations: (registered.find((r) => r.type.endsWith("CatalogGuard"))?.inputs.migrations as Array<{ name: string }> | undefined)?.map(
      (m) => m.name,
    ),
  };
  if (process.env.ACL_SCALE_JSON === "1") console.log(JSON.stringify(result));
  else
    console.log(
      `ReaderAcl × ${readers} readers × ${perReader} grants: ${result.aclMs} ms (${result.msPerReader} ms per reader), ` +
        `${result.ratio}× plain CustomResources with the same inputs (${result.plainMs} ms); +${result.rssMB} MB RSS (plain +${result.plainRssMB} MB); ` +
        `${result.distinctProviderTexts} serialized provider text of ${result.providerBytes} bytes, stored once per reader`,
    );
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
