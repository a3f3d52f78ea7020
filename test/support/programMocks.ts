// Outputs the real providers would compute for the program's resources, so its applies see realistic values
// under Pulumi mocks (shared by the program-level mock suites).

/** A syntactically valid PEM block with a fixed body. */
export const pem = (label: string, body = "QUJD") => `-----BEGIN ${label}-----\n${body.repeat(16)}\n-----END ${label}-----\n`;

/** The mocked state of one resource; `caCertPem` is what the stack's self-signed CA returns (default: a plain PEM). */
export function mockResourceState(
  type: string,
  name: string,
  inputs: Record<string, any>,
  o: { serverIp: string; caCertPem?: string },
): Record<string, any> {
  switch (type) {
    case "tls:index/privateKey:PrivateKey":
      return {
        ...inputs,
        privateKeyPem: pem("EC PRIVATE KEY"),
        privateKeyOpenssh: pem("OPENSSH PRIVATE KEY"),
        publicKeyOpenssh: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA${name.replace(/[^A-Za-z0-9]/g, "")}\n`,
      };
    case "tls:index/selfSignedCert:SelfSignedCert":
      return { ...inputs, certPem: o.caCertPem ?? pem("CERTIFICATE") };
    case "tls:index/locallySignedCert:LocallySignedCert":
      return { ...inputs, certPem: pem("CERTIFICATE") };
    case "tls:index/certRequest:CertRequest":
      return { ...inputs, certRequestPem: pem("CERTIFICATE REQUEST") };
    case "random:index/randomPassword:RandomPassword":
      return { ...inputs, result: `Pw${name.replace(/[^A-Za-z0-9]/g, "")}0123456789abcdef` };
    case "hcloud:index/primaryIp:PrimaryIp":
      return { ...inputs, ipAddress: o.serverIp };
    case "hcloud:index/server:Server":
      return { ...inputs, ipv6Address: "2001:db8:1::1" };
    case "command:remote:Command":
      return { ...inputs, stdout: "PostgreSQL accepts verify-full TLS connections" };
    default:
      return inputs;
  }
}
