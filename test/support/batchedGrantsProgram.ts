// A program whose engine refuses one Grant, run in its own node process by test/unit/access.test.ts: jest
// turns the rejections Pulumi raises for a refused resource into test failures, a real program gets them too.
// Prints one JSON line: what `grants` rejected with, which Grants reached the engine, whether Pulumi's
// disconnect (what ends a real program) returned, i.e. that the batching keep-alive was released.
// With `--accept-all` nothing is refused and disconnect is called right after the constructor, as Pulumi
// does when a program's body returns: every Grant must have reached the engine by the time it returns.
import * as pulumi from "@pulumi/pulumi";

const REFUSED = process.argv.includes("--accept-all") ? undefined : "lake-access-grant-finance/wide/t_12";
const grantsSeen: string[] = [];
process.on("unhandledRejection", () => {
  /* Pulumi's own rejections for the refused resource; expected here. */
});
pulumi.runtime.setMocks(
  {
    newResource: async (a) => {
      if (a.type === "ducklake:access:Grant") {
        grantsSeen.push(a.name);
        if (a.name === REFUSED) throw new Error(`engine refused ${a.name}`);
        await new Promise((r) => setTimeout(r, 2));
      }
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
  const key = (n: number) => `P2002${String(n).padStart(15, "0")}`;
  const grants: { reader: string; schema: string; table?: string }[] = [];
  for (let t = 0; t < 26; t++) grants.push({ reader: t % 2 ? "analyst" : "finance", schema: "wide", table: `t_${t}` });
  const la = new LakeAccess("lake-access", {
    access: {
      readers: [
        { name: "analyst", principal: { projectId: "2002", accessKey: key(1) } },
        { name: "finance", principal: { projectId: "2002", accessKey: key(2) } },
      ],
      grants,
    },
    ownerProjectId: "1001",
    dataPrefix: "data/",
    guard: new Guard("guard"),
    connection: { host: "db", port: 5432, database: "lake", user: "owner", password: "pw", sslmode: "verify-full" },
    postgresqlProvider: new postgresql.Provider("pg", {}),
    awsProvider: new aws.Provider("s3", { region: "us-east-1" }),
    bucket: "lake",
    layout: emptyLayout("s3://lake/data/"),
    s3Endpoint: "https://s3.example",
    s3Region: "fsn1",
    readerSecretKeys: {},
    grantBatch: 2,
  });
  if (!REFUSED) {
    await pulumi.runtime.disconnect();
    process.stdout.write(JSON.stringify({ grantsSeenAtDisconnect: grantsSeen.length, registered: (await la.grants).size }) + "\n");
    process.exit(0);
  }
  let rejected = "";
  try {
    await la.grants;
  } catch (e) {
    rejected = (e as Error).message;
  }
  const disconnected = await Promise.race([
    pulumi.runtime.disconnect().then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), 5000)),
  ]);
  process.stdout.write(JSON.stringify({ rejected, grantsSeen, disconnected }) + "\n");
  process.exit(0);
}
void main();
