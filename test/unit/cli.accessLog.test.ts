// `npm run access-log`: argument parsing and the printed table (pure; the real database is in
// test/integration/aclChangeLog.cli.test.ts).
import { CliError } from "../../cli/errors";
import { DEFAULT_LIMIT, formatAclLog, main, parseAccessLogArgs, parseLimit, parseSince, USAGE } from "../../cli/accessLog";
import type { AclLogEntry } from "../../postgres/guardClient";

describe("parseAccessLogArgs", () => {
  it("takes the connection source and every filter; defaults to the newest 100 of everyone", () => {
    expect(parseAccessLogArgs(["--stack", "prod"])).toEqual({
      source: { stack: "prod", from: undefined },
      filter: { limit: DEFAULT_LIMIT },
      json: false,
      help: false,
    });
    expect(
      parseAccessLogArgs([
        "--from",
        "c.json",
        "--reader",
        "hr_partner",
        "--schema",
        "hr",
        "--table",
        "salaries",
        "--since",
        "2025-01-31",
        "--limit",
        "5",
        "--json",
      ]),
    ).toEqual({
      source: { from: "c.json", stack: undefined },
      json: true,
      help: false,
      filter: { reader: "hr_partner", schema: "hr", table: "salaries", since: new Date("2025-01-31T00:00:00Z"), limit: 5 },
    });
  });

  it("passes odd names through untouched (they travel as query parameters)", () => {
    const f = parseAccessLogArgs(["--reader", `x"; DROP TABLE y; --`, "--schema", "odd schema;--", "--table", `we"ird 'täble' ✓`]).filter;
    expect(f).toEqual({ reader: `x"; DROP TABLE y; --`, schema: "odd schema;--", table: `we"ird 'täble' ✓`, limit: DEFAULT_LIMIT });
  });

  it.each([
    [["--table", "salaries"], /--table needs a schema too/],
    [["--reader", ""], /--reader is empty/],
    [["--schema", "x".repeat(64)], /--schema .* longer than 63 bytes/],
    [["--limit", "0"], /--limit: expected a whole number from 1 to 100000, got "0"/],
    [["--limit", "1e3"], /--limit: expected a whole number/],
    [["--limit", "100001"], /--limit: expected a whole number/],
    [["--since", "yesterday"], /--since: expected an ISO 8601 date or time/],
    [["--since", "2025-01-31T10:00"], /add Z or an offset/],
    [["--since", "2025-02-30"], /is not a real date/],
    [["--stack", "a", "--from", "b"], /either --from or --stack/],
    [["--reader"], /argument missing|requires a value|--reader/],
    [["--what"], /Unknown option '--what'/],
  ])("%j fails with a message naming the fix", (argv, message) => {
    let err: unknown;
    try {
      parseAccessLogArgs(argv as string[]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CliError);
    expect((err as Error).message).toMatch(message);
  });
});

describe("parseSince / parseLimit", () => {
  it.each([
    ["2025-01-31", "2025-01-31T00:00:00.000Z"],
    ["2025-01-31T09:30:00Z", "2025-01-31T09:30:00.000Z"],
    ["2025-01-31 09:30+01:00", "2025-01-31T08:30:00.000Z"],
    ["2025-01-31T09:30:00.250-0200", "2025-01-31T11:30:00.250Z"],
  ])("%s → %s", (text, iso) => {
    expect(parseSince(text).toISOString()).toBe(iso);
  });
  it("limit: default and bounds", () => {
    expect(parseLimit(undefined)).toBe(100);
    expect(parseLimit("1")).toBe(1);
    expect(parseLimit("100000")).toBe(100_000);
    expect(() => parseLimit("-1")).toThrow(CliError);
  });
});

const entry = (over: Partial<AclLogEntry>): AclLogEntry => ({
  id: 1,
  at: new Date("2025-03-01T12:00:00.123Z"),
  action: "grant",
  reader: "hr_partner",
  readerOid: 16400,
  schema: "hr",
  table: "salaries",
  schemaId: 3,
  tableId: 12,
  grantedAt: new Date("2025-03-01T12:00:00Z"),
  grantedBy: "alice",
  previous: null,
  txid: "1001",
  sessionUser: "alice",
  currentUser: "lake_owner",
  applicationName: "psql",
  clientAddr: "10.0.0.7",
  backendPid: 4242,
  ...over,
});

describe("formatAclLog", () => {
  it("one line per change: UTC time, whole-schema entries, re-pinned ids, session user as effective user, local sessions", () => {
    const out = formatAclLog(
      [
        entry({}),
        entry({
          id: 2,
          action: "update",
          previous: { schema_id: 3, table_id: 9 },
          sessionUser: "lake_owner",
          applicationName: null,
          txid: "1002",
        }),
        entry({ id: 5, action: "revoke", table: null, tableId: null, clientAddr: null, txid: "1003" }),
      ],
      100,
    );
    const lines = out.split("\n");
    expect(lines[0]).toMatch(/^id +at \(UTC\) +action +reader +schema +table +ids +by +application +client +pid +txid$/);
    expect(lines[1]).toMatch(/^[- ]+$/);
    expect(lines[2]).toMatch(
      /^1 +2025-03-01T12:00:00\.123Z +grant +hr_partner +hr +salaries +3\/12 +alice as lake_owner +psql +10\.0\.0\.7 +4242 +1001$/,
    );
    expect(lines[3]).toMatch(/^2 .* update .* 3\/12 \(was 3\/9\) +lake_owner +10\.0\.0\.7 +4242 +1002$/);
    expect(lines[4]).toMatch(/^5 .* revoke .* hr +\(whole schema\) +3 +alice as lake_owner +psql +local +4242 +1003$/);
    expect(lines[5]).toBe("access-log: 3 change(s)");
  });
  it("says when the limit cut older changes off, and when nothing matched", () => {
    expect(
      formatAclLog([entry({}), entry({ id: 2 })], 2)
        .split("\n")
        .pop(),
    ).toBe("access-log: the newest 2 change(s) shown; older ones may exist (raise --limit or narrow with --since)");
    expect(formatAclLog([], 100)).toBe("access-log: no ACL changes match");
  });
  it("an update whose ids did not change shows no 'was'", () => {
    expect(formatAclLog([entry({ action: "update", previous: { schema_id: 3, table_id: 12, reader_oid: 1 } })], 10)).not.toMatch(/was/);
  });
});

describe("main", () => {
  it("--help prints the usage and exits 0 without connecting", async () => {
    const write = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      expect(await main(["--help"])).toBe(0);
      expect(write).toHaveBeenCalledWith(`${USAGE}\n`);
    } finally {
      write.mockRestore();
    }
  });
  it("without a connection source it fails with what to pass", async () => {
    const env = process.env.DUCKLAKE_CONNECTION;
    delete process.env.DUCKLAKE_CONNECTION;
    try {
      await expect(main([])).rejects.toThrow(/no connection info: pass --stack/);
    } finally {
      if (env !== undefined) process.env.DUCKLAKE_CONNECTION = env;
    }
  });
});
