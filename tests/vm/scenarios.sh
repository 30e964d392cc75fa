#!/bin/sh
# Runs inside the VM (busybox sh, child of /init). For every scenario: set the situation up, ask
# kmod-doctor (check json, snapshot -o .tar.gz, check text), copy what a verdict reads
# (capture.sh), record the messages of rmmod/busybox where that cannot remove anything, really run
# `/sbin/modprobe -r` (or `rmmod` for a module modprobe cannot find: `remover`), record the outcome,
# tear down. Results go to /results/<label>/<scenario>/.
#
# The host (tests/vm/compare.py) reads the scenario list from the `run_scenario NAME MODULE`
# lines below: keep one per line, NAME unique.
#
# Call kmod's tools by full path: Debian's busybox runs its own applets before $PATH.
export PATH=/sbin:/usr/sbin:/bin:/usr/bin
. /kd/capture.sh

LABEL=$(cat /kd/label)
RES=/results/$LABEL
KD=/usr/bin/kmod-doctor
mkdir -p "$RES"
uname -r > "$RES/release"
busybox 2>&1 | head -n 1 > "$RES/busybox-version"
/sbin/modprobe --version > "$RES/kmod-version" 2>&1
$KD --version > "$RES/kmod-doctor-version" 2>&1

now() { cut -d' ' -f1 /proc/uptime; }
log() { echo "[kd $(now)] $*"; }

# cmd TAG COMMAND...: run, keep TAG.out/.err/.rc, append a block to messages.txt
cmd() {
    _tag=$1; shift
    "$@" > "$S/$_tag.out" 2> "$S/$_tag.err"
    _rc=$?
    echo "$_rc" > "$S/$_tag.rc"
    {
        echo "\$ $*"
        cat "$S/$_tag.err"
        sed 's/^/stdout| /' "$S/$_tag.out"
        echo "[rc=$_rc]"
        echo
    } >> "$S/messages.txt"
    return $_rc
}

# hold FILE: keep FILE open from a background sleeper (its pid goes to $HOLDERS)
HOLDERS=""
hold() {
    sleep 100000 < "$1" &
    HOLDERS="$HOLDERS $!"
    sleep 0.2
    kill -0 $! 2>/dev/null || log "WARNING: could not hold $1 open"
}
release_holders() {
    [ -n "$HOLDERS" ] || return 0
    # shellcheck disable=SC2086
    kill $HOLDERS 2>/dev/null
    # shellcheck disable=SC2086
    wait $HOLDERS 2>/dev/null
    HOLDERS=""
}

