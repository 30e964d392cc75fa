#!/usr/bin/env bash
# Runs examples/ansible/playbook.yml against localhost as two inventory hosts,
# each pointing kmod-doctor at its own fixture root:
#   safe-host     loop loaded and idle          → verdict safe → removal task runs
#   blocked-host  loop held by an attached loop → verdict blocked → skipped, reasons printed
# and asserts exactly that. Nothing is ever unloaded: the playbook runs in
# --check mode, and community.general.modprobe is a stand-in that only reports
# (tests/ansible/collections). ansible-core comes from PyPI into
# target/ansible-venv when it is not there yet.
#
# KMOD_DOCTOR_ANSIBLE_REAL=1 also installs the `ansible` package (which
# bundles the real community.general) and runs the playbook with the real
# modprobe module, still in --check mode.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=$ROOT/target/ansible-venv

if ! "$VENV/bin/ansible-playbook" --version >/dev/null 2>&1; then
    echo "ansible: installing ansible-core into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check 'ansible-core>=2.15,<2.20'
fi

cargo build --quiet
BIN=$ROOT/target/debug/kmod-doctor

WORK=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT

# A root as kmod-doctor reads it: loop loaded with REFCNT references.
mkroot() {
    local d=$1 rc=$2 rel=6.1.0-fleet-amd64
    mkdir -p "$d/proc/sys/kernel" "$d/proc/self" "$d/proc/net" "$d/lib/modules/$rel" \
        "$d/boot" "$d/sys/module/loop/holders" "$d/etc/modprobe.d"
    echo "$rel" >"$d/proc/sys/kernel/osrelease"
    echo 0 >"$d/proc/sys/kernel/tainted"
    echo 0 >"$d/proc/sys/kernel/modules_disabled"
    printf 'CONFIG_MODULES=y\nCONFIG_MODULE_UNLOAD=y\nCONFIG_MODULE_FORCE_UNLOAD=y\n' >"$d/boot/config-$rel"
    echo "loop 32768 $rc - Live 0xffffffffc041c000" >"$d/proc/modules"
    echo live >"$d/sys/module/loop/initstate"
    echo "$rc" >"$d/sys/module/loop/refcnt"
    : >"$d/sys/module/loop/taint"
    echo "kernel/drivers/block/loop.ko:" >"$d/lib/modules/$rel/modules.dep"
    : >"$d/lib/modules/$rel/modules.alias"
    : >"$d/lib/modules/$rel/modules.builtin"
    echo "22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw" >"$d/proc/self/mountinfo"
    printf 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n' >"$d/proc/swaps"
    printf 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n' >"$d/proc/net/route"
}
printf '[defaults]\n' >"$WORK/ansible.cfg"
mkroot "$WORK/safe" 0
mkroot "$WORK/blocked" 1

cat >"$WORK/inventory.ini" <<EOF
[fleet]
safe-host    kmod_doctor_root=$WORK/safe
blocked-host kmod_doctor_root=$WORK/blocked

[fleet:vars]
ansible_host=localhost
ansible_connection=local
ansible_python_interpreter=$VENV/bin/python
kmod_module=loop
kmod_doctor_bin=$BIN
kmod_doctor_become=false
EOF

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

# True when TEXT has no line matching the extended regex PATTERN.
lacks() { # PATTERN TEXT
    ! grep -Eq "$1" <<<"$2"
}

# Section of the default callback's output for one task.
task() { # OUTPUT TASK-NAME-PREFIX
    awk -v t="TASK [$2" 'index($0, "TASK [") == 1 { on = (index($0, t) == 1) } on' "$1"
}

run() { # OUTPUT-FILE COLLECTIONS-PATH EXTRA-ARGS...
    local out=$1 cpath=$2
    shift 2
    ANSIBLE_COLLECTIONS_PATH=$cpath \
        ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 \
        ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_HOST_KEY_CHECKING=false \
        ANSIBLE_RETRY_FILES_ENABLED=false ANSIBLE_CONFIG=$WORK/ansible.cfg \
        "$VENV/bin/ansible-playbook" -i "$WORK/inventory.ini" \
        "$ROOT/examples/ansible/playbook.yml" --check -v "$@" >"$out" 2>&1 || {
        cat "$out" >&2
        return 1
    }
}

