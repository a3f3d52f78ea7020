// Reads the server-side scripts shipped in templates/ (the only file I/O behind model/cloudInit.ts).
import * as fs from "fs";
import type { ServerScripts } from "../model/cloudInit";
import { repoFile } from "../repoFiles";

const read = (file: string) => fs.readFileSync(repoFile("templates", file), "utf8");

export function loadServerScripts(): ServerScripts {
  return {
    setup: read("ducklake-setup.sh"),
    applyAccess: read("apply-access.sh"),
    backup: read("ducklake-backup.sh"),
    tlsReady: read("postgres-tls-ready.sh"),
    bootstrapAdminSql: read("bootstrap-admin.sql"),
    receiveSecrets: read("receive-secrets.sh"),
  };
}

/** The authorized_keys installer run over SSH (not part of the server's files). */
export function loadAuthorizedKeysScript(): string {
  return read("install-authorized-keys.sh");
}