# wait_for PATH: up to 5 s for a device node or sysfs entry to appear
wait_for() {
    _i=0
    while [ ! -e "$1" ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
    [ -e "$1" ] || log "WARNING: $1 did not appear"
}

# the disk with this virtio serial (kdhold, kdfs, kdresults)
disk_by_serial() {
    for _b in /sys/block/vd*; do
        [ "$(cat "$_b/serial" 2>/dev/null)" = "$1" ] && { echo "/dev/${_b##*/}"; return 0; }
    done
    return 1
}

# removal_must_fail: true when the kernel will refuse to unload $MODU whatever we do, so running
# rmmod / busybox rmmod on it only yields a message (refcnt > 0, holders, builtin, absent).
removal_must_fail() {
    [ -e "/sys/module/$MODU/refcnt" ] || return 0
    [ "$(cat "/sys/module/$MODU/refcnt")" != 0 ] && return 0
    [ -n "$(ls "/sys/module/$MODU/holders" 2>/dev/null)" ] && return 0
    return 1
}

# remover: the command the plan removes $MOD with, as kmod decides it: `rmmod` for a loaded module
# modprobe cannot find (loaded with insmod from outside the module tree: `modprobe -r` would only
# say "not found"), else `modprobe -r`. compare.py checks the verdict's steps say the same.
remover() {
    if [ -e "/sys/module/$MODU/initstate" ] && ! /sbin/modprobe --show-depends "$MOD" > /dev/null 2>&1; then
        echo /sbin/rmmod
    else
        echo "/sbin/modprobe -r"
    fi
}

state() { # SUFFIX
    if [ -d "/sys/module/$MODU" ]; then echo yes; else echo no; fi > "$S/present.$1"
    if [ -e "/sys/module/$MODU/refcnt" ]; then cat "/sys/module/$MODU/refcnt"; else echo -; fi > "$S/refcnt.$1"
    ls "/sys/module/$MODU/holders" > "$S/holders.$1" 2>/dev/null
    /sbin/lsmod > "$S/lsmod.$1" 2>&1
}

# inventory SUFFIX: what a removal can make vanish, one "KIND NAME [DETAIL...]" line each, sorted:
# interfaces (/sys/class/net entries that are directories or links), their addresses (busybox
# `ip -o addr`), IPv4/IPv6 routes (/proc/net/route, /proc/net/ipv6_route: device first), block
# devices, mounts (mount point first), sound and DRM cards. compare.py diffs before/after.
inventory() {
    {
        for _f in /sys/class/net/* /sys/class/block/* /sys/class/sound/card* /sys/class/drm/card*; do
            [ -d "$_f" ] || continue
            case $_f in
                /sys/class/net/*) echo "net ${_f##*/}" ;;
                /sys/class/block/*) echo "block ${_f##*/}" ;;
                /sys/class/sound/*) echo "sound ${_f##*/}" ;;
                *) echo "drm ${_f##*/}" ;;
            esac
        done
        ip -o addr 2>/dev/null | awk '{ sub(/:$/, "", $2); print "addr " $2 " " $4 }'
        awk 'NR > 1 { print "route4 " $1 " " $2 "/" $8 " via " $3 }' /proc/net/route
        awk '{ print "route6 " $10 " " $1 "/" $2 " via " $5 " table-metric " $6 }' /proc/net/ipv6_route
        awk '{ print "mount " $2 " " $1 " " $3 }' /proc/mounts
    } | sort -u > "$S/exists.$1"
}

# run_scenario NAME MODULE: setup_NAME / teardown_NAME are shell functions (dashes -> _)
run_scenario() {
    NAME=$1; MOD=$2; MODU=$(echo "$2" | tr - _)
    _fn=$(echo "$NAME" | tr - _)
    S=$RES/$NAME
    mkdir -p "$S"
    echo "$NAME" > "$S/scenario"
    echo "$MOD" > "$S/module"
    log "scenario $NAME ($MOD)"
    _t0=$(now)
    "setup_$_fn" > "$S/setup.log" 2>&1
    echo $? > "$S/setup.rc"
    state before
    _t1=$(now)

    # what kmod-doctor says, and its own snapshot of what it read, taken right after (the host
    # replays `check --root snapshot.tar.gz` and must get the same verdict and findings)
    $KD check --format json "$MOD" > "$S/verdict.json" 2> "$S/check-json.err"
    echo $? > "$S/check.rc"
    $KD snapshot -o "$S/snapshot.tar.gz" "$MOD" > "$S/snapshot.out" 2> "$S/snapshot.err"
    echo $? > "$S/snapshot.rc"
    $KD check --format text "$MOD" > "$S/check.txt" 2> "$S/check-text.err"
    echo $? > "$S/check-text.rc"
    _t2=$(now)
    # what it read (fallback fixture)
    capture "$S/root"
    _t3=$(now)

    # messages that cannot change anything
    cmd dry-run /sbin/modprobe --dry-run --verbose --remove "$MOD"
    if removal_must_fail; then
        cmd rmmod /sbin/rmmod "$MOD"
        cmd busybox-rmmod busybox rmmod "$MOD"
        cmd busybox-modprobe-r busybox modprobe -r "$MOD"
        # the kernel refuses a module with holders before it looks at --force
        if [ -n "$(ls "/sys/module/$MODU/holders" 2>/dev/null)" ]; then
            cmd rmmod-f /sbin/rmmod -f "$MOD"
        fi
    fi

    # the real thing, and what it made vanish
    inventory before
    _rm=$(remover)
    echo "$_rm $MOD" > "$S/remover"
    # shellcheck disable=SC2086
    cmd modprobe-r $_rm "$MOD"
    state after
    inventory after
    # after a real removal, rmmod's word for a module that is gone
    if [ "$(cat "$S/present.before")" = yes ] && [ "$(cat "$S/present.after")" = no ]; then
        cmd rmmod-after /sbin/rmmod "$MOD"
    fi

    _t4=$(now)
    "teardown_$_fn" > "$S/teardown.log" 2>&1
    release_holders
    echo "setup=$_t0 kmod-doctor=$_t1 capture=$_t2 unload=$_t3 teardown=$_t4 end=$(now)" > "$S/phases"
}

