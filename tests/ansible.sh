#!/usr/bin/env bash
# The Ansible collection (collections/ansible_collections/kmod_doctor/kmod_doctor):
#
#  1. `ansible-test sanity` on it (offline tests only; see SANITY_SKIP below);
#  2. its playbook kmod_doctor.kmod_doctor.safe_unload over seven inventory
#     hosts (local connection), each backed by a snapshot the VM suite captured
#     on a real Debian kernel (tests/fixtures/vm/), with the real
#     community.general.modprobe from the `ansible` package:
#       web-61, web-612   dummy idle            safe        → modprobe reached (check mode)
#       spare-612         dummy not loaded      not-loaded  → skipped
#       br-61, br-612     bridge held           blocked     → skipped, reasons printed
#       vm-612            virtio_net on route   danger      → skipped, reasons printed
#       nf-61             br_netfilter          caution     → skipped unless allowed
#     in --check mode, and asserts exactly that, plus the fleet summary
#     (Markdown and JSON) the playbook writes;
#  3. with caution allowed and a host whose snapshot is missing (it fails, the
#     others go on, the summary names it);
#  4. without --check on the same snapshots: nothing may call modprobe (a
#     snapshot rehearsal never acts on this machine) - a recording modprobe
#     first in PATH proves it was never run;
#  5. examples/ansible/playbook.yml (which imports the collection's playbook)
#     passes --syntax-check.
# Nothing is unloaded from this machine.
#
# Python packages are pinned (ANSIBLE_PINS) and installed from PyPI into a
# venv under ~/.cache/kmod-doctor (KMOD_DOCTOR_CACHE) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ANSIBLE_PINS=(ansible==12.3.0 ansible-core==2.19.14)
# The venv and ansible-test's own venvs live outside the clone, so that CI's
# fresh clones on one machine reuse them; each is made when missing.
CACHE=${KMOD_DOCTOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kmod-doctor}/ansible-12.3.0
VENV=$CACHE/venv
COLL=$ROOT/collections/ansible_collections/kmod_doctor/kmod_doctor

have_pins() {
    "$VENV/bin/python" - "${ANSIBLE_PINS[@]}" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
sys.exit(0 if all(version(p.split("==")[0]) == p.split("==")[1] for p in sys.argv[1:]) else 1)
PY
}
if ! have_pins; then
    echo "ansible: installing ${ANSIBLE_PINS[*]} into $VENV"
    mkdir -p "$CACHE"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "${ANSIBLE_PINS[@]}"
fi
export PATH=$VENV/bin:$PATH

cargo build --quiet
BIN=$ROOT/target/debug/kmod-doctor

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
lacks() { # PATTERN TEXT: no line matches the extended regex
    ! grep -Eq "$1" <<<"$2"
}
# Section of the default callback's output for one task.
task() { # OUTPUT TASK-NAME-PREFIX
    awk -v t="$2" 'index($0, "TASK [") == 1 { on = (index($0, "TASK [" t) == 1 || index($0, " : " t) != 0) } on' "$1"
}
json() { # FILE PYTHON-EXPRESSION-ON-d
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}

