// Prints, one per line, `<reader> <accessKey> <secretKey>` for the readers of access.ts, using the keys of
// the local RGW's separate readers project (never the admin key), for scripts/start-local-stack.sh.
// Usage: ts-node --transpile-only scripts/local-reader-keys.ts <credentials.json>
import * as fs from "fs";
import { access } from "../access";
import { localReaderKeys } from "../model/grants";

const creds = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const { principals, secretKeys } = localReaderKeys(
  access.readers.map((r) => r.name),
  creds,
);
for (const [name, p] of Object.entries(principals)) process.stdout.write(`${name} ${p.accessKey} ${secretKeys[name]}\n`);
