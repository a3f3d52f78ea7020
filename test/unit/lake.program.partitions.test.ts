// The whole program (index.ts) under Pulumi mocks with a partition grant in access.ts: it reads the granted
// table's partition spec from the catalog as its owner, hands the filter to the reader's ACL and the layout
// read (storage), and exports it in lakeConnection and the access matrix.
import type * as PulumiModule from "@pulumi/pulumi";
import { mockResourceState } from "../support/programMocks";
import { LOCAL_CONFIG } from "../support/sampleConfig";

interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, any>;
}

process.env.DUCKLAKE_CA_DIR = require("fs").mkdtempSync(require("path").join(require("os").tmpdir(), "ducklake-ca-"));
afterAll(() => require("fs").rmSync(process.env.DUCKLAKE_CA_DIR!, { recursive: true, force: true }));

const layoutRequests: any[] = [];
jest.mock("../../postgres/lakeLayoutSource", () => {
  const { emptyLayout, indexLayout } = jest.requireActual("../../model/lakePaths");
  return {
    catalogLayoutOrDefault: async (conn: any, opts: any) => {
      layoutRequests.push({ user: conn.user, partitionTables: opts.partitionTables });
      return { layout: indexLayout(emptyLayout(opts.dataPath)), source: "default layout (test)" };
    },
  };
});
// What the catalog answers: hr.salaries PARTITIONED BY (year(ts)).
const specRequests: any[] = [];
const salariesKeys = [{ index: 0, columnId: 2, column: "ts", type: "timestamp", transform: "year" }];
jest.mock("../../postgres/partitionSpec", () => ({
  partitionSpecsOrUnavailable: async (conn: any, opts: any) => {
    specRequests.push({ user: conn.user, catalogSchema: opts.catalogSchema, tables: opts.tables });
    return { tables: [{ tableId: 1, schema: "hr", table: "salaries", keys: salariesKeys }] };
  },
}));
jest.mock("../../access", () => ({
  access: {
    readers: [
      { name: "analyst", principal: { projectId: "2002", accessKey: "P2002ANALYST00000001" } },
      { name: "hr_partner", principal: { projectId: "2002", accessKey: "P2002HRPARTNER000003" } },
    ],
    grants: [
      { reader: "analyst", schema: "sales" },
      { reader: "hr_partner", schema: "hr", table: "salaries", rows: { "year(ts)": [2026, 2025] } },
    ],
  },
}));

const localConfig = LOCAL_CONFIG;
const secrets = ["ducklake:s3AccessKey", "ducklake:s3SecretKey", "ducklake:localPgPassword"];

async function loadProgram(): Promise<{ program: Record<string, any>; resources: Recorded[] }> {
  const resources: Recorded[] = [];
  let program: Record<string, any> = {};
  jest.isolateModules(() => {
    const pulumi: typeof PulumiModule = require("@pulumi/pulumi");
    pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          resources.push({ type: args.type, name: args.name, inputs: args.inputs });
          return { id: `${args.name}-id`, state: mockResourceState(args.type, args.name, args.inputs, { serverIp: "198.51.100.10" }) };
        },
        call: (args) => args.inputs,
      },
      "ducklake",
      "local",
      false,
    );
    pulumi.runtime.setAllConfig(localConfig, secrets);
    program = require("../../index");
  });
  await new Promise((r) => setTimeout(r, 300));
  return { program, resources };
}
const value = <T>(o: any): Promise<T> => new Promise((resolve) => o.apply(resolve));

describe("program with a partition grant", () => {
  it("reads the spec as the catalog owner, passes the filter to the ACL and the layout read, exports it for the CLIs", async () => {
    const { program, resources } = await loadProgram();
    expect(specRequests).toEqual([{ user: "ducklake_owner", catalogSchema: "public", tables: [{ schema: "hr", table: "salaries" }] }]);
    expect(layoutRequests).toContainEqual({ user: "ducklake_owner", partitionTables: [{ schema: "hr", table: "salaries" }] });
    const names = resources.map((r) => `${r.type} ${r.name}`);
    expect(names).toContain("ducklake:access:Grant access-grant-hr_partner/hr/salaries/year(ts)=2025,2026");
    const acl = resources.find((r) => r.name === "access-acl-hr_partner")!;
    expect(acl.inputs.grants).toEqual([
      { schema: "hr", table: "salaries", rows: [{ column: "ts", transform: "year", values: ["2025", "2026"] }] },
    ]);
    const conn = await value<any>(program.lakeConnection);
    expect(conn.readers.find((r: any) => r.name === "hr_partner").grants).toEqual([
      { schema: "hr", table: "salaries", rows: [{ key: "year(ts)", column: "ts", transform: "year", values: ["2025", "2026"] }] },
    ]);
    expect((await value<any>(program.accessMatrix)).hr_partner.partitions).toEqual([
      { schema: "hr", table: "salaries", rows: "year(ts) in (2025, 2026)" },
    ]);
  });
  // A refused grant withholds every ACL and the policy: shown in its own process by access.partitions.test.ts
  // (jest turns the rejections Pulumi raises for the withheld resources into failures).
});
