import { stopServices } from "./services";

export default async function globalTeardown(): Promise<void> {
  const dirs = JSON.parse(process.env.LAKE_TEST_SERVICE_DIRS ?? "null");
  if (dirs?.owned) stopServices(dirs);
}
