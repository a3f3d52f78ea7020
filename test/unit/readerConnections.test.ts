// Reader connection limits: the server's connection budget, the rendered settings, the config key, the
// access-list field, and what LakeAccess registers and warns under Pulumi mocks.
import * as pulumi from "@pulumi/pulumi";

interface Created {
  type: string;
  name: string;
  inputs: Record<string, any>;
}
let created: Created[] = [];
pulumi.runtime.setMocks(
  {
    newResource: async (a) => {
      const { __provider, ...inputs } = a.inputs;
      if (!a.type.startsWith("pulumi:providers:")) created.push({ type: a.type, name: a.name, inputs });
      const state: Record<string, unknown> = { ...a.inputs };
      if (a.type === "random:index/randomPassword:RandomPassword") state.result = "pw";
      return { id: `${a.name}-id`, state };
    },
    call: (a) => a.inputs,
  },
  "lake",
  "test",
  true,
);

import * as aws from "@pulumi/aws";
import * as postgresql from "@pulumi/postgresql";
import { LakeAccess, LakeAccessArgs } from "../../components/lakeAccess";
import { LakeReader } from "../../components/reader";
import { AccessSpec } from "../../model/accessSpec";
import { checkAccess } from "../../model/grants";
import { emptyLayout } from "../../model/lakePaths";
import { renderPostgresqlConf } from "../../model/cloudInit";
import { ConfigError, validateConfig } from "../../model/config";
import { SERVER_TYPES } from "../../model/cost";
import {
  BACKEND_BUDGET_MB,
  BACKEND_PRIVATE_MB,
  connectionBudget,
  connectionLimitProblem,
  DEFAULT_READER_CONNECTION_LIMIT,
  maxConnectionsFor,
  OWNER_WRITER_RESERVED_CONNECTIONS,
  SUPERUSER_RESERVED_CONNECTIONS,
} from "../../model/connectionBudget";
import { HETZNER_CONFIG } from "../support/sampleConfig";

const key = (n: number) => `P2002${String(n).padStart(15, "0")}`;
const readers = (n: number, over: Record<string, number> = {}): AccessSpec["readers"] =>
  Array.from({ length: n }, (_, i) => {
    const name = `r${String(i + 1).padStart(3, "0")}`;
    return {
      name,
      principal: { projectId: "2002", accessKey: key(i + 1) },
      ...(over[name] !== undefined ? { connectionLimit: over[name] } : {}),
    };
  });

describe("connection budget", () => {
  it("sizes max_connections from memory: half the RAM less maintenance_work_mem, 4 MB per backend", () => {
    expect(BACKEND_BUDGET_MB).toBeGreaterThanOrEqual(BACKEND_PRIVATE_MB);
    expect(maxConnectionsFor(SERVER_TYPES.cx23.ramGb)).toBe(448); // (2048 - 256) / 4
    expect(maxConnectionsFor(SERVER_TYPES.cx33.ramGb)).toBe(960); // (4096 - 256) / 4
    expect(maxConnectionsFor(0.5)).toBe(100); // floor: never below PostgreSQL's default
    expect(maxConnectionsFor(64)).toBe(2000); // cap
    expect(() => maxConnectionsFor(0)).toThrow(/must be positive/);
    // Backends fit in the memory the formula gives them on every server type
    for (const t of Object.values(SERVER_TYPES)) expect(maxConnectionsFor(t.ramGb) * BACKEND_PRIVATE_MB).toBeLessThan((t.ramGb * 1024) / 2);
  });

  it("200 readers at 2 connections fit a cx23 with both reserves; at the default 4 the preview warns with the fix", () => {
    const fits = connectionBudget({
      ramGb: 4,
      serverType: "cx23",
      postgresVersion: 15,
      readers: readers(200).map((r) => ({ name: r.name, connectionLimit: 2 })),
    });
    expect(fits).toMatchObject({
      maxConnections: 448,
      readerSlots: 448 - SUPERUSER_RESERVED_CONNECTIONS - OWNER_WRITER_RESERVED_CONNECTIONS,
      readerLimitSum: 400,
      reserveEnforced: false,
      warnings: [],
    });
    const over = connectionBudget({
      ramGb: 4,
      serverType: "cx23",
      postgresVersion: 15,
      readers: readers(200).map((r) => ({ name: r.name, connectionLimit: r.name === "r007" ? 40 : DEFAULT_READER_CONNECTION_LIMIT })),
    });
    expect(over.warnings).toEqual([
      "200 readers may hold 836 catalog connections together (largest limits: r007 40, r001 4, r002 4), but a cx23 (4 GB) runs " +
        "max_connections = 448, of which 13 are kept for the admin, owner and writer: 435 for readers. When they all connect at once, " +
        "the last ones are refused and the owner and writer can be locked out (PostgreSQL 15 has no reserved_connections; 16+ keeps their share). " +
        "Fix: lower readerConnectionLimit (or connectionLimit of the largest readers) to at most 2 per reader, or choose a larger serverType",
    ]);
    const on16 = connectionBudget({
      ramGb: 4,
      serverType: "cx23",
      postgresVersion: 16,
      readers: readers(200).map((r) => ({ name: r.name, connectionLimit: 4 })),
    });
    expect(on16.reserveEnforced).toBe(true);
    expect(on16.warnings[0]).not.toMatch(/locked out/);
    expect(on16.warnings[0]).toMatch(/the last ones are refused\. Fix:/);
  });

  it("refuses limits that are not 1..500 whole numbers", () => {
    expect(connectionLimitProblem(1)).toBeUndefined();
    expect(connectionLimitProblem(500)).toBeUndefined();
    expect(connectionLimitProblem(0)).toMatch(/keep the reader from connecting/);
    expect(connectionLimitProblem(-1)).toMatch(/unlimited is not allowed/);
    expect(connectionLimitProblem(501)).toBe("501 is more than 500");
    expect(connectionLimitProblem(1.5)).toBe("1.5 is not a whole number");
    expect(connectionLimitProblem("3")).toBe('"3" is not a whole number');
  });
});

