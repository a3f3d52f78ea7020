# Installs root's authorized_keys from stdin (one OpenSSH public key per line), atomically. Run by the
# remote command `<server>-authorized-keys`: rotating the operator's key re-runs this command and never
# touches the server (its sshKeys are only read by Hetzner at creation).
# Env override (tests): SSH_DIR (default /root/.ssh).
set -euo pipefail
dir=${SSH_DIR:-/root/.ssh}
install -d -m 700 "$dir"
tmp=$(mktemp "$dir/authorized_keys.XXXXXX")
cat > "$tmp"
# Refuse input that is not a list of public keys: a mistake here would lock everyone out.
if ! [ -s "$tmp" ] || grep -qvE '^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com) [A-Za-z0-9+/]+={0,3}( .*)?$' "$tmp"; then
  rm -f "$tmp"; echo "install-authorized-keys: stdin is not a list of OpenSSH public keys; authorized_keys unchanged" >&2; exit 1
fi
chmod 600 "$tmp"
mv -f "$tmp" "$dir/authorized_keys"
echo "install-authorized-keys: $(wc -l < "$dir/authorized_keys") key(s) for root"
