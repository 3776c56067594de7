#!/usr/bin/env bash
# Regenerates the committed seed corpora (fuzz/corpus/<target>/seed-*) from the repository's
# fixtures (testdata/, examples/). Deterministic: same fixtures, same seeds. Run from anywhere.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
corpus="$root/fuzz/corpus"
for t in index version constraint sources pin pin_multi; do
    mkdir -p "$corpus/$t"
    rm -f "$corpus/$t"/seed-*
done

# index: Release files, and the first stanzas of each Packages fixture (libFuzzer's default
# -max_len is 4096 bytes, so whole indexes would only be cut).
n=0
for f in "$root"/testdata/repos/*/*/Release.in "$root"/examples/docker-buster/repo/dists/*/Release; do
    n=$((n + 1)); head -c 4096 "$f" > "$corpus/index/seed-release-$n"
done
head -c 4096 "$root/testdata/keys/debian-bookworm.InRelease" > "$corpus/index/seed-inrelease"
n=0
for f in "$root"/testdata/repos/*/*/*/*.Packages; do
    n=$((n + 1))
    # first three stanzas
    awk 'BEGIN{RS=""; ORS="\n\n"} NR<=3' "$f" | head -c 4096 > "$corpus/index/seed-packages-$n"
done

# version: triples of versions (one per line) from the Packages fixtures, plus dpkg's corner cases.
versions=$(grep -h '^Version:' "$root"/testdata/repos/*/*/*/*.Packages | cut -d' ' -f2 | sort -u)
n=0
while read -r a && read -r b && read -r c; do
    n=$((n + 1)); printf '%s\n%s\n%s' "$a" "$b" "$c" > "$corpus/version/seed-fixtures-$n"
done <<< "$versions"
n=0
for t in '1.0~rc1\n1.0\n1.0+b1' '1:0\n0:9\n9' '1.0-1\n1.0-1~\n1.0-1+' 'a\n1.0 beta\n:1' \
         '5:20.10.23~3-0~debian-buster\n5:23.0.1-1~debian.10~buster\n1:99' '0-0\n00\n0.0' \
         '~~\n~~a\n~' '1-\n-1\n1:' '4294967295:1\n4294967296:1\n01:1'; do
    n=$((n + 1)); printf "$t" > "$corpus/version/seed-dpkg-$n"
done

# constraint: a constraint line, then versions to match against it.
n=0
for c in '^20.10' '*' '>= 1.6.9' '~23.0' '>= 5:20.10, < 5:24' '= 5:23.0.1-1~debian.10~buster' \
         '>> 1.0' '<< 2:0' '^19.03' '>=1.2.3, <2' '> 1.0' '=1.6.18-1' ''; do
    n=$((n + 1))
    printf '%s\n5:20.10.23~3-0~debian-buster\n5:23.0.1-1~debian.10~buster\n1.6.18-1\n19.03.15~3-0' "$c" \
        > "$corpus/constraint/seed-$n"
done

# sources: one-line sources and deb822 stanzas.
n=0
for s in 'deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] https://example.org/debian buster stable' \
         'deb [arch=amd64,arm64 signed-by=keys/test-repo.asc] repo buster stable' \
         'deb-src https://example.org/debian buster main' \
         'deb [trusted=yes] http://x/ ./' \
         'deb [ arch=amd64 check-valid-until=no ] https://user:Secr3tPW@example.org/debian bookworm main contrib' \
         'deb file:///srv/repo stable main # comment'; do
    n=$((n + 1)); printf '%s\n' "$s" > "$corpus/sources/seed-line-$n"
done
printf 'Types: deb deb-src\nURIs: https://a.example/ubuntu https://b.example/ubuntu\nSuites: noble\nComponents: stable\nArchitectures: arm64\nSigned-By: /etc/apt/keyrings/docker.asc\n\nTypes: deb-src\nURIs: http://x/\nSuites: a\nComponents: b\n\nTypes: deb\nEnabled: no\nURIs: http://x/\nSuites: a\nComponents: b\n' \
    > "$corpus/sources/seed-deb822-1"
printf 'Types: deb\nURIs: http://x/\nSuites: a\nComponents: b\nSigned-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n abc\n -----END PGP PUBLIC KEY BLOCK-----\n' \
    > "$corpus/sources/seed-deb822-2"

# pin: every fixture playbook of testdata/pin and the examples' playbooks.
# (Files of a case that uses several files, e.g. roles/, are each one seed, named by their path.)
(cd "$root/testdata/pin" && find . -path '*/in/*' -type f | sort) | while read -r f; do
    name=$(echo "${f#./}" | tr '/' '-')
    cp "$root/testdata/pin/$f" "$corpus/pin/seed-$name"
done
for f in "$root"/examples/*/*.yml; do
    cp "$f" "$corpus/pin/seed-example-$(basename "$(dirname "$f")")-$(basename "$f")"
done
# pin_multi: the same playbooks, pinned with two targets.
cp "$corpus"/pin/seed-* "$corpus/pin_multi/"
for t in index version constraint sources pin pin_multi; do
    echo "$t: $(ls "$corpus/$t" | wc -l) seeds"
done