# ------------------------------------------------------------------ scenarios
setup_builtin_unix() { :; }
teardown_builtin_unix() { :; }

setup_builtin_8250() { :; }
teardown_builtin_8250() { :; }

setup_not_found() { :; }
teardown_not_found() { :; }

setup_not_loaded_sctp() { /sbin/modprobe -r sctp; }
teardown_not_loaded_sctp() { :; }

setup_dummy_idle() { /sbin/modprobe dummy && wait_for /sys/class/net/dummy0; }
teardown_dummy_idle() { /sbin/modprobe -r dummy; }

setup_not_loaded_dummy() { /sbin/modprobe -r dummy; }
teardown_not_loaded_dummy() { :; }

setup_dummy_iface_up() {
    /sbin/modprobe dummy && ip link add d0 type dummy && ip link set d0 up && ip addr add 192.0.2.1/24 dev d0
    ip link show d0
}
teardown_dummy_iface_up() { ip link del d0; /sbin/modprobe -r dummy; }

# Issue 11: a dummy module that made no interface is really idle; a congestion control in use
# is a reference the kernel holds (refcount 1, no holder, no process).
setup_dummy_no_interface() { /sbin/modprobe dummy numdummies=0; }
teardown_dummy_no_interface() { /sbin/modprobe -r dummy; }
setup_congestion_bbr() {
    /sbin/modprobe tcp_bbr && echo bbr > /proc/sys/net/ipv4/tcp_congestion_control
    cat /proc/sys/net/ipv4/tcp_congestion_control
}
teardown_congestion_bbr() {
    echo cubic > /proc/sys/net/ipv4/tcp_congestion_control; /sbin/modprobe -r tcp_bbr
}

setup_bridge_held() { /sbin/modprobe br_netfilter; }
teardown_bridge_held() { /sbin/modprobe -r br_netfilter; }

setup_dashed_br_netfilter() { /sbin/modprobe br_netfilter; }
teardown_dashed_br_netfilter() { /sbin/modprobe -r br_netfilter; }

setup_loop_attached() {
    /sbin/modprobe loop && wait_for /dev/loop0
    dd if=/dev/zero of=/tmp/loop.img bs=1M count=4 2>/dev/null
    losetup /dev/loop0 /tmp/loop.img && losetup /dev/loop0
}
teardown_loop_attached() { losetup -d /dev/loop0; /sbin/modprobe -r loop; rm -f /tmp/loop.img; }

setup_vhost_net_open() { /sbin/modprobe vhost_net && wait_for /dev/vhost-net && hold /dev/vhost-net; }
teardown_vhost_net_open() { release_holders; /sbin/modprobe -r vhost_net; }

setup_virtio_blk_open() { HOLD_DISK=$(disk_by_serial kdhold) && echo "$HOLD_DISK" && hold "$HOLD_DISK"; }
teardown_virtio_blk_open() { release_holders; /sbin/modprobe virtio_blk; wait_for /sys/block/vda; }

setup_bochs_card_open() { wait_for /dev/dri/card0 && hold /dev/dri/card0; }
teardown_bochs_card_open() { release_holders; /sbin/modprobe bochs; wait_for /dev/dri/card0; }

setup_drm_holders() { wait_for /sys/module/drm; }
teardown_drm_holders() { :; }

# qemu's user network also answers router solicitations: wait for the IPv6 default route it
# gives, or it may appear between the live check and the snapshot (racy evidence).
setup_virtio_net_route() {
    ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && ip route add default via 10.0.2.2
    _i=0
    until awk '$1 ~ /^0+$/ && $2 == "00" && $10 == "eth0" { f = 1 } END { exit !f }' /proc/net/ipv6_route; do
        [ $_i -lt 100 ] || { log "WARNING: no IPv6 default route via eth0 after 10 s"; break; }
        sleep 0.1; _i=$((_i + 1))
    done
    ip addr show eth0; ip route; cat /proc/net/ipv6_route
}
teardown_virtio_net_route() { /sbin/modprobe virtio_net; wait_for /sys/class/net/eth0; }

