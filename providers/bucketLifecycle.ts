// The lake bucket's lifecycle rules, as a Pulumi dynamic resource over the S3 API.
//
// Why not aws.s3.BucketLifecycleConfiguration: terraform-provider-aws v6 (behind @pulumi/aws 7.48) waits after
// every PUT until GetBucketLifecycleConfiguration reads back the rules *and* transition_default_minimum_object_size
// (default "all_storage_classes_128K"). Ceph RGW, Hetzner Object Storage included, never returns that field, so
// create and update fail after 3 minutes although the rule was written, and every refresh drifts.
// This resource compares only what it manages: each rule's id, prefix, expiration days and status.
//
// It owns the bucket's whole lifecycle configuration (the S3 API has no per-rule calls): `read` reports every
// live rule, so a rule changed, added or removed by hand shows as a diff on `pulumi refresh` / `pulumi preview
// --refresh`, and the next `pulumi up` writes the declared rules back.
//
// The owner's S3 keys are inputs (the provider host has no other way to reach the endpoint); they are Pulumi
// secrets in the inputs and outputs, so the state keeps them encrypted.
import * as pulumi from "@pulumi/pulumi";

/** One expiration rule: objects under `prefix` are deleted `expirationDays` after they were written. */
export interface ExpirationRule {
  id: string;
  prefix: string;
  expirationDays: number;
}

export interface BucketLifecycleArgs {
  /** Bucket the rules apply to. Changing it replaces the resource. */
  bucket: pulumi.Input<string>;
  /** S3 endpoint URL (Hetzner Object Storage or the local RGW). Changing it replaces the resource. */
  endpoint: pulumi.Input<string>;
  /** Region sent in signatures. */
  region: pulumi.Input<string>;
  /** Owner project's S3 key (kept secret). */
  accessKey: pulumi.Input<string>;
  secretKey: pulumi.Input<string>;
  /** Every rule of the bucket; order does not matter (stored sorted by id). */
  rules: pulumi.Input<ExpirationRule[]>;
}

/** A live rule in the shape this resource compares; `unmanaged` holds anything else the rule carries. */
export interface LiveRule {
  id: string;
  prefix: string;
  expirationDays: number | null;
  status: string;
  unmanaged?: string;
}

interface LifecycleState {
  bucket: string;
  endpoint: string;
  region: string;
  accessKey: string;
  secretKey: string;
  rules: LiveRule[];
}

