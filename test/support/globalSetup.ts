import * as path from "path";
import { quietNodeVersionWarning } from "../../cli/errors";
import { serviceDirs, startServices, testRunNeeds } from "./services";

// Starts PostgreSQL and Ceph RGW once for the whole run; test files get their own database/bucket.
export default async function globalSetup(): Promise<void> {
  // Set before the workers start, so they and the CLIs the tests spawn inherit it.
  quietNodeVersionWarning();
  process.stderr.write(testRunNeeds(serviceDirs()));
  const dirs = startServices();
  process.env.LAKE_TEST_PG = path.join(dirs.pgDir, "connection.json");
  process.env.LAKE_TEST_RGW = path.join(dirs.rgwDir, "credentials.json");
  process.env.LAKE_TEST_SERVICE_DIRS = JSON.stringify(dirs);
}
