// The contract tests' recording of a Catalog: registered under Pulumi mocks (nothing applied), each resource with
// its inputs (secrets unwrapped), its explicit dependsOn (what orders the engine's steps) and its ignoreChanges
// (what Pulumi leaves out of the diff); the fixed role names renamed so parallel test files cannot collide.
import type * as PulumiModule from "@pulumi/pulumi";
import type { PgConnection } from "../support/services";

export interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, any>;
  dependencies: string[];
  ignoreChanges: string[];
}

export interface RecordCatalogArgs {
  /** Connection the Catalog's admin provider is given (database `postgres`). */
  admin: PgConnection;
  database: string;
  catalogSchema: string;
  /** Catalog's adminIsSuperuser; left out = the component's default. */
  adminIsSuperuser?: boolean;
  /** Cluster-wide names replacing ducklake_owner / ducklake_writer in the recorded inputs. */
  owner: string;
  writer: string;
  /** The state a mocked resource gets back (default: its inputs), e.g. a RandomPassword's result. */
  state?: (r: PulumiModule.runtime.MockResourceArgs) => Record<string, any>;
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const unwrap = (v: any): any =>
  v && typeof v === "object" && v[SECRET_SIG]
    ? unwrap(v.value)
    : Array.isArray(v)
      ? v.map(unwrap)
      : v && typeof v === "object"
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x)]))
        : v;

/** Registers a Catalog under mocks and returns its resources, in registration order. */
export async function recordCatalog(a: RecordCatalogArgs): Promise<Recorded[]> {
  const resources: Recorded[] = [];
  const deps = new Map<string, string[]>();
  const ignored = new Map<string, string[]>();
  jest.resetModules();
  const pulumi: typeof PulumiModule = require("@pulumi/pulumi");
  pulumi.runtime.setMocks(
    {
      newResource: (r) => {
        resources.push({ type: r.type, name: r.name, inputs: r.inputs, dependencies: [], ignoreChanges: [] });
        return { id: `${r.name}-id`, state: a.state ? a.state(r) : r.inputs };
      },
      call: (r) => r.inputs,
    },
    "ducklake",
    "contract",
    false,
  );
  await pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation((t) => {
      const on = t.opts.dependsOn;
      const list = Array.isArray(on) ? on : on ? [on] : [];
      deps.set(
        t.name,
        list.map((d: any) => String(d?.__name ?? "")),
      );
      ignored.set(t.name, t.opts.ignoreChanges ?? []);
      return undefined;
    });
    const { Catalog } = require("../../components/catalog");
    const { admin } = a;
    new Catalog("ducklake-catalog", {
      admin: { host: admin.host, port: admin.port, database: "postgres", user: admin.user, password: admin.password, sslmode: "disable" },
      database: a.database,
      catalogSchema: a.catalogSchema,
      dataPath: "s3://contract-lake/data/",
      ...(a.adminIsSuperuser === undefined ? {} : { adminIsSuperuser: a.adminIsSuperuser }),
    });
    return {};
  });
  await new Promise((r) => setTimeout(r, 200));
  const recorded = resources.map((r) => ({
    ...r,
    inputs: unwrap(r.inputs),
    dependencies: deps.get(r.name) ?? [],
    ignoreChanges: ignored.get(r.name) ?? [],
  }));
  return JSON.parse(
    JSON.stringify(recorded)
      .replace(/"ducklake_owner"/g, JSON.stringify(a.owner))
      .replace(/"ducklake_writer"/g, JSON.stringify(a.writer)),
  );
}
