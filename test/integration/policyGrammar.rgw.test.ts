// Grounds model/policyGrammar.ts in the real Ceph RGW: every document the check refuses is refused by RGW too
// (with the message-less "InvalidArgument: UnknownError"), every action and condition operator it knows is
// accepted, and a policy without grants (one harmless statement, no empty list) leaves readers with 403 everywhere
// while the owner keeps full use of the bucket.
import {
  DeleteBucketPolicyCommand,
  DeleteObjectCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { policyGrammarProblems, RGW_ACTIONS, RGW_CONDITION_OPERATORS } from "../../model/policyGrammar";
import { buildBucketPolicy } from "../../model/bucketPolicy";
import { emptyLayout } from "../../model/lakePaths";
import { principalArn } from "../../model/principal";
import { createTestBucket, s3Client } from "../support/s3";
import { rgw } from "../support/services";

const svc = rgw();
const admin = s3Client(svc.admin);
let bucket: string;
beforeAll(async () => {
  bucket = await createTestBucket("grammar");
});

const reader = { projectId: svc.readerProject, accessKey: svc.readers[0].accessKey };
const ok = () => ({
  Effect: "Allow",
  Principal: { AWS: principalArn(reader) },
  Action: "s3:GetObject",
  Resource: `arn:aws:s3:::${bucket}/data/*`,
});
const doc = (...statements: unknown[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });

async function rgwAnswer(json: string): Promise<string> {
  try {
    await admin.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: json }));
    return "accepted";
  } catch (e: any) {
    return `${e.name} ${e.$metadata?.httpStatusCode} ${e.message}`;
  }
}

describe("policy grammar against Ceph RGW 16", () => {
  const refused: Array<[string, () => string]> = [
    ["unknown top-level key", () => JSON.stringify({ Version: "2012-10-17", Statement: [ok()], Foo: 1 })],
    ["lower-case keys", () => JSON.stringify({ version: "2012-10-17", statement: [ok()] })],
    ["bad version", () => JSON.stringify({ Version: "2020-01-01", Statement: [ok()] })],
    ["unknown statement key", () => doc({ ...ok(), Foo: "x" })],
    ["effect in lower case", () => doc({ ...ok(), Effect: "allow" })],
    ["effect as a list", () => doc({ ...ok(), Effect: ["Allow"] })],
    ["misspelt action", () => doc({ ...ok(), Action: "s3:GetObjekt" })],
    ["action without service", () => doc({ ...ok(), Action: "GetObject" })],
    ["action RGW 16 lacks", () => doc({ ...ok(), Action: "s3:GetObjectAttributes" })],
    ["iam action RGW lacks", () => doc({ ...ok(), Action: "iam:CreateUser" })],
    ["action only newer Ceph knows", () => doc({ ...ok(), Action: ["s3:GetObject", "s3:GetBucketEncryption"] })],
    ["numeric action", () => doc({ ...ok(), Action: 5 })],
    ["resource that is no ARN", () => doc({ ...ok(), Resource: `${bucket}/data/*` })],
    ["truncated ARN", () => doc({ ...ok(), Resource: "arn:aws:s3" })],
    ["numeric resource", () => doc({ ...ok(), Resource: 5 })],
    ["principal as a bare ARN", () => doc({ ...ok(), Principal: principalArn(reader) })],
    ["unknown principal type", () => doc({ ...ok(), Principal: { Foo: principalArn(reader) } })],
    ["numeric principal", () => doc({ ...ok(), Principal: { AWS: 5 } })],
    ["unknown condition operator", () => doc({ ...ok(), Condition: { StringLikee: { "s3:prefix": ["a*"] } } })],
    ["condition not an object", () => doc({ ...ok(), Condition: "x" })],
    ["statement not an object", () => doc("x")],
    ["duplicate key", () => `{"Version":"2012-10-17","Version":"2012-10-17","Statement":[${JSON.stringify(ok())}]}`],
    ["not JSON", () => `{"Version":"2012-10-17",`],
  ];

  it.each(refused)("%s: the check refuses it and so does RGW, without saying why", async (_what, make) => {
    const json = make();
    expect(policyGrammarProblems(json)).not.toEqual([]);
    expect(await rgwAnswer(json)).toBe("InvalidArgument 400 UnknownError");
  });

  it("accepts what RGW accepts: the generator's statement shapes, every action it lists, every condition operator", async () => {
    const accepted = [
      doc(ok()),
      doc({
        ...ok(),
        Effect: "Deny",
        Resource: undefined,
        NotResource: `arn:aws:s3:::${bucket}/data/*`,
        Action: ["s3:Put*", "s3:Delete*", "s3:Abort*", "s3:Restore*", "s3:Bypass*", "s3:Create*"],
      }),
      doc({ ...ok(), Action: RGW_ACTIONS }),
      doc(
        ...RGW_CONDITION_OPERATORS.flatMap((op) => [op, `${op}IfExists`]).map((op) => ({
          ...ok(),
          Condition: { [op]: { "s3:prefix": ["a"] } },
        })),
      ),
    ];
    for (const json of accepted) {
      expect(policyGrammarProblems(json)).toEqual([]);
      expect(await rgwAnswer(json)).toBe("accepted");
    }
    // Each action also on its own (one unknown name in a list would refuse the whole list).
    // One at a time: concurrent policy writes to one bucket can make RGW answer 500.
    const refusedActions: string[][] = [];
    for (const a of RGW_ACTIONS) {
      const r = await rgwAnswer(doc({ ...ok(), Action: a }));
      if (r !== "accepted") refusedActions.push([a, r]);
    }
    expect(refusedActions).toEqual([]);
  });

  it("an empty Statement list is taken by RGW 16 (the check refuses it for servers that follow AWS)", async () => {
    expect(await rgwAnswer(doc())).toBe("accepted");
    expect(policyGrammarProblems(doc())).toEqual([expect.stringMatching(/no statements/)]);
  });
});

