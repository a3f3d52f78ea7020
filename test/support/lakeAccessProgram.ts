// What the LakeAccess programs run in their own node process share (batchedGrantsProgram.ts,
// partitionRefusalProgram.ts): Pulumi mocks in preview that echo inputs, and a LakeAccess with a fixed
// owner/bucket/connection and the caller's access (plus any other args it overrides).
import * as pulumi from "@pulumi/pulumi";
import type { LakeAccess, LakeAccessArgs } from "../../components/lakeAccess";

/** Installs preview mocks; `onResource` sees each registration first (it may throw to refuse it). */
export function setProgramMocks(onResource: (a: pulumi.runtime.MockResourceArgs) => void | Promise<void>): void {
  pulumi.runtime.setMocks(
    {
      newResource: async (a) => {
        await onResource(a);
        return { id: `${a.name}-id`, state: a.inputs };
      },
      call: (a) => a.inputs,
    },
    "lake",
    "test",
    true,
  );
}

/** A LakeAccess "lake-access" on a stub guard; modules load after the mocks are set. */
export async function newLakeAccess(args: Pick<LakeAccessArgs, "access"> & Partial<LakeAccessArgs>): Promise<LakeAccess> {
  const aws = await import("@pulumi/aws");
  const postgresql = await import("@pulumi/postgresql");
  const { LakeAccess } = await import("../../components/lakeAccess");
  const { emptyLayout } = await import("../../model/lakePaths");
  class Guard extends pulumi.CustomResource {
    constructor(n: string) {
      super("ducklake:catalog:Guard", n, {});
    }
  }
  return new LakeAccess("lake-access", {
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
    ...args,
  });
}
