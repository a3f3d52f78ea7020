// The stack's CA as a file for the postgresql provider plugin: terraform-provider-postgresql passes
// `sslrootcert` to lib/pq as a path (provider.go schema, config.go connParams), never as PEM. Pulumi runs
// the plugin on the machine that runs `pulumi up`, so the program writes the file there, before the
// provider is configured. Refresh and destroy do not run the program: they read the file at the path in
// the state (docs/infrastructure.md says how to recreate it).
import * as fs from "fs";
import * as path from "path";

/** Writes `pem` (one certificate or a bundle) to `file` (absolute path, parent created) unless it already holds exactly that; returns `file`. */
export function writeCaFile(file: string, pem: string): string {
  if (!path.isAbsolute(file))
    throw new Error(`CA file ${JSON.stringify(file)} must be an absolute path (the plugin's working directory is not the program's)`);
  // One certificate, or a bundle (managed services publish CA bundles; lib/pq and libpq load every one in the file).
  if (!/^(-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n?)+$/.test(pem))
    throw new Error("the server CA is not one PEM certificate (or a bundle of them)");
  const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
  if (current !== pem) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, pem, { mode: 0o644 });
    fs.renameSync(tmp, file);
  }
  return file;
}