# --------------------------------------------------------------- 1. sanity
# Every ansible-test sanity test, on this machine's Python (--local): each
# test that needs packages gets a venv, which ansible-test bootstraps with a
# get-pip script from a host that is not a package registry (unreachable
# here); its cache is seeded with tests/ansible/get_pip_from_ensurepip.py,
# which bootstraps pip from Python's ensurepip and takes the rest from PyPI.
# ansible-test runs with HOME in $CACHE so that those venvs stay there.
# It wants the collection at .../ansible_collections/NS/NAME, in git, with no
# stray files (__pycache__), so it runs on a clean copy.
echo "ansible: ansible-test sanity"
AT_HOME=$CACHE/ansible-test-home
PYV=$("$VENV/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
PIP_VERSION=$(sed -n "s/^ *pip='\([0-9.]*\)',$/\1/p" \
    "$("$VENV/bin/python" -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')/_internal/python_requirements.py" | head -1)
mkdir -p "$AT_HOME/.ansible/test/cache"
cp "$ROOT/tests/ansible/get_pip_from_ensurepip.py" "$AT_HOME/.ansible/test/cache/get_pip_${PIP_VERSION//./_}.py"
SAN=$WORK/sanity/ansible_collections/kmod_doctor/kmod_doctor
mkdir -p "$SAN"
cp -r "$COLL/." "$SAN/"
find "$SAN" -name __pycache__ -prune -exec rm -rf {} +
(cd "$SAN" && git init -q . && git add -A)
if (cd "$SAN" && HOME=$AT_HOME ansible-test sanity --python "$PYV" --local >"$WORK/sanity.log" 2>&1); then
    check "ansible-test sanity" true
else
    grep -vE '^(Collecting|  Downloading|Requirement|Installing collected|Successfully|  Attempting|    Found|    Uninstalling|      Successfully| +━)' "$WORK/sanity.log" >&2
    check "ansible-test sanity" false
fi
echo "  $(grep -c '^Running sanity test' "$WORK/sanity.log") sanity tests ran: $(sed -n 's/^Running sanity test "\([^"]*\)".*/\1/p' "$WORK/sanity.log" | tr '\n' ' ')"
# The module's and the filter's documentation parse and name their options.
check "ansible-doc: the check module documents root" \
    grep -q 'root' <(ANSIBLE_COLLECTIONS_PATH=$ROOT/collections ansible-doc kmod_doctor.kmod_doctor.check 2>&1)
check "ansible-doc: the filter is documented" \
    grep -q 'allow_caution' <(ANSIBLE_COLLECTIONS_PATH=$ROOT/collections ansible-doc -t filter kmod_doctor.kmod_doctor.fleet_summary 2>&1)
check "ansible-doc: the role's arguments are documented" \
    grep -q 'safe_unload_allow_caution' <(ANSIBLE_COLLECTIONS_PATH=$ROOT/collections ansible-doc -t role kmod_doctor.kmod_doctor.safe_unload 2>&1)
# The real community.general.modprobe is the one used: the ansible package's.
check "community.general.modprobe comes from the ansible package" \
    grep -q "$VENV/lib/.*/ansible_collections/community/general/plugins/modules/modprobe.py" \
    <(ANSIBLE_COLLECTIONS_PATH=$ROOT/collections ansible-doc community.general.modprobe 2>&1 | head -3)

# ------------------------------------------------------------ 2. the fleet
F=$ROOT/tests/fixtures/vm
printf '[defaults]\nforks = 4\n' >"$WORK/ansible.cfg"
cat >"$WORK/inventory.ini" <<EOF
[fleet]
web-61    safe_unload_root=$F/6.1/dummy-no-interface.tar.gz       safe_unload_module=dummy
web-612   safe_unload_root=$F/6.12/dummy-no-interface.tar.gz      safe_unload_module=dummy
spare-612 safe_unload_root=$F/6.12/not-loaded-dummy.tar.gz safe_unload_module=dummy
br-61     safe_unload_root=$F/6.1/bridge-held.tar.gz      safe_unload_module=bridge
br-612    safe_unload_root=$F/6.12/bridge-held.tar.gz     safe_unload_module=bridge
vm-612    safe_unload_root=$F/6.12/virtio-net-route.tar.gz safe_unload_module=virtio_net
nf-61     safe_unload_root=$F/6.1/dashed-br-netfilter.tar.gz safe_unload_module=br-netfilter

[fleet:vars]
ansible_host=localhost
ansible_connection=local
ansible_python_interpreter=$VENV/bin/python
safe_unload_binary=$BIN
safe_unload_become=false
EOF

# A modprobe that records its arguments and fails: first in PATH, it is what
# community.general.modprobe would run.
mkdir -p "$WORK/bin"
cat >"$WORK/bin/modprobe" <<EOF
#!/bin/sh
echo "\$*" >>"$WORK/modprobe-calls"
exit 1
EOF
chmod +x "$WORK/bin/modprobe"

run() { # OUTPUT INVENTORY EXTRA-ARGS... → the playbook's exit code
    local out=$1 inv=$2
    shift 2
    local rc=0
    PATH=$WORK/bin:$PATH ANSIBLE_COLLECTIONS_PATH=$ROOT/collections \
        ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_CONFIG=$WORK/ansible.cfg \
        ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_HOST_KEY_CHECKING=false \
        ANSIBLE_RETRY_FILES_ENABLED=false \
        ansible-playbook -i "$inv" kmod_doctor.kmod_doctor.safe_unload "$@" >"$out" 2>&1 || rc=$?
    return $rc
}
recap_ok() { # OUTPUT HOST: the host ends with failed=0
    grep -Eq "^$2 +: ok=[0-9]+ +changed=[0-9]+ +unreachable=0 +failed=0" "$1"
}

echo "ansible: the fleet, --check"
rc=0
run "$WORK/out1" "$WORK/inventory.ini" --check -v -e "safe_unload_summary_dir=$WORK/s1" || rc=$?
[ "$rc" = 0 ] || cat "$WORK/out1" >&2
check "the check-mode run succeeds (exit $rc)" test "$rc" = 0
remove=$(task "$WORK/out1" "Remove")
why=$(task "$WORK/out1" "Say why")
for h in web-61 web-612; do
    check "modprobe reached for the safe host $h" grep -Eq "^(changed|ok|fatal): \[$h\]" <<<"$remove"
    check "no reasons printed for the safe host $h" lacks "\"$h: " "$why"
    check "$h ends without failure" recap_ok "$WORK/out1" "$h"
done
for h in spare-612 br-61 br-612 vm-612 nf-61; do
    check "modprobe skipped on $h" grep -q "^skipping: \[$h\]" <<<"$remove"
    check "modprobe never reached $h" lacks "^(changed|ok|fatal): \[$h\]" "$remove"
    check "$h ends without failure" recap_ok "$WORK/out1" "$h"
done
check "br-61: reason printed" grep -q '"br-61: bridge is blocked, skipped: the kernel will refuse' <<<"$why"
check "br-61: the holder is named" grep -q 'bridge is in use by br_netfilter' <<<"$why"
check "vm-612: reason printed" grep -q '"vm-612: virtio_net is danger, skipped' <<<"$why"
check "vm-612: the default route is named" grep -qi 'default route' <<<"$why"
check "nf-61: caution is skipped by default" grep -q '"nf-61: br-netfilter is caution, skipped' <<<"$why"
check "next steps printed" grep -q 'modprobe --remove br_netfilter' <<<"$why"
# What the real module did on the safe hosts, in check mode: previewed the
# removal (ok/changed), or, where this machine has no /proc/modules (a
# container), said so and was ignored.
if [ -e /proc/modules ]; then
    check "modprobe preview ok on web-61" grep -Eq '^(changed|ok): \[web-61\]' <<<"$remove"
else
    check "the real module read /proc/modules (none here)" grep -q '/proc/modules' <<<"$remove"
fi
check "check mode never ran modprobe without -n" \
    lacks '^(-r|--remove) [a-z_]+$' "$(cat "$WORK/modprobe-calls" 2>/dev/null)"

S=$WORK/s1/fleet-summary.json
M=$WORK/s1/fleet-summary.md
check "the summary JSON is written" test -s "$S"
check "the summary Markdown is written" test -s "$M"
if [ -s "$S" ]; then
    # One module's entry: FIELD, then a Python expression on e (each entry).
    hosts() { json "$S" "[e if isinstance(e, str) else e['host'] for m in d['modules'] if m['module']=='$1' for e in m['$2']]"; }
    field() { json "$S" "sorted({x for m in d['modules'] if m['module']=='$1' for e in m['$2'] for x in ([e['$3']] if isinstance(e['$3'], str) else e['$3'])})"; }
    check "summary: dummy can be unloaded now on web-61 and web-612" test "$(hosts dummy unload_now)" = "['web-61', 'web-612']"
    check "summary: dummy: nothing to unload on spare-612" test "$(hosts dummy nothing_to_unload)" = "['spare-612']"
    check "summary: spare-612 is not-loaded" test "$(field dummy nothing_to_unload verdict)" = "['not-loaded']"
    check "summary: dummy stays nowhere" test "$(hosts dummy blocked)" = "[]"
    check "summary: bridge stays on br-61 and br-612" test "$(hosts bridge blocked)" = "['br-61', 'br-612']"
    check "summary: bridge is blocked" test "$(field bridge blocked verdict)" = "['blocked']"
    check "summary: bridge is blocked by held-by-modules" test "$(field bridge blocked by)" = "['held-by-modules']"
    check "summary: bridge can be unloaded nowhere" test "$(hosts bridge unload_now)" = "[]"
    check "summary: virtio_net stays on vm-612" test "$(hosts virtio_net blocked)" = "['vm-612']"
    check "summary: virtio_net is danger" test "$(field virtio_net blocked verdict)" = "['danger']"
    check "summary: the default route is what holds virtio_net" grep -q "'default-route'" <<<"$(field virtio_net blocked by)"
    check "summary: br_netfilter needs care on nf-61" test "$(hosts br_netfilter caution)" = "['nf-61']"
    check "summary: every host has a verdict" test "$(json "$S" "d['no_verdict']")" = "[]"
    check "summary Markdown: the dummy row" grep -q '^| `dummy` | web-61, web-612 | — |' "$M"
    check "summary Markdown: bridge blocked by held-by-modules" grep -q 'br-61 — blocked: held-by-modules' "$M"
    check "summary Markdown: spare-612 has nothing to unload" grep -q 'spare-612 (not-loaded)' "$M"
    check "summary printed in the run" grep -q 'web-61, web-612' <(task "$WORK/out1" "Print the fleet summary")
fi

# ------------------------------------------- 3. caution allowed, a broken host
echo "ansible: caution allowed, one host without its snapshot, --check"
sed "/^\[fleet\]/a gone-61   safe_unload_root=$WORK/missing.tar.gz safe_unload_module=dummy" \
    "$WORK/inventory.ini" >"$WORK/inventory2.ini"
rc=0
run "$WORK/out2" "$WORK/inventory2.ini" --check -e safe_unload_allow_caution=true \
    -e "safe_unload_summary_dir=$WORK/s2" || rc=$?
check "a failing host fails the run (exit $rc)" test "$rc" != 0
check "the failing host is named" grep -Eq 'gone-61 +: .*failed=1' "$WORK/out2"
check "kmod-doctor's error is shown" grep -q 'kmod-doctor failed (exit 1)' "$WORK/out2"
remove=$(task "$WORK/out2" "Remove")
check "caution allowed: modprobe reached for nf-61" grep -Eq '^(changed|ok|fatal): \[nf-61\]' <<<"$remove"
check "caution allowed: still skipped on br-61" grep -q '^skipping: \[br-61\]' <<<"$remove"
check "the other hosts go on" recap_ok "$WORK/out2" web-61
S2=$WORK/s2/fleet-summary.json
check "summary with caution allowed: br_netfilter can go on nf-61" \
    test "$(json "$S2" "[m['unload_now'] for m in d['modules'] if m['module']=='br_netfilter']")" = "[['nf-61']]"
check "summary names the host without a verdict" \
    grep -q "gone-61" <<<"$(json "$S2" "d['no_verdict']")"

# ----------------------------------------- 4. no --check: a rehearsal only
echo "ansible: the fleet without --check (snapshots: modprobe must never run)"
rm -f "$WORK/modprobe-calls"
rc=0
run "$WORK/out3" "$WORK/inventory.ini" -e "safe_unload_summary_dir=$WORK/s3" || rc=$?
[ "$rc" = 0 ] || cat "$WORK/out3" >&2
check "the rehearsal run succeeds (exit $rc)" test "$rc" = 0
check "modprobe was never run" test ! -e "$WORK/modprobe-calls"
check "modprobe skipped on the safe host too" grep -q '^skipping: \[web-61\]' <(task "$WORK/out3" "Remove")
check "the summary still says web-61 can unload dummy" \
    test "$(json "$WORK/s3/fleet-summary.json" "[m['unload_now'] for m in d['modules'] if m['module']=='dummy']")" = "[['web-61', 'web-612']]"

# ------------------------------------------------ 5. the example playbook
check "examples/ansible/playbook.yml parses against the collection" \
    env ANSIBLE_COLLECTIONS_PATH="$ROOT/collections" ANSIBLE_CONFIG="$WORK/ansible.cfg" \
    ansible-playbook --syntax-check -i "$ROOT/examples/ansible/inventory.ini" \
    "$ROOT/examples/ansible/playbook.yml" >"$WORK/syntax.log" 2>&1

echo "ansible: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
