// Each rule from a compliant fixture, changing one property per case. Rules are imported, not the pack.
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { rules } from "../../policies/rules";
import { s3BucketNotPublic } from "../../policies/rules/bucketNotPublic";
import { s3BucketPolicyNoAllowToEveryone } from "../../policies/rules/noAllowToEveryone";
import { s3BucketPolicyReadersReadOnly } from "../../policies/rules/readersReadOnly";
import { s3BucketPolicyReadersOutsideOwnerProject } from "../../policies/rules/readersOutsideOwnerProject";
import { BUCKET_POLICY_LIMIT_BYTES, s3BucketPolicySizeLimit } from "../../policies/rules/policySizeLimit";
import { hcloudFirewallPostgresNotOpen, portCovers } from "../../policies/rules/postgresNotOpen";
import { postgresqlProviderTlsRequired } from "../../policies/rules/tlsRequired";

function run(rule: ResourceValidationPolicy, type: string, props: Record<string, any>, config: object = {}): string[] {
  const found: string[] = [];
  const args = {
    type,
    props,
    urn: `urn:pulumi:prod::lake::${type}::r`,
    name: "r",
    opts: {},
    stackTags: new Map(),
    getConfig: () => config,
    isType: () => false,
    asType: () => undefined,
    notApplicable: () => {
      throw new Error("n/a");
    },
  } as unknown as ResourceValidationArgs;
  const validate = rule.validateResource;
  (Array.isArray(validate) ? validate : [validate!]).forEach((v) => v(args, (m) => found.push(m)));
  return found;
}

const OWNER = "1001";
const reader = (key: string, project = "2002") => `arn:aws:iam:::user/p${project}:${key}`;
const compliantPolicy = () => ({
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "alice-read",
      Effect: "Allow",
      Principal: { AWS: [reader("P2002AAAAAAAAAAAAAAA")] },
      Action: ["s3:GetObject"],
      Resource: ["arn:aws:s3:::lake/data/sales/*"],
    },
    {
      Sid: "bob-list",
      Effect: "Allow",
      Principal: { AWS: reader("P2002BBBBBBBBBBBBBBB") },
      Action: "s3:ListBucket",
      Resource: "arn:aws:s3:::lake",
      Condition: { StringLike: { "s3:prefix": ["data/hr/*"] } },
    },
    { Sid: "deny-backups", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "arn:aws:s3:::lake/backups/*" },
  ],
});
const BP = "aws:s3/bucketPolicy:BucketPolicy";
const bucketPolicy = (mutate?: (d: any) => void) => {
  const d = compliantPolicy();
  mutate?.(d);
  return { bucket: "lake", policy: JSON.stringify(d) };
};

