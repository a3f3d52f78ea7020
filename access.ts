// Who may read what, for every stack. Reviewed in pull requests; applied by `pulumi up`.
//
// - readers: one entry per person or service. `name` becomes its PostgreSQL login role; `principal` is
//   its own S3 key from the separate readers project (never the bucket owner's project). The secret half
//   of the key is stack config: `pulumi config set --secret --path 'readerSecretKeys.<name>' <secret>`.
//   A stack may swap key ids with `readerPrincipals.<name>` (the local stack uses its local RGW keys).
// - grants: a reader may read one table (`table` given) or a whole schema (`table` left out), which
//   includes tables created later. Order does not matter; each grant is named by (reader, schema, table).
// - partition grants: `rows` gives only the rows of a partitioned table whose partition keys take the listed
//   values (every key must match; any value of a key's list). Keys are written like DuckLake's
//   SET PARTITIONED BY: a column (`region`) or `year(col)`, `month(col)`, `day(col)`, `hour(col)`. Example:
//     { reader: "hr_partner", schema: "hr", table: "salaries", rows: { "year(paid_at)": [2025, 2026] } },
//   The table must be partitioned by those keys (checked at preview against the catalog); rows written before
//   it was partitioned are not covered. See docs/access-as-code.md, "Partition grants".
//
// Keep this file plain data: `npm run access:diff` evaluates it at two git revisions without credentials.
import type { AccessSpec } from "./model/accessSpec";

export const access: AccessSpec = {
  readers: [
    { name: "analyst", principal: { projectId: "2002", accessKey: "P2002ANALYST00000001" }, allowedIps: ["203.0.113.0/24"] },
    { name: "finance", principal: { projectId: "2002", accessKey: "P2002FINANCE00000002" } },
    { name: "hr_partner", principal: { projectId: "2002", accessKey: "P2002HRPARTNER000003" } },
  ],
  // Grants name DuckLake schemas and tables that exist in the catalog (a table grant to a missing table fails
  // at preview). After `npm run load-sample`, for example:
  //   { reader: "analyst", schema: "tpch" },                         // every table of tpch, also later ones
  //   { reader: "finance", schema: "tpch", table: "orders" },
  //   { reader: "hr_partner", schema: "tpch", table: "customer" },
  grants: [],
};