setup_fs_ext4() {
    FS_DISK=$(disk_by_serial kdfs) && echo "$FS_DISK" &&
    mke2fs -q "$FS_DISK" && /sbin/modprobe ext4 && mount -t ext2 "$FS_DISK" /mnt && grep /mnt /proc/mounts
}
teardown_fs_ext4() { umount /mnt; /sbin/modprobe -r ext4; }

setup_fs_vfat() {
    FS_DISK=$(disk_by_serial kdfs) && echo "$FS_DISK" &&
    mkdosfs "$FS_DISK" && /sbin/modprobe vfat && mount -t vfat "$FS_DISK" /mnt && grep /mnt /proc/mounts
}
teardown_fs_vfat() { umount /mnt; /sbin/modprobe -r vfat nls_cp437 nls_ascii; }

setup_fuse_idle() { /sbin/modprobe fuse; }
teardown_fuse_idle() { :; }

setup_fuse_open() { /sbin/modprobe fuse && wait_for /dev/fuse && hold /dev/fuse; }
teardown_fuse_open() { release_holders; /sbin/modprobe -r fuse; }

# issue 10 (a): bridge held by br_netfilter, a bridge carries the default route. `modprobe -r
# br_netfilter` also removes bridge (its count drops to 0), which deletes br0 and the route.
setup_bridge_default_route() {
    /sbin/modprobe br_netfilter && ip link add br0 type bridge && ip link set br0 up &&
    ip addr add 198.51.100.1/24 dev br0 && ip route add default via 198.51.100.254 dev br0
    ip addr show br0; ip route
}
teardown_bridge_default_route() { ip link del br0 2>/dev/null; /sbin/modprobe -r br_netfilter bridge; }

# issue 10 (b): a module loaded with insmod from outside the module tree, which the index does not
# list (an uninstalled out-of-tree module): /lib/modules/R is a bind mount of a copy whose
# dummy.ko is gone and whose index depmod rebuilt, so `modprobe -r dummy` says "not found".
setup_insmod_outside_tree() {
    _rel=$(uname -r); _m=/lib/modules/$_rel
    _ko=$(find "$_m/" -name 'dummy.ko*' | head -n 1)
    [ -n "$_ko" ] || return 1
    mkdir -p /tmp/kd-ext /tmp/kd-base/lib/modules && cp "$_ko" /tmp/kd-ext/ &&
    cp -a "$_m" /tmp/kd-base/lib/modules/ && rm -f "/tmp/kd-base/lib/modules/$_rel/${_ko#"$_m"/}" &&
    /sbin/depmod -b /tmp/kd-base "$_rel" && mount --bind "/tmp/kd-base/lib/modules/$_rel" "$_m" &&
    /sbin/insmod "/tmp/kd-ext/${_ko##*/}" && wait_for /sys/class/net/dummy0
    /sbin/modprobe --show-depends dummy; grep -c . "$_m/modules.dep"
}
teardown_insmod_outside_tree() {
    /sbin/rmmod dummy; umount "/lib/modules/$(uname -r)"; rm -rf /tmp/kd-ext /tmp/kd-base
}

# issue 10 (c): `softdep dummy post: loop` in modprobe.d: loading dummy loads loop after it,
# `modprobe -r dummy` removes loop after it too (and loop's block devices go).
setup_softdep_post() {
    echo "softdep dummy post: loop" > /etc/modprobe.d/kd-softdep.conf &&
    /sbin/modprobe -r loop && /sbin/modprobe dummy && wait_for /sys/class/net/dummy0 && wait_for /sys/module/loop
    cat /etc/modprobe.d/kd-softdep.conf; grep -E '^(dummy|loop) ' /proc/modules
}
teardown_softdep_post() { rm -f /etc/modprobe.d/kd-softdep.conf; /sbin/modprobe -r dummy loop; }

