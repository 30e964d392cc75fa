# shellcheck shell=sh
# Sourced by scenarios.sh inside the VM (busybox sh).
#
# capture DEST: copy a minimal read-only view of what a kmod-doctor verdict reads into DEST, laid
# out as a fake root (DEST/proc/..., DEST/sys/..., DEST/lib/modules/...). It is the fallback
# fixture source while `kmod-doctor snapshot` does not exist yet.
#  - symlinks stay symlinks with their original (relative) targets: they go through tar;
#  - regular files are copied by one awk process (sysfs files lie about their size, so tar/cpio
#    cannot copy them); unreadable attributes are skipped;
#  - proc/self and proc/net are real directories in the copy;
#  - device numbers of files held open are lost in a plain copy, so
#    DEST/kmod-doctor-snapshot/devices.tsv records `PATH<TAB>c|b<TAB>MAJOR:MINOR` for every
#    /proc/<pid>/fd/<n> that points to a device node, and for that /dev node (the format
#    `kmod-doctor snapshot` writes and `check --root` reads);
#  - lib/modules/<rel>/modules.* and boot/config-<rel> are hard links (stored once in the tar).
# Everything is done with few processes: under TCG each fork+exec costs milliseconds.

CAP_CLASSES="net block drm graphics vtconsole misc tty sound input"
# attribute files kept from device directories
CAP_DEV_FILES="-name dev -o -name uevent -o -name modalias -o -name operstate -o -name flags -o -name name -o -name bind -o -name ifindex -o -name type -o -name serial -o -name ro -o -name removable"
# links kept from device directories
CAP_DEV_LINKS="-name driver -o -name device -o -name master -o -name upper_* -o -name lower_* -o -name subsystem -o -name module"