describe("policy pack rules", () => {
  it("every rule follows the pack conventions (kebab-case, kind prefix, mandatory, described)", () => {
    expect(rules.map((r) => r.name)).toEqual([
      "s3-bucket-not-public",
      "s3-bucket-policy-no-allow-to-everyone",
      "s3-bucket-policy-readers-read-only",
      "s3-bucket-policy-readers-outside-owner-project",
      "s3-bucket-policy-size-limit",
      "hcloud-firewall-postgres-not-open",
      "postgresql-provider-tls-required",
    ]);
    for (const r of rules) {
      expect(r.name).toMatch(/^(s3|hcloud|postgresql)-[a-z0-9-]+$/);
      expect(r.enforcementLevel).toBe("mandatory");
      expect(r.description.length).toBeGreaterThan(20);
    }
  });

  it("the compliant fixtures pass every rule", () => {
    const fixtures: [string, object][] = [
      ["aws:s3/bucket:Bucket", { bucket: "lake", acl: "private" }],
      [BP, bucketPolicy()],
      [
        "hcloud:index/firewall:Firewall",
        {
          rules: [
            { direction: "in", protocol: "tcp", port: "5432", sourceIps: ["203.0.113.7/32"] },
            { direction: "in", protocol: "tcp", port: "22", sourceIps: ["0.0.0.0/0", "::/0"] },
          ],
        },
      ],
      ["pulumi:providers:postgresql", { host: "203.0.113.10", sslmode: "verify-full" }],
      ["pulumi:providers:postgresql", { host: "127.0.0.1", sslmode: "disable" }],
    ];
    for (const [type, props] of fixtures)
      for (const rule of rules)
        expect({ rule: rule.name, type, found: run(rule, type, props, { ownerProjectId: OWNER }) }).toEqual({
          rule: rule.name,
          type,
          found: [],
        });
  });

  it.each([
    [
      "canned public-read ACL on the bucket",
      "aws:s3/bucket:Bucket",
      { acl: "public-read" },
      /ACL "public-read" makes the lake readable without a key/,
    ],
    ["public-read-write ACL resource", "aws:s3/bucketAcl:BucketAcl", { acl: "public-read-write" }, /ACL "public-read-write"/],
    [
      "explicit grant to AllUsers",
      "aws:s3/bucketAcl:BucketAcl",
      {
        accessControlPolicy: {
          grants: [{ grantee: { type: "Group", uri: "http://acs.amazonaws.com/groups/global/AllUsers" }, permission: "READ" }],
        },
      },
      /AllUsers makes the lake public/,
    ],
  ])("s3-bucket-not-public: %s", (_case, type, props, message) => {
    const found = run(s3BucketNotPublic, type, props);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });

  it.each([
    [
      'Principal "*"',
      (d: any) => {
        d.Statement[0].Principal = "*";
      },
    ],
    [
      'Principal { AWS: "*" }',
      (d: any) => {
        d.Statement[0].Principal = { AWS: "*" };
      },
    ],
    [
      '"*" inside a principal list',
      (d: any) => {
        d.Statement[1].Principal = { AWS: [reader("P2002BBBBBBBBBBBBBBB"), "*"] };
      },
    ],
  ])("s3-bucket-policy-no-allow-to-everyone: %s", (_case, mutate) => {
    const found = run(s3BucketPolicyNoAllowToEveryone, BP, bucketPolicy(mutate));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/allows .* to everyone/);
  });

  it('a Deny to "*" (the backups fence) is not an Allow to everyone', () => {
    expect(run(s3BucketPolicyNoAllowToEveryone, BP, bucketPolicy())).toEqual([]);
  });

  it.each([
    ["PutObject", "s3:PutObject"],
    ["DeleteObject", "s3:DeleteObject"],
    ["s3:*", "s3:*"],
    ["PutBucketPolicy", "s3:PutBucketPolicy"],
  ])("s3-bucket-policy-readers-read-only: %s", (_case, action) => {
    const found = run(
      s3BucketPolicyReadersReadOnly,
      BP,
      bucketPolicy((d) => {
        d.Statement[0].Action = ["s3:GetObject", action];
      }),
    );
    expect(found).toEqual([`r: statement alice-read allows ${action} to readers; readers may only GetObject/ListBucket/GetBucketLocation`]);
  });

  it.each([
    ["a key of the owner project", reader("P1001AAAAAAAAAAAAAAA", OWNER), /is a key of the owner project 1001/],
    ["a whole project", "arn:aws:iam:::user/p2002", /matches every key of project 2002/],
    ["a whole project by wildcard", "arn:aws:iam:::user/p2002:*", /matches every key of project 2002/],
    ["the AWS-style form that matches nobody", "arn:aws:iam::2002:root", /is not a Hetzner key principal/],
  ])("s3-bucket-policy-readers-outside-owner-project: %s", (_case, principal, message) => {
    const found = run(
      s3BucketPolicyReadersOutsideOwnerProject,
      BP,
      bucketPolicy((d) => {
        d.Statement[0].Principal = { AWS: [principal] };
      }),
      { ownerProjectId: OWNER },
    );
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });

  it("s3-bucket-policy-size-limit: one byte over the limit fails, at the limit passes", () => {
    const sized = (n: number) => {
      const base = JSON.stringify(compliantPolicy());
      return base.slice(0, -1) + `,"Pad":"${"x".repeat(n - base.length - 9)}"}`;
    };
    expect(Buffer.byteLength(sized(BUCKET_POLICY_LIMIT_BYTES))).toBe(BUCKET_POLICY_LIMIT_BYTES);
    expect(run(s3BucketPolicySizeLimit, BP, { policy: sized(BUCKET_POLICY_LIMIT_BYTES) })).toEqual([]);
    expect(run(s3BucketPolicySizeLimit, BP, { policy: sized(BUCKET_POLICY_LIMIT_BYTES + 1) })).toEqual([
      `r: bucket policy is ${BUCKET_POLICY_LIMIT_BYTES + 1} bytes, over the ${BUCKET_POLICY_LIMIT_BYTES}-byte limit; grant whole schemas instead of many tables, or split readers across buckets`,
    ]);
  });

  it("a policy unknown at preview is not judged", () => {
    for (const rule of rules) expect(run(rule, BP, { bucket: "lake" }, { ownerProjectId: OWNER })).toEqual([]);
  });

  const pgRule = (over: object) => ({ direction: "in", protocol: "tcp", port: "5432", sourceIps: ["203.0.113.7/32"], ...over });
  it.each([
    ["0.0.0.0/0 on 5432", pgRule({ sourceIps: ["203.0.113.7/32", "0.0.0.0/0"] })],
    ["::/0 on 5432", pgRule({ sourceIps: ["::/0"] })],
    ["a port range covering 5432", pgRule({ port: "5000-6000", sourceIps: ["0.0.0.0/0"] })],
    ["port any", pgRule({ port: "any", sourceIps: ["0.0.0.0/0"] })],
  ])("hcloud-firewall-postgres-not-open: %s", (_case, rule) => {
    const found = run(hcloudFirewallPostgresNotOpen, "hcloud:index/firewall:Firewall", { rules: [rule] });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/to reach PostgreSQL; list the readers' addresses/);
  });

  it("port specs: single, range, any", () => {
    expect([
      portCovers("5432", 5432),
      portCovers("5431", 5432),
      portCovers("1-5432", 5432),
      portCovers("5433-6000", 5432),
      portCovers("any", 5432),
    ]).toEqual([true, false, true, false, true]);
  });

  it.each([
    ["sslmode disable to a remote host", { host: "203.0.113.10", sslmode: "disable" }, /sslmode "disable" for 203.0.113.10/],
    ["sslmode prefer (falls back to clear text)", { host: "203.0.113.10", sslmode: "prefer" }, /sslmode "prefer"/],
    ["sslmode not set", { host: "lake.example.com" }, /sslmode is not set for lake.example.com/],
  ])("postgresql-provider-tls-required: %s", (_case, props, message) => {
    const found = run(postgresqlProviderTlsRequired, "pulumi:providers:postgresql", props);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });
});