# issue 10 (d): a `remove` command in modprobe.d replaces the unload: it runs a command (here:
# deletes the interface d0, then unloads for real with --ignore-remove).
setup_remove_command() {
    echo "remove dummy /sbin/ip link del d0; /sbin/modprobe -r --ignore-remove dummy" > /etc/modprobe.d/kd-remove.conf &&
    /sbin/modprobe dummy && ip link add d0 type dummy && ip link set d0 up && ip addr add 192.0.2.1/24 dev d0
    cat /etc/modprobe.d/kd-remove.conf; ip link show d0
}
teardown_remove_command() { rm -f /etc/modprobe.d/kd-remove.conf; ip link del d0 2>/dev/null; /sbin/modprobe -r dummy; }

# issue 10 (e): a blacklisted dependency (`blacklist bridge`): blacklists apply to alias lookups
# only, so loading br_netfilter loads bridge, and `modprobe -r br_netfilter` still removes it.
setup_blacklisted_dep() {
    echo "blacklist bridge" > /etc/modprobe.d/kd-blacklist.conf && /sbin/modprobe br_netfilter
    cat /etc/modprobe.d/kd-blacklist.conf; grep -E '^(bridge|br_netfilter) ' /proc/modules
}
teardown_blacklisted_dep() { rm -f /etc/modprobe.d/kd-blacklist.conf; /sbin/modprobe -r br_netfilter bridge; }

# ------------------------------------------------------------------ issue 11: every class of user
# Host tools the guest has no busybox applet for (iproute2's ip and tc, nft, dmsetup, mkfs.btrfs)
# live in /kd/bin with their libraries: call them by that path (busybox's own `ip` comes first).
KDB=/kd/bin
export DM_DISABLE_UDEV=1

# dummy interface NAME, up (the base of the tc scenarios)
dummy_up() { /sbin/modprobe dummy numdummies=0 && $KDB/ip link add "$1" type dummy && $KDB/ip link set "$1" up; }

# a process in a new network namespace: NETNS_PID (killed by release_holders)
new_netns() {
    unshare -n sleep 100000 &
    NETNS_PID=$!; HOLDERS="$HOLDERS $NETNS_PID"
    sleep 0.3
    kill -0 "$NETNS_PID" 2>/dev/null || log "WARNING: no process in a new network namespace"
}

# veth: the module deletes both ends, the one here and its peer inside a container's namespace
setup_veth_peer_netns() {
    /sbin/modprobe veth && new_netns && $KDB/ip link add kdveth0 type veth peer name kdveth1 &&
    $KDB/ip link set kdveth1 netns "$NETNS_PID" && $KDB/ip link set kdveth0 up &&
    $KDB/ip addr add 192.0.2.9/24 dev kdveth0
    $KDB/ip -d link show kdveth0
}
teardown_veth_peer_netns() { $KDB/ip link del kdveth0 2>/dev/null; release_holders; /sbin/modprobe -r veth; }

# bonding with a dummy slave: /sys/class/net/bonding_masters is a file, not an interface
setup_bond_slave() {
    /sbin/modprobe bonding max_bonds=0 && dummy_up kdslave0 && $KDB/ip link add kdbond0 type bond &&
    $KDB/ip link set kdslave0 down && $KDB/ip link set kdslave0 master kdbond0 && $KDB/ip link set kdbond0 up
    ls -l /sys/class/net; $KDB/ip -d link show kdbond0
}
teardown_bond_slave() {
    $KDB/ip link del kdbond0 2>/dev/null; $KDB/ip link del kdslave0; /sbin/modprobe -r bonding dummy
}

# a tbf queueing discipline on an interface holds sch_tbf
setup_qdisc_tbf() {
    dummy_up kdq0 && $KDB/tc qdisc add dev kdq0 root tbf rate 1mbit burst 32kbit latency 400ms
    $KDB/tc qdisc show dev kdq0
}
teardown_qdisc_tbf() { $KDB/ip link del kdq0; /sbin/modprobe -r sch_tbf dummy; }

# a u32 classifier under a prio qdisc holds cls_u32
setup_tc_filter_u32() {
    dummy_up kdf0 && $KDB/tc qdisc add dev kdf0 root handle 1: prio &&
    $KDB/tc filter add dev kdf0 parent 1: protocol ip prio 1 u32 match ip dst 192.0.2.0/24 flowid 1:1
    $KDB/tc filter show dev kdf0
}
teardown_tc_filter_u32() { $KDB/ip link del kdf0; /sbin/modprobe -r cls_u32 sch_prio dummy; }

