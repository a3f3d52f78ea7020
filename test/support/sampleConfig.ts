// Complete, valid stack configs the unit tests start from (spread them and override the keys a test is about):
// a hetzner stack and a local one. Keys and values only; no secret here is real.

export const HETZNER_CONFIG: Readonly<Record<string, string>> = {
  "ducklake:target": "hetzner",
  "ducklake:bucketName": "acme-lake",
  "ducklake:sshPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB6vLTUhrAjb9jSXXHbSjeDM5R4pYuBnWXbC1rXmlWcL me@laptop",
  "ducklake:adminIps": '["203.0.113.7/32"]',
  "ducklake:s3AccessKey": "ABCDEFGHIJKLMNOPQRST",
  "ducklake:s3SecretKey": "abcdefghijklmnopqrstuvwxyz0123456789ABCD",
  "ducklake:ownerProjectId": "1234567",
};

export const LOCAL_CONFIG: Readonly<Record<string, string>> = {
  "ducklake:target": "local",
  "ducklake:bucketName": "ducklake-local",
  "ducklake:s3Endpoint": "http://127.0.0.1:47480",
  "ducklake:s3AccessKey": "P1001ABCDEFGHIJKLMNO",
  "ducklake:s3SecretKey": "abcdefghijklmnopqrstuvwxyz0123456789ABCD",
  "ducklake:ownerProjectId": "1001",
  "ducklake:localPgPort": "54329",
  "ducklake:localPgPassword": "localSuperuserPw",
};

/** The external target's keys every such stack has; tests add the admin login, port and CA they are about. */
export const EXTERNAL_CONFIG: Readonly<Record<string, string>> = {
  "ducklake:target": "external",
  "ducklake:bucketName": "acme-lake",
  "ducklake:s3AccessKey": "ABCDEFGHIJKLMNOPQRST",
  "ducklake:s3SecretKey": "abcdefghijklmnopqrstuvwxyz0123456789ABCD",
  "ducklake:ownerProjectId": "1234567",
  "ducklake:externalPgHost": "lake-db.example.com",
};