describe("a policy without grants on RGW", () => {
  it("readers get 403 everywhere, the owner keeps full use of the bucket and its policy", async () => {
    const b = await createTestBucket("nogrants");
    const built = buildBucketPolicy({
      bucket: b,
      ownerProjectId: svc.adminProject,
      grants: [],
      layout: emptyLayout(`s3://${b}/data/`),
      readers: svc.readers.map((k, i) => ({ name: `r${i}`, principal: { projectId: svc.readerProject, accessKey: k.accessKey } })),
    });
    expect(built.problems).toEqual([]);
    expect(built.document.Statement).toHaveLength(1);
    await admin.send(new PutObjectCommand({ Bucket: b, Key: "data/t/x.parquet", Body: "x" }));
    await admin.send(new PutBucketPolicyCommand({ Bucket: b, Policy: built.json }));
    const status = async (p: Promise<unknown>) =>
      p.then(
        () => 200,
        (e: any) => e.$metadata?.httpStatusCode,
      );
    for (const k of svc.readers) {
      const c = s3Client(k);
      expect(
        await Promise.all([
          status(c.send(new GetObjectCommand({ Bucket: b, Key: "data/t/x.parquet" }))),
          status(c.send(new ListObjectsV2Command({ Bucket: b, Prefix: "data/" }))),
          status(c.send(new HeadBucketCommand({ Bucket: b }))),
          status(c.send(new GetBucketPolicyCommand({ Bucket: b }))),
          status(c.send(new PutObjectCommand({ Bucket: b, Key: "data/t/y", Body: "y" }))),
          status(c.send(new DeleteObjectCommand({ Bucket: b, Key: "data/t/x.parquet" }))),
        ]),
      ).toEqual([403, 403, 403, 403, 403, 403]);
    }
    expect(
      await Promise.all([
        status(admin.send(new GetObjectCommand({ Bucket: b, Key: "data/t/x.parquet" }))),
        status(admin.send(new ListObjectsV2Command({ Bucket: b }))),
        status(admin.send(new PutObjectCommand({ Bucket: b, Key: "backups/c.dump", Body: "c" }))),
        status(admin.send(new GetBucketPolicyCommand({ Bucket: b }))),
      ]),
    ).toEqual([200, 200, 200, 200]);
    expect(await status(admin.send(new DeleteBucketPolicyCommand({ Bucket: b })))).toBe(200);
  });
});