capture() {
    _D=$1
    _T=/tmp/kd-capture.$$
    rm -rf "$_T"; mkdir -p "$_T"
    _REL=$(uname -r)
    mkdir -p "$_D/proc/self" "$_D/proc/net" "$_D/proc/sys/kernel" "$_D/kmod-doctor-snapshot" \
             "$_D/lib/modules/$_REL" "$_D/boot" "$_D/etc" "$_D/sys"

    # --- /proc/<pid>: fd links of every process that has any (kernel threads have none)
    find /proc/[0-9]*/fd -mindepth 1 -maxdepth 1 -type l 2>/dev/null > "$_T/fdlinks"
    for _p in $(cut -d/ -f3 "$_T/fdlinks" | sort -u); do
        [ -d "/proc/$_p" ] || continue
        mkdir -p "$_D/proc/$_p/fd"
        echo "/proc/$_p/comm" >> "$_T/files"
        echo "/proc/$_p/cgroup" >> "$_T/files"
        echo "/proc/$_p/maps" >> "$_T/files"
        cat "/proc/$_p/cmdline" > "$_D/proc/$_p/cmdline" 2>/dev/null  # NUL-separated: not via awk
    done
    sed 's,^/,,' "$_T/fdlinks" > "$_T/links"

    # devices.tsv (the format of `kmod-doctor snapshot`): one line per descriptor and per /dev
    # node that some descriptor points to: PATH<TAB>c|b<TAB>MAJOR:MINOR
    printf '# path\tkind\tmajor:minor\n' > "$_D/kmod-doctor-snapshot/devices.tsv"
    ls -l $(cat "$_T/fdlinks") 2>/dev/null \
        | awk '{for (i = 1; i < NF; i++) if ($i == "->" && $(i+1) ~ /^\/dev\//) print $(i-1), $(i+1)}' > "$_T/devl"
    if [ -s "$_T/devl" ]; then
        stat -L -c '%n %t %T %F' $(cut -d' ' -f1 "$_T/devl") 2>/dev/null | awk '
            function hex(s,   i, n) { n = 0; s = tolower(s)
                for (i = 1; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
                return n }
            NR == FNR { tgt[$1] = $2; next }
            { k = ""; if ($0 ~ /character special/) k = "c"; else if ($0 ~ /block special/) k = "b"
              if (k == "" || !($1 in tgt)) next
              num = "\t" k "\t" hex($2) ":" hex($3)
              print $1 num
              if (!(tgt[$1] in seen)) { seen[tgt[$1]] = 1; print tgt[$1] num } }' "$_T/devl" - \
            | sort >> "$_D/kmod-doctor-snapshot/devices.tsv"
    fi

    # --- /proc files (read by one awk below)
    for _f in /proc/modules /proc/sys/kernel/osrelease /proc/sys/kernel/tainted \
              /proc/sys/kernel/modules_disabled /proc/mounts /proc/self/mountinfo /proc/swaps \
              /proc/net/route /proc/net/ipv6_route /proc/devices /proc/filesystems /proc/cmdline; do
        echo "$_f" >> "$_T/files"
    done

    # --- /sys/module: initstate refcnt taint coresize, holders/ and drivers/ links
    find /sys/module -mindepth 1 -maxdepth 2 -type d ! -name sections ! -name notes > "$_T/dirs"
    find /sys/module -mindepth 2 -maxdepth 2 -type f \( -name initstate -o -name refcnt -o -name taint -o -name coresize \) >> "$_T/files"
    find /sys/module -mindepth 3 -maxdepth 3 -type l \( -path '*/holders/*' -o -path '*/drivers/*' \) | sed 's,^/,,' >> "$_T/links"

    # --- /sys/bus/*/drivers/*: links only (devices, module)
    find /sys/bus/*/drivers -maxdepth 1 -type d >> "$_T/dirs"
    find /sys/bus/*/drivers -mindepth 2 -maxdepth 2 -type l | sed 's,^/,,' >> "$_T/links"

    # --- /sys/class/<c>, /sys/block, /sys/dev/{block,char}: links
    _cls=""
    for _c in $CAP_CLASSES; do [ -d "/sys/class/$_c" ] && _cls="$_cls /sys/class/$_c"; done
    echo $_cls /sys/block /sys/dev/block /sys/dev/char | tr ' ' '\n' >> "$_T/dirs"
    # (virtual consoles tty2..tty63 are skipped: 62 identical driverless entries)
    find $_cls /sys/block -mindepth 1 -maxdepth 1 -type l ! -name 'tty[2-9]' ! -name 'tty[1-6][0-9]' > "$_T/classlinks"
    sed 's,^/,,' "$_T/classlinks" >> "$_T/links"
    find /sys/dev/block /sys/dev/char -mindepth 1 -maxdepth 1 -type l | sed 's,^/,,' >> "$_T/links"
    find $_cls -mindepth 1 -maxdepth 1 -type f -name version >> "$_T/files"

    # --- the /sys/devices directories those links point to, and all their ancestors
    realpath $(cat "$_T/classlinks") 2>/dev/null | sort -u > "$_T/classdevs"
    awk '{ p = $0; while (p ~ /^\/sys\/devices\// ) { if (!(p in s)) { s[p] = 1; print p }; sub(/\/[^\/]*$/, "", p) } }' \
        "$_T/classdevs" > "$_T/devdirs"
    cat "$_T/devdirs" >> "$_T/dirs"
    set -f  # the patterns below must reach find unexpanded
    # shellcheck disable=SC2086
    find $(cat "$_T/devdirs") -mindepth 1 -maxdepth 1 -type f \( $CAP_DEV_FILES \) >> "$_T/files" 2>/dev/null
    # shellcheck disable=SC2086
    find $(cat "$_T/devdirs") -mindepth 1 -maxdepth 1 -type l \( $CAP_DEV_LINKS \) 2>/dev/null | sed 's,^/,,' >> "$_T/links"
    set +f
    find $(cat "$_T/classdevs") -mindepth 1 -maxdepth 1 -type d \( -name holders -o -name slaves -o -name brif \) >> "$_T/dirs" 2>/dev/null
    find $(cat "$_T/classdevs") -mindepth 2 -maxdepth 2 -type l \( -path '*/holders/*' -o -path '*/slaves/*' -o -path '*/brif/*' \) 2>/dev/null \
        | sed 's,^/,,' >> "$_T/links"

    # --- create dirs, copy links (tar keeps targets), copy files (one awk)
    sed "s,^,$_D," "$_T/dirs" | xargs mkdir -p
    (cd / && tar -cf - $(sort -u "$_T/links")) 2>/dev/null | tar -xf - -C "$_D" 2>/dev/null
    awk -v D="$_D" '{
        f = $0; out = D f; n = 0
        while ((r = (getline line < f)) > 0) { print line > out; n++ }
        close(f)
        if (n == 0 && r == 0) printf "" > out
        if (n > 0 || r == 0) close(out)
    }' "$_T/files"

    # --- module database, modprobe config, kernel config (hard links: stored once in the tar)
    for _f in dep alias builtin builtin.modinfo devname softdep order; do
        [ -f "/lib/modules/$_REL/modules.$_f" ] && ln "/lib/modules/$_REL/modules.$_f" "$_D/lib/modules/$_REL/"
    done
    [ -f "/boot/config-$_REL" ] && ln "/boot/config-$_REL" "$_D/boot/"
    cp -a /etc/modprobe.d "$_D/etc/" 2>/dev/null
    rm -rf "$_T"
}
