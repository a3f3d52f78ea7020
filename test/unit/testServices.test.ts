// What `npm test` says before it starts its services, and what it names when the machine lacks them.
import { missingServicePackages, testRunNeeds } from "../support/services";

describe("the test run's services", () => {
  it("names the missing Ceph binaries and the apt line when they are not on PATH", () => {
    const missing = missingServicePackages("/nonexistent");
    expect(missing.join("\n")).toMatch(
      /radosgw, radosgw-admin, ceph-mon, ceph-osd, ceph, monmaptool, uuidgen, curl \(apt-get install --no-install-recommends radosgw ceph-mon ceph-osd uuid-runtime curl\)/,
    );
  });

  it("finds nothing missing on this machine, where the services run", () => {
    expect(missingServicePackages()).toEqual([]);
  });

  it("says once what the run needs: the services, their ports, the packages, the time", () => {
    const own = testRunNeeds({ pgDir: "/tmp/ducklake-pulumi/test-1/pg", rgwDir: "/tmp/ducklake-pulumi/test-1/rgw", owned: true });
    expect(own).toMatch(
      /^test run: .*PostgreSQL and single-node Ceph RGW on 127\.0\.0\.1 \(first free ports from 54329 and 47480, in \/tmp\/ducklake-pulumi\/test-1; stopped at the end\)\. Needs postgresql-15 and radosgw .*minutes.*\n$/,
    );
    expect(own.split("\n")).toHaveLength(2);
    expect(testRunNeeds({ pgDir: "/a/pg", rgwDir: "/a/rgw", owned: false })).toContain("npm run local:up");
  });
});
