import type { ResourceValidationPolicy } from "@pulumi/policy";

const TLS_MODES = new Set(["require", "verify-ca", "verify-full"]);
const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|::1)$/;

/** Catalog traffic carries passwords and table names: TLS unless PostgreSQL is on this machine. */
export const postgresqlProviderTlsRequired: ResourceValidationPolicy = {
  name: "postgresql-provider-tls-required",
  description: "The PostgreSQL provider connects with sslmode require/verify-ca/verify-full unless the host is loopback.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== "pulumi:providers:postgresql") return;
    const host = args.props.host;
    const mode = args.props.sslmode ?? args.props.sslMode;
    if (typeof host === "string" && LOOPBACK.test(host)) return;
    if (typeof mode !== "string" || !TLS_MODES.has(mode))
      reportViolation(
        `${args.name}: sslmode ${mode === undefined ? "is not set" : `"${mode}"`} for ${host ?? "the catalog host"}; set sslmode "verify-full" (with the server CA) so passwords never travel in clear`,
      );
  },
};
