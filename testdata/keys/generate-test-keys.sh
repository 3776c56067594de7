#!/usr/bin/env bash
# Regenerates the THROWAWAY test key pairs in this directory with real gpg.
# They are public test keys with empty passphrases: never use them for anything but tests.
#
#   testdata/keys/generate-test-keys.sh
#
# Each key: a certify-only primary key and a signing subkey, created 2024-01-01 00:00:00 UTC,
# no expiry. Files: <name>.pub.asc (gpg --export --armor), <name>.sec.asc (--export-secret-keys).
set -euo pipefail
cd "$(dirname "$0")"
home=$(mktemp -d /tmp/plk.XXXXXX)   # short path: gpg-agent's socket path must stay < ~107 bytes
trap 'gpgconf --homedir "$home" --kill gpg-agent 2>/dev/null || true; rm -rf "$home"' EXIT
created=1704067200
g() { gpg --homedir "$home" --batch --pinentry-mode loopback --passphrase '' --faked-system-time "$created!" "$@"; }

make_key() { # name algo uid
  local name=$1 algo=$2 uid=$3 fpr
  g --quick-gen-key "$uid" "$algo" cert never 2>/dev/null
  fpr=$(gpg --homedir "$home" --with-colons --list-keys "$uid" | awk -F: '/^fpr/{print $10; exit}')
  g --quick-add-key "$fpr" "$algo" sign never 2>/dev/null
  gpg --homedir "$home" --export --armor "$fpr" > "$name.pub.asc"
  g --export-secret-keys --armor "$fpr" > "$name.sec.asc"
  echo "$name: $fpr"
}
make_key test-ed25519 ed25519 'pinlock test key ed25519 (THROWAWAY TEST KEY) <test-ed25519@pinlock.invalid>'
make_key test-rsa4096 rsa4096 'pinlock test key rsa4096 (THROWAWAY TEST KEY) <test-rsa4096@pinlock.invalid>'
