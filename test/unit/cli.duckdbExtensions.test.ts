import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { EXTENSIONS_ENV, findOfflineExtensions, instanceOptions, siblingExtensionsDir } from "../../cli/duckdbExtensions";

describe("offline DuckDB extensions", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "duck-ext-"));
  const repo = path.join(tmp, "repo");
  const sibling = path.join(tmp, "shared", "duckdb", "extensions");
  beforeAll(() => {
    fs.mkdirSync(repo);
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("none found: DuckDB's defaults, no unsigned extensions", () => {
    expect(findOfflineExtensions({}, repo)).toBeUndefined();
    expect(instanceOptions(undefined)).toEqual({});
  });
  it("the folder next to the checkout (<repo>/../shared/duckdb/extensions)", () => {
    fs.mkdirSync(sibling, { recursive: true });
    expect(siblingExtensionsDir(repo)).toBe(sibling);
    const found = findOfflineExtensions({}, repo);
    expect(found).toEqual({ dir: sibling, source: "sibling" });
    expect(instanceOptions(found)).toEqual({ allow_unsigned_extensions: "true", extension_directory: sibling });
  });
  it("the environment variable wins; a folder it names must exist", () => {
    const own = path.join(tmp, "own");
    fs.mkdirSync(own);
    expect(findOfflineExtensions({ [EXTENSIONS_ENV]: own }, repo)).toEqual({ dir: own, source: "env" });
    expect(() => findOfflineExtensions({ [EXTENSIONS_ENV]: path.join(tmp, "missing") }, repo)).toThrow(
      /DUCKLAKE_DUCKDB_EXTENSIONS=.*missing: no such folder .* unset it to let DuckDB install the official extensions/,
    );
  });
});