/** Sorted by id, status Enabled: the form stored in state and compared with what the server reads back. */
export function canonicalRules(rules: ReadonlyArray<ExpirationRule | LiveRule>): LiveRule[] {
  return rules
    .map((r): LiveRule => {
      const live = r as LiveRule;
      const days = "expirationDays" in r ? r.expirationDays : null;
      return {
        id: r.id,
        prefix: r.prefix,
        expirationDays: days ?? null,
        status: live.status ?? "Enabled",
        ...(live.unmanaged ? { unmanaged: live.unmanaged } : {}),
      };
    })
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Problems of a rule list, worded for the preview (empty when fine). */
export function expirationRuleProblems(rules: unknown): string[] {
  if (!Array.isArray(rules)) return ["rules must be a list of { id, prefix, expirationDays }"];
  const problems: string[] = [];
  const ids = new Set<string>();
  rules.forEach((r: any, i) => {
    const at = `rules[${i}]`;
    if (r === null || typeof r !== "object") {
      problems.push(`${at} must be { id, prefix, expirationDays }`);
      return;
    }
    if (typeof r.id !== "string" || r.id.length < 1 || r.id.length > 255) problems.push(`${at}.id must be 1 to 255 characters`);
    else if (ids.has(r.id)) problems.push(`${at}.id "${r.id}" is used twice: give each rule its own id`);
    else ids.add(r.id);
    if (typeof r.prefix !== "string" || r.prefix === "" || !r.prefix.endsWith("/"))
      problems.push(`${at}.prefix must be a folder ending in "/" (an empty prefix would expire the whole lake)`);
    if (!Number.isInteger(r.expirationDays) || r.expirationDays < 1)
      problems.push(`${at}.expirationDays must be a whole number of days, at least 1`);
  });
  return problems;
}

// Everything below runs inside Pulumi's dynamic-provider host: self-contained, `require` inside functions.
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"; // how preview passes values not known yet

function client(s: Pick<LifecycleState, "endpoint" | "region" | "accessKey" | "secretKey">): any {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- required inside the function: Pulumi serializes dynamic providers
  const { S3Client } = require("@aws-sdk/client-s3");
  return new S3Client({
    endpoint: s.endpoint,
    region: s.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s.accessKey, secretAccessKey: s.secretKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

const errorCode = (e: any): string | undefined => e?.Code ?? e?.name;

/** One S3 rule in the compared shape: what is not id/prefix/days/status goes, as JSON, into `unmanaged`. */
export function liveRule(rule: any): LiveRule {
  const { ID, Status, Filter, Prefix, Expiration, ...rest } = rule ?? {};
  const extra: Record<string, unknown> = { ...rest };
  const filterPrefix = Filter && typeof Filter.Prefix === "string" ? Filter.Prefix : undefined;
  if (Filter && Object.keys(Filter).some((k) => k !== "Prefix")) extra.Filter = Filter;
  if (Expiration && Object.keys(Expiration).some((k) => k !== "Days")) extra.Expiration = Expiration;
  return {
    id: ID ?? "",
    prefix: filterPrefix ?? Prefix ?? "",
    expirationDays: Expiration?.Days ?? null,
    status: Status ?? "",
    ...(Object.keys(extra).length ? { unmanaged: JSON.stringify(extra) } : {}),
  };
}

/** Every live rule of the bucket (none: []). */
async function liveRules(s: LifecycleState): Promise<LiveRule[]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- required inside the function: Pulumi serializes dynamic providers
  const { GetBucketLifecycleConfigurationCommand } = require("@aws-sdk/client-s3");
  try {
    const out = await client(s).send(new GetBucketLifecycleConfigurationCommand({ Bucket: s.bucket }));
    return canonicalRules((out.Rules ?? []).map(liveRule));
  } catch (e) {
    if (errorCode(e) === "NoSuchLifecycleConfiguration") return [];
    throw e;
  }
}

/** Writes the rules (the whole configuration) and checks that the server reads them back as written. */
async function put(s: LifecycleState, rules: LiveRule[]): Promise<LiveRule[]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- required inside the function: Pulumi serializes dynamic providers
  const { PutBucketLifecycleConfigurationCommand } = require("@aws-sdk/client-s3");
  await client(s).send(
    new PutBucketLifecycleConfigurationCommand({
      Bucket: s.bucket,
      LifecycleConfiguration: {
        Rules: rules.map((r) => ({ ID: r.id, Status: "Enabled", Filter: { Prefix: r.prefix }, Expiration: { Days: r.expirationDays } })),
      },
    }),
  );
  // Ceph answers a PUT only once the configuration is stored; a few reads cover eventually consistent servers.
  let live: LiveRule[] = [];
  for (let attempt = 0; attempt < 5; attempt++) {
    live = await liveRules(s);
    if (JSON.stringify(live) === JSON.stringify(rules)) return live;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(
    `bucket ${s.bucket}: the lifecycle rules read back differ from those written: wrote ${JSON.stringify(rules)}, read ${JSON.stringify(live)}`,
  );
}

/** Exported for the integration tests; shared by every BucketLifecycle (Pulumi serializes it once). */
export const bucketLifecycleProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: unknown, news: any): Promise<pulumi.dynamic.CheckResult> {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    for (const p of expirationRuleProblems(news.rules)) failures.push({ property: "rules", reason: p });
    for (const k of ["bucket", "endpoint", "region"])
      if (news[k] !== UNKNOWN && (typeof news[k] !== "string" || news[k] === ""))
        failures.push({ property: k, reason: `${k} must be a non-empty string` });
    const rules = failures.length === 0 ? canonicalRules(news.rules) : news.rules;
    return { inputs: { ...news, rules }, failures };
  },

  async diff(_id: pulumi.ID, olds: LifecycleState, news: LifecycleState): Promise<pulumi.dynamic.DiffResult> {
    const replaces = (["bucket", "endpoint"] as const).filter((k) => olds[k] !== news[k]);
    const rulesChanged = JSON.stringify(canonicalRules(olds.rules ?? [])) !== JSON.stringify(canonicalRules(news.rules));
    const other = olds.region !== news.region || olds.accessKey !== news.accessKey || olds.secretKey !== news.secretKey;
    // Delete first on replace: the new bucket/endpoint's configuration must not be wiped by the old one's delete
    // when both name the same bucket through two endpoints.
    return { changes: replaces.length > 0 || rulesChanged || other, replaces, deleteBeforeReplace: true };
  },

  async create(inputs: LifecycleState): Promise<pulumi.dynamic.CreateResult> {
    const rules = await put(inputs, canonicalRules(inputs.rules));
    return { id: inputs.bucket, outs: { ...inputs, rules } };
  },

  async read(id: pulumi.ID, props: LifecycleState): Promise<pulumi.dynamic.ReadResult> {
    return { id, props: { ...props, rules: await liveRules(props) } };
  },

  async update(_id: pulumi.ID, _olds: LifecycleState, news: LifecycleState): Promise<pulumi.dynamic.UpdateResult> {
    return { outs: { ...news, rules: await put(news, canonicalRules(news.rules)) } };
  },

  async delete(_id: pulumi.ID, props: LifecycleState): Promise<void> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- required inside the function: Pulumi serializes dynamic providers
    const { DeleteBucketLifecycleCommand } = require("@aws-sdk/client-s3");
    try {
      await client(props).send(new DeleteBucketLifecycleCommand({ Bucket: props.bucket }));
    } catch (e) {
      if (errorCode(e) !== "NoSuchBucket" && errorCode(e) !== "NoSuchLifecycleConfiguration") throw e;
    }
  },
};

/** The bucket's lifecycle rules, kept equal to `rules` (see the top of this file). */
export class BucketLifecycle extends pulumi.dynamic.Resource {
  declare public readonly bucket: pulumi.Output<string>;
  /** The rules as the server last reported them. */
  declare public readonly rules: pulumi.Output<LiveRule[]>;
  /** Owner key (secret). */
  declare public readonly accessKey: pulumi.Output<string>;
  declare public readonly secretKey: pulumi.Output<string>;

  constructor(name: string, args: BucketLifecycleArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      bucketLifecycleProvider,
      name,
      {
        bucket: args.bucket,
        endpoint: args.endpoint,
        region: args.region,
        accessKey: pulumi.secret(args.accessKey),
        secretKey: pulumi.secret(args.secretKey),
        rules: args.rules,
      },
      { ...opts, additionalSecretOutputs: ["accessKey", "secretKey", ...(opts?.additionalSecretOutputs ?? [])] },
      "ducklake",
      "BucketLifecycle",
    );
  }
}