describe("rendered postgresql.conf", () => {
  it("sets max_connections from memory and keeps 3 superuser slots; reserved_connections only on 16+", () => {
    const on15 = renderPostgresqlConf({ ramGb: 4 });
    expect(on15).toContain("\nmax_connections = 448\n");
    expect(on15).toContain("\nsuperuser_reserved_connections = 3\n");
    expect(on15).toContain("\nmaintenance_work_mem = '256MB'\n");
    expect(on15).not.toMatch(/^reserved_connections/m);
    expect(renderPostgresqlConf({ ramGb: 8, postgresVersion: 15 })).toContain("\nmax_connections = 960\n");
    for (const v of [16, 17]) {
      const conf = renderPostgresqlConf({ ramGb: 4, postgresVersion: v });
      expect(conf).toMatch(/^reserved_connections = 10 {2}# for members of pg_use_reserved_connections/m);
    }
  });
});

describe("config readerConnectionLimit", () => {
  const prod = HETZNER_CONFIG;
  it("defaults to 4 and takes a whole number", () => {
    expect(validateConfig(prod, { stack: "prod" }).readerConnectionLimit).toBe(4);
    expect(validateConfig({ ...prod, "ducklake:readerConnectionLimit": "2" }, { stack: "prod" }).readerConnectionLimit).toBe(2);
  });
  it.each([
    ["0", "0 would keep the reader from connecting at all"],
    ["-1", "-1 would keep the reader from connecting at all"],
    ["501", "501 is more than 500"],
    ["four", '"four" is not a whole number'],
  ])("refuses %s", (value, problem) => {
    let err: unknown;
    try {
      validateConfig({ ...prod, "ducklake:readerConnectionLimit": value }, { stack: "prod" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const p = (err as ConfigError).problems.find((x) => x.key === "readerConnectionLimit");
    expect(p?.problem).toContain(problem);
    expect(p?.fix).toContain("pulumi config set ducklake:readerConnectionLimit");
  });
  it("a misspelt key is caught", () => {
    let err: unknown;
    try {
      validateConfig({ ...prod, "ducklake:readerConnectionLimits": "2" }, { stack: "prod" });
    } catch (e) {
      err = e;
    }
    expect((err as ConfigError).problems[0].fix).toContain("did you mean ducklake:readerConnectionLimit?");
  });
});

describe("access list connectionLimit", () => {
  it("is kept on the validated reader and is order-independent", () => {
    const spec = { readers: readers(3, { r002: 9 }), grants: [] };
    const a = checkAccess(spec, { ownerProjectId: "1001" }).access!;
    const b = checkAccess({ readers: [...spec.readers].reverse(), grants: [] }, { ownerProjectId: "1001" }).access!;
    expect(a.readers.map((r) => [r.name, r.connectionLimit])).toEqual([
      ["r001", undefined],
      ["r002", 9],
      ["r003", undefined],
    ]);
    expect(b.readers).toEqual(a.readers);
  });
});

describe("LakeAccess under mocks", () => {
  const pgProvider = new postgresql.Provider("pg", { host: "127.0.0.1", port: 5432, sslmode: "disable", username: "owner", password: "x" });
  const awsProvider = new aws.Provider("s3", { region: "us-east-1", accessKey: "a", secretKey: "b", skipCredentialsValidation: true });
  class TestGuard extends pulumi.CustomResource {
    constructor(n: string) {
      super("ducklake:catalog:Guard", n, {});
    }
  }
  const guard = new TestGuard("guard");
  const args = (access: AccessSpec, over: Partial<LakeAccessArgs> = {}): LakeAccessArgs => ({
    access,
    ownerProjectId: "1001",
    dataPrefix: "data/",
    backupsPrefix: "backups/",
    connection: { host: "db.example.com", port: 5432, database: "lake", user: "owner", password: "pw", sslmode: "verify-full" },
    guard,
    postgresqlProvider: pgProvider,
    awsProvider,
    bucket: "lake",
    layout: emptyLayout("s3://lake/data/"),
    s3Endpoint: "https://fsn1.your-objectstorage.com",
    s3Region: "fsn1",
    readerSecretKeys: pulumi.secret({}),
    ...over,
  });
  const settle = async (la: LakeAccess) => {
    await new Promise<void>((resolve) => pulumi.all(Object.values(la.readers).map((r) => r.urn)).apply(() => resolve()));
    await new Promise((r) => setTimeout(r, 20));
  };

  let warnings: string[] = [];
  let warn: jest.SpyInstance;
  beforeEach(() => {
    created = [];
    warnings = [];
    warn = jest.spyOn(pulumi.log, "warn").mockImplementation(async (m: string) => {
      warnings.push(m);
    });
  });
  afterEach(() => warn.mockRestore());

  it("each reader role gets its own limit, else the stack default", async () => {
    const la = new LakeAccess(
      "la",
      args(
        {
          readers: readers(3, { r003: 12 }),
          grants: [
            { reader: "r001", schema: "s" },
            { reader: "r002", schema: "s" },
            { reader: "r003", schema: "s" },
          ],
        },
        { readerConnectionLimit: 2, catalogServer: { serverType: "cx23", ramGb: 4, postgresVersion: 15 } },
      ),
    );
    await settle(la);
    const limits = Object.fromEntries(
      created.filter((c) => c.type === "postgresql:index/role:Role").map((c) => [c.inputs.name, c.inputs.connectionLimit]),
    );
    expect(limits).toEqual({ r001: 2, r002: 2, r003: 12 });
    expect(warnings.filter((w) => /catalog connections/.test(w))).toEqual([]);
  });

  it("warns in the preview when the readers' limits and the reserves exceed the server, and still registers the readers", async () => {
    const la = new LakeAccess(
      "la2",
      args(
        { readers: readers(2, { r001: 300, r002: 200 }), grants: readers(2).map((r) => ({ reader: r.name, schema: "s" })) },
        { catalogServer: { serverType: "cx23", ramGb: 4, postgresVersion: 15 } },
      ),
    );
    await settle(la);
    expect(warnings.filter((w) => /catalog connections/.test(w))).toEqual([
      expect.stringContaining("2 readers may hold 500 catalog connections together (largest limits: r001 300, r002 200)"),
    ]);
    expect(created.filter((c) => c.type === "postgresql:index/role:Role")).toHaveLength(2);
  });

  it("no server (local stack): no budget warning", async () => {
    const la = new LakeAccess(
      "la3",
      args({ readers: readers(2, { r001: 300, r002: 200 }), grants: readers(2).map((r) => ({ reader: r.name, schema: "s" })) }),
    );
    await settle(la);
    expect(warnings.filter((w) => /catalog connections/.test(w))).toEqual([]);
  });

  it("refuses a bad default or a bad limit before registering anything", () => {
    created = [];
    expect(() => new LakeAccess("la4", args({ readers: readers(1), grants: [] }, { readerConnectionLimit: 0 }))).toThrow(
      /readerConnectionLimit 0 would keep/,
    );
    expect(
      () =>
        new LakeReader("lr", {
          reader: readers(1)[0],
          connectionLimit: -1,
          connection: args({ readers: [], grants: [] }).connection,
          bucket: "b",
          s3Endpoint: "https://x.example.com",
          s3Region: "fsn1",
          s3SecretKey: "k",
        }),
    ).toThrow(/connection limit of reader r001: -1/);
    expect(created).toEqual([]);
  });
});

describe("Catalog under mocks: the owner/writer reserve on PostgreSQL 16+", () => {
  const grantsOf = async (postgresVersion: number | undefined) => {
    created = [];
    const { Catalog } = await import("../../components/catalog");
    const cat = new Catalog(`cat${postgresVersion ?? "x"}`, {
      admin: { host: "db.example.com", port: 5432, database: "postgres", user: "ducklake_admin", password: "pw", sslmode: "require" },
      database: "ducklake",
      catalogSchema: "public",
      dataPath: "s3://lake/data/",
      postgresVersion,
    });
    await new Promise<void>((resolve) => cat.urn.apply(() => resolve()));
    await new Promise((r) => setTimeout(r, 50));
    return created
      .filter((c) => c.type === "postgresql:index/grantRole:GrantRole")
      .map((c) => [c.inputs.role, c.inputs.grantRole])
      .sort();
  };
  it("grants pg_use_reserved_connections to the owner and writer on 16 and 17 only", async () => {
    expect(await grantsOf(16)).toEqual([
      ["ducklake_owner", "pg_use_reserved_connections"],
      ["ducklake_writer", "pg_use_reserved_connections"],
    ]);
    expect(await grantsOf(17)).toHaveLength(2);
    expect(await grantsOf(15)).toEqual([]);
    expect(await grantsOf(undefined)).toEqual([]);
  });
});
