import { principalArn, principalProblem } from "../../model/principal";
import { checkAccess } from "../../model/grants";

const KEY = "ABCDEFGHIJ0123456789";
describe("principalProblem", () => {
  it("accepts a 20-character key of a project other than the bucket owner's", () => {
    expect(principalProblem({ projectId: "2002", accessKey: KEY }, "1001")).toBeUndefined();
  });
  it.each([
    [{ projectId: "p2002", accessKey: KEY }, /not a Hetzner project id.*without the "p" prefix/],
    [{ projectId: "", accessKey: KEY }, /not a Hetzner project id/],
    [{ projectId: "2002", accessKey: "abcdefghij0123456789" }, /not a Hetzner S3 access key/],
    [{ projectId: "2002", accessKey: KEY.slice(1) }, /not a Hetzner S3 access key/],
    [{ projectId: "2002", accessKey: `${KEY.slice(1)}*` }, /not a Hetzner S3 access key/],
    [
      { projectId: "1001", accessKey: KEY },
      /belongs to project 1001, which owns the bucket.*separate Hetzner project.*ownerProjectKeys: "deny"/s,
    ],
  ])("refuses %j with a message saying how to fix it", (p, message) => {
    expect(principalProblem(p, "1001")).toMatch(message);
  });
  it("accepts an owner-project key only when the Deny fallback is chosen", () => {
    expect(principalProblem({ projectId: "1001", accessKey: KEY }, "1001", { allowOwnerProject: true })).toBeUndefined();
  });
  it("refuses a malformed owner project id", () => {
    expect(principalProblem({ projectId: "2002", accessKey: KEY }, "x")).toMatch(/bucket owner project id/);
  });
});

describe("one project-id rule", () => {
  it("refuses a 13-digit project id in the bucket policy as the access list and config do", () => {
    const long = "1234567890123";
    expect(principalProblem({ projectId: long, accessKey: KEY }, "1001")).toMatch(/not a Hetzner project id/);
    expect(
      checkAccess({ readers: [{ name: "alice", principal: { projectId: long, accessKey: KEY } }], grants: [] }, { ownerProjectId: "1001" })
        .errors,
    ).toEqual([
      `readers[0] ("alice"): principal.projectId "${long}" is not a Hetzner project id; write the numeric id as a string, e.g. "2002"`,
    ]);
    expect(principalProblem({ projectId: "123456789012", accessKey: KEY }, "1001")).toBeUndefined();
  });
});

describe("principalArn", () => {
  it("names exactly one key in RGW's user:subuser form", () => {
    expect(principalArn({ projectId: "2002", accessKey: KEY })).toBe(`arn:aws:iam:::user/p2002:${KEY}`);
  });
});
