#!/usr/bin/env bash
# Builds the Debian package (scripts/package, i.e. `cargo deb`), installs it
# into a scratch root two ways (`dpkg-deb -x`, and `dpkg --root` with its own
# package database), and checks that:
#   - every file `dpkg-deb -c` lists is where the package says, and the man
#     page, the three completions, README, license and JSON schema are among them;
#   - the installed binary runs on a shipped snapshot and gives its verdict
#     (bridge held by br_netfilter: exit 14, blocked, in text and JSON);
#   - the shipped completions are the ones the installed binary generates, and
#     bash can load its completion;
#   - the shipped man page is the committed one and man can format it;
#   - the shipped schema is the repository's schema/kmod-doctor.schema.json.
# Nothing is installed on this machine: both roots are temporary directories.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

if [ -z "${KMOD_DOCTOR_DEB:-}" ]; then
    scripts/package --quiet
fi
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
ARCH=$(dpkg --print-architecture)
DEB=${KMOD_DOCTOR_DEB:-$ROOT/target/debian/kmod-doctor_${VERSION}-1_${ARCH}.deb}
[ -f "$DEB" ] || { echo "package: $DEB was not built" >&2; exit 1; }

WORK=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT

passed=0
failed=0
check() { # DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: $what" >&2
    fi
}

echo "package: $(basename "$DEB")"
check "package name" test "$(dpkg-deb -f "$DEB" Package)" = kmod-doctor
check "package version" test "$(dpkg-deb -f "$DEB" Version)" = "$VERSION-1"
check "package section" test "$(dpkg-deb -f "$DEB" Section)" = admin

# What the package says it ships (files only), as absolute paths.
dpkg-deb -c "$DEB" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' | sort >"$WORK/listed"
expect=(
    /usr/bin/kmod-doctor
    /usr/share/man/man8/kmod-doctor.8.gz
    /usr/share/bash-completion/completions/kmod-doctor
    /usr/share/zsh/vendor-completions/_kmod-doctor
    /usr/share/fish/vendor_completions.d/kmod-doctor.fish
    /usr/share/doc/kmod-doctor/README.md
    /usr/share/doc/kmod-doctor/LICENSE
    /usr/share/doc/kmod-doctor/copyright
    /usr/share/kmod-doctor/kmod-doctor.schema.json
)
for f in "${expect[@]}"; do
    check "the package lists $f" grep -qxF "$f" "$WORK/listed"
done

# 1. Unpacked with dpkg-deb -x.
X=$WORK/x
dpkg-deb -x "$DEB" "$X"
while read -r f; do
    check "unpacked: $f is where dpkg-deb -c says" test -f "$X$f"
done <"$WORK/listed"

# 2. Installed with dpkg into a scratch root with its own database.
D=$WORK/dpkg
mkdir -p "$D/var/lib/dpkg/updates" "$D/var/lib/dpkg/info"
: >"$D/var/lib/dpkg/status"
# --force-depends: the scratch root has no libc6 package registered; the
# binary runs against this machine's libc below.
if dpkg --root="$D" --force-depends --force-not-root --force-script-chrootless \
    --log=/dev/null -i "$DEB" >"$WORK/dpkg.log" 2>&1; then
    check "dpkg --root: kmod-doctor is installed" \
        grep -q '^Status: install ok installed' <(dpkg --root="$D" -s kmod-doctor 2>/dev/null)
    dpkg --root="$D" -L kmod-doctor | sort >"$WORK/dpkg-listed"
    while read -r f; do
        check "dpkg --root: $f is installed and known to dpkg" test -f "$D$f"
        check "dpkg --root: dpkg -L names $f" grep -qxF "$f" "$WORK/dpkg-listed"
    done <"$WORK/listed"
else
    cat "$WORK/dpkg.log" >&2
    check "dpkg --root installs the package" false
fi

BIN=$D/usr/bin/kmod-doctor
SNAP=$ROOT/tests/fixtures/vm/6.1/bridge-held.tar.gz
check "the installed binary is executable" test -x "$BIN"
check "the installed binary is the packaged one" cmp -s "$BIN" "$X/usr/bin/kmod-doctor"
check "the installed binary names its version" \
    grep -qx "kmod-doctor $VERSION" <("$BIN" --version)

rc=0
"$BIN" --root "$SNAP" --color never check bridge >"$WORK/text" 2>"$WORK/err" || rc=$?
check "check bridge on the bridge-held snapshot exits 14 (blocked), got $rc" test "$rc" = 14
check "the text names the verdict" grep -qi 'blocked' "$WORK/text"
check "the text names the holder" grep -q 'br_netfilter' "$WORK/text"
rc=0
"$BIN" --root "$SNAP" check --format json bridge >"$WORK/json" 2>>"$WORK/err" || rc=$?
check "JSON check exits 14 too, got $rc" test "$rc" = 14
check "JSON verdict is blocked" \
    test "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["verdict"])' "$WORK/json")" = blocked
rc=0
"$BIN" --root "$ROOT/tests/fixtures/vm/6.1/dummy-no-interface.tar.gz" check dummy >/dev/null 2>>"$WORK/err" || rc=$?
check "check dummy on the dummy-no-interface snapshot exits 0 (safe), got $rc" test "$rc" = 0

# Completions: the shipped files are what the installed binary generates.
check "bash completion matches the binary" \
    cmp -s "$D/usr/share/bash-completion/completions/kmod-doctor" <("$BIN" completions bash)
check "zsh completion matches the binary" \
    cmp -s "$D/usr/share/zsh/vendor-completions/_kmod-doctor" <("$BIN" completions zsh)
check "fish completion matches the binary" \
    cmp -s "$D/usr/share/fish/vendor_completions.d/kmod-doctor.fish" <("$BIN" completions fish)
check "zsh completion starts with #compdef kmod-doctor" \
    grep -qx '#compdef kmod-doctor' <(head -1 "$D/usr/share/zsh/vendor-completions/_kmod-doctor")
check "bash loads the completion and registers it for kmod-doctor" \
    bash -c 'source "$1" && complete -p kmod-doctor' _ "$D/usr/share/bash-completion/completions/kmod-doctor" >/dev/null

# Man page: the committed one, compressed.
check "the man page is the committed man/kmod-doctor.8" \
    cmp -s <(gzip -dc "$D/usr/share/man/man8/kmod-doctor.8.gz") "$ROOT/man/kmod-doctor.8"
if command -v man >/dev/null 2>&1; then
    check "man formats the installed page" \
        grep -q 'EXIT STATUS' <(MANWIDTH=80 man -l "$D/usr/share/man/man8/kmod-doctor.8.gz" 2>/dev/null | col -b)
fi

# Docs and schema.
check "README is the repository's" cmp -s "$D/usr/share/doc/kmod-doctor/README.md" "$ROOT/README.md"
check "copyright names the MIT license" grep -q 'MIT' "$D/usr/share/doc/kmod-doctor/copyright"
check "the schema is the repository's" \
    cmp -s "$D/usr/share/kmod-doctor/kmod-doctor.schema.json" "$ROOT/schema/kmod-doctor.schema.json"

if [ -s "$WORK/err" ]; then
    echo "package: stderr of the installed binary:" >&2
    cat "$WORK/err" >&2
fi
echo "package: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
