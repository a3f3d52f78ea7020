// A program with partition grants whose specs (read at preview, an Output) refuse them, run in its own node
// process by test/unit/access.partitions.test.ts: jest turns the rejections Pulumi raises for resources
// whose inputs failed into test failures, a real program gets them too (and the preview fails).
// Prints one JSON line: the types of resources that reached the engine, and the errors Pulumi raised.
import * as pulumi from "@pulumi/pulumi";
import { newLakeAccess, setProgramMocks } from "./lakeAccessProgram";

const registered: string[] = [];
const errors: string[] = [];
process.on("unhandledRejection", (e) => {
  errors.push(String((e as Error)?.message ?? e));
});
setProgramMocks((a) => {
  registered.push(a.type);
});

async function main(): Promise<void> {
  const la = await newLakeAccess({
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
    partitionSpecs: pulumi.output({ tables: [{ tableId: 1, schema: "hr", table: "salaries", keys: [] }] }),
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
