// A program with partition grants whose specs (read at preview, an Output) refuse them, run in its own node
// process by test/unit/access.partitions.test.ts: jest turns the rejections Pulumi raises for resources
// whose inputs failed into test failures, a real program gets them too (and the preview fails).
// Prints one JSON line: the types of resources that reached the engine, and the errors Pulumi raised.
import * as pulumi from "@pulumi/pulumi";

const registered: string[] = [];
const errors: string[] = [];
process.on("unhandledRejection", (e) => {
  errors.push(String((e as Error)?.message ?? e));
});
pulumi.runtime.setMocks(
  {
    newResource: async (a) => {
      registered.push(a.type);
      return { id: `${a.name}-id`, state: a.inputs };
    },
    call: (a) => a.inputs,
  },
  "lake",
  "test",
  true,
);

async function main(): Promise<void> {
  const aws = await import("@pulumi/aws");
  const postgresql = await import("@pulumi/postgresql");
  const { LakeAccess } = await import("../../components/lakeAccess");
  const { emptyLayout } = await import("../../model/lakePaths");
  class Guard extends pulumi.CustomResource {
    constructor(n: string) {
      super("ducklake:catalog:Guard", n, {});
    }
  }
  const la = new LakeAccess("lake-access", {
    access: {
      readers: [
        { name: "analyst", principal: { projectId: "2002", accessKey: "P2002000000000000001" } },
        { name: "hr_partner", principal: { projectId: "2002", accessKey: "P2002000000000000002" } },
      ],
      grants: [
        { reader: "analyst", schema: "sales" },
        { reader: "hr_partner", schema: "hr", table: "salaries", rows: { "year(ts)": [2026] } },
      ],
    },
    ownerProjectId: "1001",
    dataPrefix: "data/",
    guard: new Guard("guard"),
    connection: { host: "db", port: 5432, database: "lake", user: "owner", password: "pw", sslmode: "verify-full" },
    postgresqlProvider: new postgresql.Provider("pg", {}),
    awsProvider: new aws.Provider("s3", { region: "us-east-1" }),
    bucket: "lake",
    layout: emptyLayout("s3://lake/data/"),
    partitionSpecs: pulumi.output({ tables: [{ tableId: 1, schema: "hr", table: "salaries", keys: [] }] }),
    s3Endpoint: "https://s3.example",
    s3Region: "fsn1",
    readerSecretKeys: {},
  });
  await la.grants;
  await new Promise((r) => setTimeout(r, 1500));
  process.stdout.write(JSON.stringify({ registered: [...new Set(registered)].sort(), errors: [...new Set(errors)] }) + "\n");
  process.exit(0);
}
main().catch((e) => {
  process.stdout.write(JSON.stringify({ failed: String(e) }) + "\n");
  process.exit(1);
});