# a gact action (drop) on an ingress filter holds act_gact
setup_tc_action_gact() {
    dummy_up kda0 && $KDB/tc qdisc add dev kda0 ingress &&
    $KDB/tc filter add dev kda0 parent ffff: protocol ip prio 1 u32 match ip dst 192.0.2.0/24 action drop
    $KDB/tc filter show dev kda0 ingress
}
teardown_tc_action_gact() { $KDB/ip link del kda0; /sbin/modprobe -r act_gact cls_u32 sch_ingress dummy; }

# an nftables rule matching conntrack state holds nft_ct
setup_nft_ct_rule() {
    $KDB/nft add table inet kd && $KDB/nft add chain inet kd input '{ type filter hook input priority 0; }' &&
    $KDB/nft add rule inet kd input ct state established accept
    $KDB/nft list ruleset
}
teardown_nft_ct_rule() { $KDB/nft delete table inet kd; /sbin/modprobe -r nft_ct; }

# vfat mounted only inside another mount namespace (a container's): invisible in our mount table
setup_vfat_other_mntns() {
    FS_DISK=$(disk_by_serial kdfs) && mkdosfs "$FS_DISK" && /sbin/modprobe vfat || return 1
    unshare -m sh -c "mount -t vfat $FS_DISK /mnt && exec sleep 100000" &
    _p=$!; HOLDERS="$HOLDERS $_p"
    _i=0
    until grep -q ' /mnt vfat ' "/proc/$_p/mounts" 2>/dev/null || [ $_i -ge 50 ]; do sleep 0.1; _i=$((_i + 1)); done
    grep ' /mnt ' "/proc/$_p/mounts" && ! grep ' /mnt ' /proc/mounts
}
# the namespace's mounts go with its last process, a moment later
teardown_vfat_other_mntns() { release_holders; sleep 0.5; /sbin/modprobe -r vfat nls_cp437 nls_ascii nls_utf8; }

# the NLS tables a FAT mount names (codepage=437 and iocharset=iso8859-1)
mount_fat_nls() {
    FS_DISK=$(disk_by_serial kdfs) && mkdosfs "$FS_DISK" && /sbin/modprobe vfat &&
    mount -t vfat -o codepage=437,iocharset=iso8859-1 "$FS_DISK" /mnt && grep /mnt /proc/mounts
}
umount_fat_nls() { umount /mnt; /sbin/modprobe -r vfat nls_cp437 nls_iso8859-1 nls_ascii nls_utf8; }
setup_nls_codepage_fat() { mount_fat_nls; }
teardown_nls_codepage_fat() { umount_fat_nls; }
setup_nls_iocharset_fat() { mount_fat_nls; }
teardown_nls_iocharset_fat() { umount_fat_nls; }

# an overlay mount (on a tmpfs: the upper layer needs xattrs)
setup_overlay_mount() {
    /sbin/modprobe overlay && mkdir -p /tmp/ov && mount -t tmpfs kdov /tmp/ov &&
    mkdir -p /tmp/ov/l /tmp/ov/u /tmp/ov/w /tmp/ov/m &&
    mount -t overlay kdoverlay -o lowerdir=/tmp/ov/l,upperdir=/tmp/ov/u,workdir=/tmp/ov/w /tmp/ov/m
    grep /tmp/ov /proc/mounts
}
teardown_overlay_mount() { umount /tmp/ov/m; umount /tmp/ov; /sbin/modprobe -r overlay; }

# a swap file on an ext4 mount (the mount holds ext4; the swap file holds the mount)
setup_swapfile_ext4() {
    FS_DISK=$(disk_by_serial kdfs) && mke2fs -q "$FS_DISK" && /sbin/modprobe ext4 &&
    mount -t ext4 "$FS_DISK" /mnt && dd if=/dev/zero of=/mnt/swapfile bs=1M count=8 2>/dev/null &&
    chmod 600 /mnt/swapfile && mkswap /mnt/swapfile && swapon /mnt/swapfile
    cat /proc/swaps
}
teardown_swapfile_ext4() { swapoff /mnt/swapfile; umount /mnt; /sbin/modprobe -r ext4; }