assert_fleet() { # OUTPUT
    local out=$1 remove why
    remove=$(task "$out" "Remove loop")
    why=$(task "$out" "Say why")
    check "removal runs on safe-host" grep -Eq '^(changed|ok): \[safe-host\]' <<<"$remove"
    check "removal skips blocked-host" grep -q '^skipping: \[blocked-host\]' <<<"$remove"
    check "removal never touches blocked-host" lacks '^(changed|ok|fatal): \[blocked-host\]' "$remove"
    check "reasons printed for blocked-host" grep -q 'blocked-host: loop is blocked, skipped' <<<"$why"
    check "the reason says why" grep -q 'reference count of 1' <<<"$why"
    check "next steps printed" grep -q 'next steps' <<<"$why"
    check "no reasons for safe-host" lacks 'safe-host: loop is' "$why"
    check "summary names safe-host" grep -q '"safe-host: safe"' <(task "$out" "Fleet summary")
    check "summary names blocked-host" grep -q '"blocked-host: blocked"' <(task "$out" "Fleet summary")
    check "no host failed" grep -Eq 'safe-host +: ok=[0-9]+ +changed=[0-9]+ +unreachable=0 +failed=0' "$out"
    check "no host failed" grep -Eq 'blocked-host +: ok=[0-9]+ +changed=[0-9]+ +unreachable=0 +failed=0' "$out"
}

STUB=$ROOT/tests/ansible/collections
echo "ansible: playbook with the stand-in modprobe module, --check"
run "$WORK/out1" "$STUB"
assert_fleet "$WORK/out1"
check "the stand-in, not modprobe, was called" grep -q 'KMOD_DOCTOR_STUB would run: modprobe -r loop' "$WORK/out1"

echo "ansible: report only (kmod_doctor_remove=false)"
run "$WORK/out2" "$STUB" -e kmod_doctor_remove=false
check "report only: nothing removed" lacks '^(changed|ok|fatal): \[(safe|blocked)-host\]' "$(task "$WORK/out2" "Remove loop")"
check "report only: removal skipped on safe-host too" grep -q '^skipping: \[safe-host\]' <(task "$WORK/out2" "Remove loop")
check "report only: reasons still printed" grep -q 'blocked-host: loop is blocked, skipped' "$WORK/out2"

echo "ansible: a host whose kmod-doctor fails is reported as failed"
sed "s|^blocked-host .*|blocked-host kmod_doctor_root=$WORK/missing|" "$WORK/inventory.ini" >"$WORK/inventory-bad.ini"
if ANSIBLE_COLLECTIONS_PATH=$STUB ANSIBLE_NOCOLOR=1 ANSIBLE_CONFIG=$WORK/ansible.cfg ANSIBLE_LOCALHOST_WARNING=false \
    "$VENV/bin/ansible-playbook" -i "$WORK/inventory-bad.ini" "$ROOT/examples/ansible/playbook.yml" --check \
    >"$WORK/out3" 2>&1; then
    check "a failing host fails the run" false
else
    check "the failing host is named" grep -Eq 'blocked-host +: .*failed=1' "$WORK/out3"
    check "the other host still gets its verdict" grep -Eq '^(changed|ok): \[safe-host\]' <(task "$WORK/out3" "Remove loop")
fi

if [ "${KMOD_DOCTOR_ANSIBLE_REAL:-0}" = 1 ]; then
    echo "ansible: playbook with the real community.general.modprobe, --check"
    if ! "$VENV/bin/python" -c 'import ansible_collections.community.general' 2>/dev/null; then
        "$VENV/bin/pip" install --quiet --disable-pip-version-check 'ansible>=9,<13'
    fi
    if [ -e /proc/modules ]; then
        run "$WORK/out4" "$WORK/none"
        assert_fleet "$WORK/out4"
    else
        # No module support here (a container): the real module, in check
        # mode, fails reading /proc/modules; it must still be reached for
        # safe-host only.
        run "$WORK/out4" "$WORK/none" || true
        remove=$(task "$WORK/out4" "Remove loop")
        check "real module reached safe-host" grep -Eq '^(changed|ok|fatal): \[safe-host\]' <<<"$remove"
        check "real module skipped blocked-host" grep -q '^skipping: \[blocked-host\]' <<<"$remove"
    fi
    check "the real module was used" lacks KMOD_DOCTOR_STUB "$(cat "$WORK/out4")"
fi

echo "ansible: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
