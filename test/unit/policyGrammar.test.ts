// The pre-apply grammar check of bucket policies (model/policyGrammar.ts): what Ceph RGW 16 refuses with
// "InvalidArgument: UnknownError" is reported with the element and the fix. The same documents are tried
// against a real RGW in test/integration/policyGrammar.rgw.test.ts.
import { policyGrammarProblems, rgwKnowsAction } from "../../model/policyGrammar";
import { buildBucketPolicy, evaluatePolicy, noGrantsStatement } from "../../model/bucketPolicy";
import { emptyLayout } from "../../model/lakePaths";

const ok = {
  Effect: "Allow",
  Principal: { AWS: "arn:aws:iam:::user/p2002:P2002AAAAAAAAAAAAAAA" },
  Action: "s3:GetObject",
  Resource: "arn:aws:s3:::lake/data/*",
};
const doc = (...statements: unknown[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });

describe("policyGrammarProblems", () => {
  it("accepts the documents the generator writes (Allow, Deny with NotResource, conditions with IfExists)", () => {
    expect(policyGrammarProblems(doc(ok))).toEqual([]);
    expect(
      policyGrammarProblems(
        doc({ ...ok, Effect: "Deny", Action: ["s3:Put*", "s3:Delete*"], Resource: undefined, NotResource: "arn:aws:s3:::lake/x/*" }),
      ),
    ).toEqual([]);
    expect(
      policyGrammarProblems(
        doc({
          ...ok,
          Action: "s3:ListBucket",
          Resource: "arn:aws:s3:::lake",
          Condition: { StringNotLikeIfExists: { "s3:prefix": ["a/*"] } },
        }),
      ),
    ).toEqual([]);
  });

  it.each<[string, string, RegExp]>([
    ["unknown top-level key", JSON.stringify({ Version: "2012-10-17", Statement: [ok], Foo: 1 }), /unknown top-level key "Foo"/],
    ["lower-case keys", JSON.stringify({ version: "2012-10-17", statement: [ok] }), /unknown top-level key "version".*case-sensitive/],
    ["bad version", JSON.stringify({ Version: "2020-01-01", Statement: [ok] }), /Version must be "2012-10-17"/],
    ["unknown statement key", doc({ ...ok, Foo: "x" }), /Statement\[0\]: unknown key "Foo"/],
    ["effect in lower case", doc({ ...ok, Effect: "allow" }), /Effect must be "Allow" or "Deny"/],
    ["effect as a list", doc({ ...ok, Effect: ["Allow"] }), /Effect must be "Allow" or "Deny"/],
    ["misspelt action", doc({ ...ok, Action: "s3:GetObjekt" }), /"s3:GetObjekt" is not an action Ceph RGW 16 knows/],
    ["action without service", doc({ ...ok, Action: "GetObject" }), /"GetObject" is not an action/],
    ["action RGW 16 lacks", doc({ ...ok, Action: "s3:GetObjectAttributes" }), /"s3:GetObjectAttributes" is not an action/],
    [
      "action only newer Ceph knows",
      doc({ ...ok, Action: ["s3:GetObject", "s3:GetBucketEncryption"] }),
      /"s3:GetBucketEncryption" is not an action/,
    ],
    ["numeric action", doc({ ...ok, Action: 5 }), /Action must be a string or a list of strings/],
    ["resource that is no ARN", doc({ ...ok, Resource: "lake/data/*" }), /"lake\/data\/\*" is not an ARN/],
    ["truncated ARN", doc({ ...ok, Resource: "arn:aws:s3" }), /is not an ARN/],
    ["numeric resource", doc({ ...ok, Resource: 5 }), /Resource must be a string/],
    ["principal as a bare ARN", doc({ ...ok, Principal: ok.Principal.AWS }), /Principal must be "\*" or an object/],
    ["unknown principal type", doc({ ...ok, Principal: { Foo: ok.Principal.AWS } }), /unknown principal type "Foo"/],
    ["numeric principal", doc({ ...ok, Principal: { AWS: 5 } }), /Principal.AWS must be a string/],
    ["unknown condition operator", doc({ ...ok, Condition: { StringLikee: { "s3:prefix": ["a*"] } } }), /unknown operator "StringLikee"/],
    ["condition not an object", doc({ ...ok, Condition: "x" }), /Condition must be an object/],
    ["statement not an object", doc("x"), /Statement\[0\] must be an object/],
    ["duplicate key", `{"Version":"2012-10-17","Version":"2012-10-17","Statement":[${JSON.stringify(ok)}]}`, /key "Version" appears twice/],
    ["not JSON", `{"Version":"2012-10-17",`, /not valid JSON/],
  ])("refuses %s and says what is wrong", (_what, json, message) => {
    const problems = policyGrammarProblems(json);
    expect(problems.join("\n")).toMatch(message);
  });

  it("refuses an empty statement list (accepted by RGW 16, refused by servers that follow AWS)", () => {
    expect(policyGrammarProblems(doc())).toEqual([expect.stringMatching(/no statements/)]);
  });

  it("matches actions like RGW: case-insensitive, * and ? as wildcards", () => {
    expect(["s3:getobject", "s3:Get*", "s3:GetObjec?", "*", "s3:*", "iam:PutUserPolicy"].every(rgwKnowsAction)).toBe(true);
    expect(["s3:Nothing*", "iam:CreateUser", "ec2:RunInstances"].some(rgwKnowsAction)).toBe(false);
  });
});