# btrfs on a virtio disk: mountinfo shows an anonymous 0:N device, not the disk's
setup_btrfs_virtio() {
    BT_DISK=$(disk_by_serial kdbtrfs) && /sbin/modprobe btrfs && $KDB/mkfs.btrfs -q -f "$BT_DISK" &&
    mkdir -p /mnt/bt && mount -t btrfs "$BT_DISK" /mnt/bt
    grep /mnt/bt /proc/self/mountinfo; ls /sys/fs/btrfs/*/devices
}
teardown_btrfs_virtio() { umount /mnt/bt; /sbin/modprobe -r btrfs; }

# an ext4 mount on an NVMe namespace: it pins nvme_core (device operations) as well as nvme
setup_nvme_mounted() {
    /sbin/modprobe nvme && wait_for /dev/nvme0n1 && mke2fs -q /dev/nvme0n1 && /sbin/modprobe ext4 &&
    mkdir -p /mnt/nvme && mount -t ext4 /dev/nvme0n1 /mnt/nvme
    grep /mnt/nvme /proc/mounts; cat /sys/module/nvme_core/refcnt
}
teardown_nvme_mounted() { umount /mnt/nvme; /sbin/modprobe -r ext4 nvme; }

# a 9p share from the host (qemu -virtfs): the mount holds its transport, 9pnet_virtio
setup_ninep_share() {
    /sbin/modprobe 9pnet_virtio && /sbin/modprobe 9p && mkdir -p /mnt/9p &&
    mount -t 9p -o trans=virtio,version=9p2000.L kdshare /mnt/9p
    grep /mnt/9p /proc/mounts; ls /mnt/9p
}
teardown_ninep_share() { umount /mnt/9p; /sbin/modprobe -r 9p 9pnet_virtio; }

# binfmt_misc mounted, with one registered format
setup_binfmt_misc_mount() {
    /sbin/modprobe binfmt_misc && mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc &&
    echo ':kdtest:E::kdx::/bin/true:' > /proc/sys/fs/binfmt_misc/register
    ls /proc/sys/fs/binfmt_misc
}
teardown_binfmt_misc_mount() {
    echo -1 > /proc/sys/fs/binfmt_misc/kdtest; umount /proc/sys/fs/binfmt_misc; /sbin/modprobe -r binfmt_misc
}

# dm-crypt with xts(aes) (a plain dmsetup crypt table, no cryptsetup): the cipher holds xts
setup_dm_crypt_xts() {
    FS_DISK=$(disk_by_serial kdfs) && /sbin/modprobe dm_crypt && wait_for /dev/mapper/control &&
    $KDB/dmsetup create kdcrypt --noudevsync --table "0 $(cat "/sys/block/${FS_DISK#/dev/}/size") crypt aes-xts-plain64 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f 0 $FS_DISK 0"
    $KDB/dmsetup table; grep -B1 -A3 'xts(aes)' /proc/crypto | head -n 20
}
teardown_dm_crypt_xts() { $KDB/dmsetup remove --noudevsync kdcrypt; /sbin/modprobe -r dm_crypt xts; }

# dm-linear stacked on a virtio disk: the dm device holds the disk open (holders/ in sysfs)
setup_dm_linear_on_disk() {
    HOLD_DISK=$(disk_by_serial kdhold) && /sbin/modprobe dm_mod && wait_for /dev/mapper/control &&
    $KDB/dmsetup create kdlinear --noudevsync --table "0 $(cat "/sys/block/${HOLD_DISK#/dev/}/size") linear $HOLD_DISK 0"
    $KDB/dmsetup table; ls "/sys/block/${HOLD_DISK#/dev/}/holders"
}
teardown_dm_linear_on_disk() { $KDB/dmsetup remove --noudevsync kdlinear; /sbin/modprobe -r dm_mod; }

# ------------------------------------------------------------------ main
log "coldplug"
/sbin/modprobe -a virtio_pci virtio_blk virtio_net bochs > "$RES/coldplug.log" 2>&1
wait_for /sys/class/net/eth0
wait_for /dev/dri/card0
wait_for /dev/vda
ip link set lo up
cat /proc/modules > "$RES/proc-modules.boot"

run_scenario builtin-unix unix
run_scenario builtin-8250 8250
run_scenario not-found notamodule
run_scenario not-loaded-sctp sctp
run_scenario dummy-idle dummy
run_scenario not-loaded-dummy dummy
run_scenario dummy-iface-up dummy
run_scenario bridge-held bridge
run_scenario dashed-br-netfilter br-netfilter
run_scenario loop-attached loop
run_scenario vhost-net-open vhost_net
run_scenario virtio-blk-open virtio_blk
run_scenario bochs-card-open bochs
run_scenario drm-holders drm
run_scenario virtio-net-route virtio_net
run_scenario fs-ext4 ext4
run_scenario fs-vfat vfat
run_scenario fuse-idle fuse
run_scenario fuse-open fuse
run_scenario bridge-default-route br_netfilter
run_scenario softdep-post dummy
run_scenario remove-command dummy
run_scenario blacklisted-dep br_netfilter
run_scenario insmod-outside-tree dummy
run_scenario dummy-no-interface dummy
run_scenario congestion-bbr tcp_bbr
run_scenario veth-peer-netns veth
run_scenario bond-slave bonding
run_scenario qdisc-tbf sch_tbf
run_scenario tc-filter-u32 cls_u32
run_scenario tc-action-gact act_gact
run_scenario nft-ct-rule nft_ct
run_scenario vfat-other-mntns vfat
run_scenario nls-codepage-fat nls_cp437
run_scenario nls-iocharset-fat nls_iso8859-1
run_scenario overlay-mount overlay
run_scenario swapfile-ext4 ext4
run_scenario btrfs-virtio virtio_blk
run_scenario nvme-mounted nvme_core
run_scenario ninep-share 9pnet_virtio
run_scenario binfmt-misc-mount binfmt_misc
run_scenario dm-crypt-xts xts
run_scenario dm-linear-on-disk virtio_blk

# ------------------------------------------------------------------ benchmark (issues 6, 13)
# In the same boot as the scenarios, so only the ratios mean something: kmod's own tools against
# kmod-doctor asking the same question. /proc/uptime has centisecond resolution, so each command
# runs in blocks of 5; the blocks are interleaved over 4 rounds (20 runs each) so that noise (e.g.
# the other VM writing its results) hits all commands alike.
#   busy driver: virtio_net (the NIC, default route)   not loaded: sctp (installed, never loaded)
log "benchmark"
/sbin/modprobe dummy
/sbin/modprobe virtio_net
block() { # CMD... : run 5 times, print elapsed seconds
    _a=$(now); _i=0
    while [ $_i -lt 5 ]; do "$@" > /dev/null 2>&1; _i=$((_i + 1)); done
    awk -v a="$_a" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'
}
add() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a + b }'; }
set -- true lsmod dryrun_busy check_busy dryrun_idle check_idle dryrun_absent check_absent scan
for k in "$@"; do eval "t_$k=0"; done
bench_cmd() {
    case $1 in
        true) /bin/true ;;
        lsmod) /sbin/lsmod ;;
        dryrun_busy) /sbin/modprobe --dry-run --remove virtio_net ;;
        check_busy) $KD check virtio_net ;;
        dryrun_idle) /sbin/modprobe --dry-run --remove dummy ;;
        check_idle) $KD check dummy ;;
        dryrun_absent) /sbin/modprobe --dry-run --remove sctp ;;
        check_absent) $KD check sctp ;;
        scan) $KD scan ;;
    esac
}
r=0
while [ $r -lt 4 ]; do
    for k in "$@"; do
        eval "t_$k=\$(add \"\$t_$k\" \"\$(block bench_cmd $k)\")"
    done
    r=$((r + 1))
done
{
    echo "runs=20"
    for k in "$@"; do eval "echo ${k}_total_s=\$t_$k"; done
    # The names of issue 6's timing line.
    echo "check_total_s=$t_check_idle"
    echo "dryrun_total_s=$t_dryrun_idle"
} > "$RES/timing.txt"
/sbin/modprobe -r dummy
cat "$RES/timing.txt"
log "scenarios done"
