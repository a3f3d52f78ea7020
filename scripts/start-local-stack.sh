#!/usr/bin/env bash
# npm start: the whole lake on this machine, no account, no cloud.
#  1. starts the throw-away PostgreSQL and Ceph RGW (scripts/local-pg.sh, scripts/local-rgw.sh),
#  2. uses Pulumi's file backend in ./.pulumi-state (git-ignored) and the passphrase secrets provider,
#  3. copies this start's ports, passwords and keys into the `local` stack config (secrets encrypted),
#  4. runs `pulumi up --stack local` (extra arguments are passed on, e.g. `npm start -- --yes`).
# PULUMI_CONFIG_PASSPHRASE defaults to "ducklake-local": it only guards this throw-away local stack.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
pulumi_bin=${PULUMI:-pulumi}

if ! command -v "$pulumi_bin" >/dev/null 2>&1; then
  cat >&2 <<'MSG'
npm start needs the Pulumi CLI, and it is not installed (or not on PATH). Nothing was started.
Install it, then run `npm start` again:
  curl -fsSL https://get.pulumi.com | sh        # Linux and macOS; installs into ~/.pulumi/bin
  export PATH="$HOME/.pulumi/bin:$PATH"
  # or: brew install pulumi/tap/pulumi
No Pulumi account is needed: the local stack keeps its state in ./.pulumi-state.
MSG
  exit 1 # it did not do its job: `npm start && npm run status` must stop here
fi

export LAKE_PG_DIR=${LAKE_PG_DIR:-/tmp/ducklake-pulumi/pg-$(id -u)}
export LAKE_RGW_DIR=${LAKE_RGW_DIR:-/tmp/ducklake-pulumi/rgw-$(id -u)}
bash scripts/local-pg.sh start >/dev/null
bash scripts/local-rgw.sh start >/dev/null

# Reads one value (a.b path) from a JSON file the local service scripts wrote.
json() { node -e 'const v = process.argv[2].split(".").reduce((o, k) => o[k], require(process.argv[1])); process.stdout.write(String(v));' "$1" "$2"; }
pg="$LAKE_PG_DIR/connection.json"
s3="$LAKE_RGW_DIR/credentials.json"

mkdir -p "$repo/.pulumi-state"
export PULUMI_BACKEND_URL="file://$repo/.pulumi-state"
if [ -z "${PULUMI_CONFIG_PASSPHRASE+x}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  export PULUMI_CONFIG_PASSPHRASE=ducklake-local
fi
export PULUMI_SKIP_UPDATE_CHECK=1

"$pulumi_bin" stack select local --create --secrets-provider passphrase
set_plain() { "$pulumi_bin" config set --stack local "$1" "$2"; }
# Secrets go through stdin, so they never appear on a command line.
set_secret() { printf '%s' "$2" | "$pulumi_bin" config set --stack local --secret "$1"; }
set_plain ducklake:localPgHost "$(json "$pg" host)"
set_plain ducklake:localPgPort "$(json "$pg" port)"
set_plain ducklake:localPgUser "$(json "$pg" user)"
set_secret ducklake:localPgPassword "$(json "$pg" password)"
set_plain ducklake:s3Endpoint "$(json "$s3" endpoint)"
set_plain ducklake:s3Region "$(json "$s3" region)"
set_plain ducklake:ownerProjectId "$(json "$s3" adminProject)"
set_secret ducklake:s3AccessKey "$(json "$s3" admin.accessKey)"
set_secret ducklake:s3SecretKey "$(json "$s3" admin.secretKey)"

# Readers of access.ts get keys of the local readers project (p<readerProject>), one each, in name order.
while read -r reader access_key secret_key; do
  "$pulumi_bin" config set --stack local --path "ducklake:readerPrincipals.$reader.projectId" "$(json "$s3" readerProject)"
  "$pulumi_bin" config set --stack local --path "ducklake:readerPrincipals.$reader.accessKey" "$access_key"
  printf '%s' "$secret_key" | "$pulumi_bin" config set --stack local --secret --path "ducklake:readerSecretKeys.$reader"
done < <(node_modules/.bin/ts-node --transpile-only scripts/local-reader-keys.ts "$s3")

exec "$pulumi_bin" up --stack local "$@"
