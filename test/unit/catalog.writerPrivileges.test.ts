// The Catalog component's writer under Pulumi mocks: CONNECT on the database and nothing temporary (a writer
// temp table named like a system catalog was an attack on the catalog guard; DuckLake writes need none).
import * as pulumi from "@pulumi/pulumi";

const registered: Array<{ type: string; name: string; inputs: Record<string, any> }> = [];
pulumi.runtime.setMocks(
  {
    newResource: (a) => {
      registered.push({ type: a.type, name: a.name, inputs: a.inputs });
      return { id: `${a.name}-id`, state: { ...a.inputs, result: "pw" } };
    },
    call: (a) => a.inputs,
  },
  "p",
  "s",
  false,
);

test("the writer gets CONNECT on the catalog database, not TEMPORARY", async () => {
  const { Catalog } = await import("../../components/catalog");
  const c = new Catalog("cat", {
    admin: { host: "10.0.0.2", port: 5432, database: "postgres", user: "postgres", password: "pw", sslmode: "disable" },
    database: "ducklake",
    catalogSchema: "public",
    dataPath: "s3://lake/data/",
  });
  await new Promise((r) => c.writerConnection.apply(r));
  await new Promise((r) => setTimeout(r, 50));
  const dbGrants = registered.filter((r) => r.type === "postgresql:index/grant:Grant" && r.inputs.objectType === "database");
  expect(dbGrants.map((g) => ({ name: g.name, privileges: g.inputs.privileges }))).toEqual([
    { name: "cat-writer-connect", privileges: ["CONNECT"] },
  ]);
  expect(registered.some((r) => JSON.stringify(r.inputs.privileges ?? []).includes("TEMP"))).toBe(false);
});
