// A program whose engine refuses one Grant, run in its own node process by test/unit/access.test.ts: jest
// turns the rejections Pulumi raises for a refused resource into test failures, a real program gets them too.
// Prints one JSON line: what `grants` rejected with, which Grants reached the engine, whether Pulumi's
// disconnect (what ends a real program) returned, i.e. that the batching keep-alive was released.
// With `--accept-all` nothing is refused and disconnect is called right after the constructor, as Pulumi
// does when a program's body returns: every Grant must have reached the engine by the time it returns.
import * as pulumi from "@pulumi/pulumi";
import { newLakeAccess, setProgramMocks } from "./lakeAccessProgram";

const REFUSED = process.argv.includes("--accept-all") ? undefined : "lake-access-grant-finance/wide/t_12";
const grantsSeen: string[] = [];
process.on("unhandledRejection", () => {
  /* Pulumi's own rejections for the refused resource; expected here. */
});
setProgramMocks(async (a) => {
  if (a.type === "ducklake:access:Grant") {
    grantsSeen.push(a.name);
    if (a.name === REFUSED) throw new Error(`engine refused ${a.name}`);
    await new Promise((r) => setTimeout(r, 2));
  }
});

async function main(): Promise<void> {
  const key = (n: number) => `P2002${String(n).padStart(15, "0")}`;
  const grants: { reader: string; schema: string; table?: string }[] = [];
  for (let t = 0; t < 26; t++) grants.push({ reader: t % 2 ? "analyst" : "finance", schema: "wide", table: `t_${t}` });
  const la = await newLakeAccess({
    access: {
      readers: [
        { name: "analyst", principal: { projectId: "2002", accessKey: key(1) } },
        { name: "finance", principal: { projectId: "2002", accessKey: key(2) } },
      ],
      grants,
    },
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