describe("a policy without grants", () => {
  const bucket = "lake";
  const built = buildBucketPolicy({
    bucket,
    ownerProjectId: "1001",
    readers: [{ name: "r", principal: { projectId: "2002", accessKey: "P2002AAAAAAAAAAAAAAA" } }],
    grants: [],
    layout: emptyLayout(`s3://${bucket}/data/`),
  });

  it("has one statement that grants no reader anything, and passes the grammar check", () => {
    expect(built.problems).toEqual([]);
    expect(built.document.Statement).toEqual([noGrantsStatement(bucket, "1001")]);
    expect(policyGrammarProblems(built.json)).toEqual([]);
    for (const action of ["s3:GetObject", "s3:ListBucket", "s3:GetBucketPolicy", "s3:PutBucketPolicy"] as const)
      expect(evaluatePolicy(built.document, "arn:aws:iam:::user/p2002:P2002AAAAAAAAAAAAAAA", action, "data/x", { bucket })).toBe(false);
  });
});

describe("BucketAccessPolicy runs the grammar check before anything is applied", () => {
  const built = () =>
    buildBucketPolicy({
      bucket: "lake",
      ownerProjectId: "1001",
      layout: emptyLayout("s3://lake/data/"),
      readers: [{ name: "r", principal: { projectId: "2002", accessKey: "P2002AAAAAAAAAAAAAAA" } }],
      grants: [{ reader: "r", schema: "s", table: null, mode: "read", key: "r/s/*" }],
    });

  it("lets the generated policy through", async () => {
    const { refuseUnappliable } = await import("../../components/bucketAccessPolicy");
    expect(() => refuseUnappliable(built())).not.toThrow();
  });

  it("fails the preview naming the element when a generator change writes what RGW 16 refuses", async () => {
    const { refuseUnappliable } = await import("../../components/bucketAccessPolicy");
    const p = built();
    // e.g. an action only newer Ceph releases know.
    const document = {
      ...p.document,
      Statement: p.document.Statement.map((s) => ({ ...s, Action: [s.Action, "s3:GetObjectAttributes"].flat() })),
    };
    expect(() => refuseUnappliable({ ...p, document, json: JSON.stringify(document) })).toThrow(
      /would be refused by the S3 server: Statement\[0\]\.Action: "s3:GetObjectAttributes" is not an action Ceph RGW 16 knows/,
    );
  });
});
