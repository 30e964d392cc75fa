//! Every fact a rule may test, with its type and meaning. The rule loader
//! refuses unknown names, and `rules/README.md` must document each one (a test
//! checks it), so this list is the contract between facts and rules.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Bool,
    Int,
    Str,
    List,
}

impl Ty {
    pub fn name(self) -> &'static str {
        match self {
            Ty::Bool => "bool",
            Ty::Int => "int",
            Ty::Str => "string",
            Ty::List => "list",
        }
    }
}

pub struct Key {
    pub name: &'static str,
    pub ty: Ty,
    pub doc: &'static str,
    /// Where the JSON report shows it, if it does.
    pub json: Option<JsonField>,
}

/// A field of a JSON report section (`kernel`, `module_info`, `users`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonField {
    pub section: &'static str,
    pub field: &'static str,
    /// An empty string means "none" and shows as null.
    pub empty_is_null: bool,
}

/// One line per fact: `"name" Type [section.field] "doc";` (`[section.field ?]`
/// when an empty string is shown as null; no brackets when JSON leaves it out).
macro_rules! keys {
    ($($name:literal $ty:ident $([$sec:ident . $field:ident $($null:tt)?])? $doc:literal;)*) => {
        pub const KEYS: &[Key] = &[$(Key {
            name: $name,
            ty: Ty::$ty,
            doc: $doc,
            json: keys!(@json $($sec $field $($null)?)?),
        },)*];
    };
    (@json) => { None };
    (@json $sec:ident $field:ident) => {
        Some(JsonField { section: stringify!($sec), field: stringify!($field), empty_is_null: false })
    };
    (@json $sec:ident $field:ident ?) => {
        Some(JsonField { section: stringify!($sec), field: stringify!($field), empty_is_null: true })
    };
}

keys! {
    "kernel.release" Str [kernel.release] "Kernel release the module tree is read for (`-S`, else /proc/sys/kernel/osrelease).";
    "kernel.module_support" Bool [kernel.module_support] "The kernel can load modules at all (/proc/modules exists).";
    "kernel.config_source" Str [kernel.config_source ?] "Kernel config file that was read, empty when none was found.";
    "kernel.unload_supported" Bool [kernel.unload_supported] "CONFIG_MODULE_UNLOAD, from the config or inferred from /proc/modules.";
    "kernel.force_unload_supported" Bool [kernel.force_unload_supported] "CONFIG_MODULE_FORCE_UNLOAD (`rmmod -f` possible).";
    "kernel.modules_disabled" Bool [kernel.modules_disabled] "/proc/sys/kernel/modules_disabled is 1: no module can be loaded or removed until reboot.";
    "kernel.tainted" Int [kernel.tainted] "/proc/sys/kernel/tainted as a number.";
    "kernel.taint_flags" Str [kernel.taint_flags] "Kernel taint as letters (P, O, E, R, ...), empty when untainted.";
    "module.query" Str "The name as the user typed it.";
    "module.name" Str "The module name after resolution (underscores, alias resolved).";
    "module.resolved_via" Str "`name`, `dashed` (dashes read as underscores) or `alias`.";
    "module.alias_source" Str "Where the alias was found (`file:line`), empty unless resolved via an alias.";
    "module.aliases_checked" Bool "Every alias source (modprobe.d, modules.alias, modules.builtin.modinfo) could be read while resolving the name.";
    "module.loaded" Bool [module_info.loaded] "The module is in /proc/modules (or /sys/module/M/initstate exists).";
    "module.builtin" Bool [module_info.builtin] "Compiled into the kernel (modules.builtin, or /sys/module/M without initstate).";
    "module.known" Bool "modules.dep lists it for this kernel release.";
    "module.path" Str [module_info.path] "Its file in modules.dep, relative to /lib/modules/RELEASE.";
    "module.state" Str [module_info.state] "`live`, `loading` or `unloading`.";
    "module.refcount" Int [module_info.refcount] "Reference count from /proc/modules or /sys/module/M/refcnt.";
    "module.holders" List [module_info.holders] "Modules that use it (used-by column, /sys/module/M/holders).";
    "module.unexplained_refs" Int [module_info.unexplained_refs] "refcount minus holders: references from non-module users.";
    "module.permanent" Bool [module_info.permanent] "`[permanent]`: it has no exit function and can only be forced out.";
    "module.size" Int [module_info.size] "Size in bytes from /proc/modules.";
    "module.taint" Str [module_info.taint ?] "The module's own taint letters, empty when none.";
    "module.drivers" List [module_info.drivers] "Bus drivers it registers, as `bus:driver` (/sys/module/M/drivers; for built-in code also drivers named like it in /sys/bus/*/drivers).";
    "module.bound_devices" List [module_info.bound_devices] "Devices bound to its drivers (/sys/bus/BUS/drivers/DRV/*); for built-in code, drivers from /sys/module/M/drivers or named like the module on any bus.";
    "module.unbind" List "Each bound device with the file that unbinds it: `DEVICE /sys/bus/BUS/drivers/DRV/unbind` (in steps, `{item.1}` is the device, `{item.2}` the file).";
    "module.unbindable" Bool "Built in (not loaded) and devices are bound to its drivers: unbinding them is how to take it off them without a reboot, and its users are gathered as for a loaded module.";
    "module.builtin_listed" Bool "modules.builtin lists it, so modprobe knows it is built in (`Module M is builtin.`); when not, modprobe -r answers `Module M not found.`.";
    "module.suggestions" List "Loaded, built-in or installed module names close to a name that matched nothing (typos, case, `.ko`).";
    "module.modalias_devices" List "Devices whose modalias matches one of its aliases (udev would load it again).";
    "module.removal_order" List [module_info.removal_order] "Modules holding it, transitively, deepest first: the order to remove them.";
    "module.dependencies" List [module_info.dependencies] "Its dependencies from modules.dep (the full closure).";
    "module.would_also_remove" List [module_info.would_also_remove] "Dependencies `modprobe -r` removes too because nothing else uses them.";
    "module.modprobe_finds" Bool [module_info.modprobe_finds] "modprobe's own lookup (modprobe.d aliases, modules.dep, commands, modules.alias, built-in) finds it; false for a module loaded from outside the module tree.";
    "module.removal_set" List [module_info.removal_set] "Every module `modprobe -r` removes, in kmod's order (softdep post modules, the target, dependencies whose reference count reaches 0, softdep pre modules); for a module modprobe cannot find, the target alone (`rmmod`).";
    "module.removal_others" List "The removal set without the target.";
    "module.remove_command" Str "`remove` command from modprobe.d that replaces the removal, empty when none.";
    "module.install_command" Str "`install` command from modprobe.d that runs instead of loading, empty when none.";
    "module.softdep_pre" List "`softdep` pre: modules (first matching line of modprobe.d or modules.softdep, as kmod).";
    "module.softdep_post" List "`softdep` post: modules (first matching line, as kmod).";
    "module.blacklisted" Bool "A modprobe.d `blacklist` line or `modprobe.blacklist=` on /proc/cmdline names it (it only stops loading by alias; removal ignores it).";
    "module.classes" List [module_info.classes] "What it serves: storage, network, display, virtualization, input, sound (rules/devices.toml).";
    "users.processes" List [users.processes] "Processes holding its device nodes open: `pid N (comm, unit) holds /dev/X`.";
    "users.units" List [users.units] "systemd units of those processes (from /proc/PID/cgroup).";
    "users.user_units" List "Units of a user's systemd manager among those processes, as `UID UNIT` (from a cgroup below `user@UID.service`).";
    "users.pids" List [users.pids] "Pids of those processes that belong to no systemd unit.";
    "users.uninspectable" Int [users.uninspectable_processes] "Processes whose open files could not be read (run as root to see them).";
    "users.mounts" List [users.mounts] "Mount points on its block devices or of a filesystem type it provides, deepest first.";
    "users.releasable_mounts" List "Those mounts minus the critical ones: what can be unmounted, deepest first.";
    "users.critical_mounts" List [users.critical_mounts] "Those mounts that the system cannot lose: /, /boot, /usr, /var (rules/devices.toml).";
    "users.swaps" List [users.swaps] "Active swap areas on its devices.";
    "users.loop_devices" List [users.loop_devices] "Loop devices attached to a backing file.";
    "users.block_devices" List [users.block_devices] "Block devices (/sys/class/block entries) that go with it: bound to its drivers, stacked on those, or of its /proc/devices major (loop0..7 of `loop`, attached or not).";
    "users.stacked_devices" List "Devices stacked on its disks or partitions (sysfs holders/: device-mapper, md), and those stacked on them, topmost first: `dm-0 (NAME)`, `md0`.";
    "users.stacked_dm_names" List "The device-mapper names among them, topmost first (`dmsetup remove NAME`).";
    "users.stacked_md_devices" List "The md arrays among them (`/dev/mdN`, `mdadm --stop`).";
    "users.interfaces" List [users.interfaces] "Network interfaces it provides, with those stacked on them (bridges, bonds, VLANs).";
    "users.up_interfaces" List [users.up_interfaces] "Those interfaces that are administratively up.";
    "users.route_interfaces" List [users.default_route_interfaces] "Those interfaces that carry a default route (IPv4 or IPv6).";
    "users.ssh_interfaces" List [users.ssh_interfaces] "The interface this SSH session reaches its client through, if it is one of them.";
    "module.link_kinds" List "rtnetlink link kinds it provides (`rtnl-link-KIND` aliases of modules.alias, `link_kinds` in rules/devices.toml).";
    "users.link_kind_interfaces" List "Its interfaces of a link kind it provides (dummy0, veth0): deleting them releases nothing else.";
    "users.unknown_kind_interfaces" List "Interfaces no module could be tied to while their link kind was not read (a root without netlink's record), listed when it provides link kinds.";
    "users.peer_namespace_interfaces" List "Its interfaces whose peer or lower device lives in another network namespace (a container's veth end): netlink IFLA_LINK_NETNSID.";
    "users.other_netns" List "Network namespaces other than the inspected one (distinct /proc/PID/ns/net, names in /run/netns): their interfaces were not inspected.";
    "users.kernel_refs" List "References the kernel holds on it, each with its source: default TCP congestion control, default and attached qdiscs, tc classifiers and actions, NLS tables of mounts, crypto algorithms in use (rules/kernel-refs.toml).";
    "users.kernel_refs_checked" List "The sources of kernel-held references that could be read (sysctls, netlink qdiscs, tc classifiers and actions, mount options, /proc/crypto).";
    "users.congestion_sysctls" List "`net.ipv4.tcp_congestion_control=FALLBACK` when its congestion control is the default: the setting that releases it.";
    "users.default_qdisc_sysctls" List "`net.core.default_qdisc=FALLBACK` when its qdisc is the default: the setting that releases it.";
    "users.qdisc_interfaces" List "Interfaces with one of its qdiscs in their root tree (tc qdisc del dev IFACE root releases them).";
    "users.ingress_qdisc_interfaces" List "Interfaces with its ingress qdisc.";
    "users.clsact_qdisc_interfaces" List "Interfaces with its clsact qdisc.";
    "users.netfilter_refs" List "References netfilter holds on it, each with its source: expressions of nf_tables rules (their `nft-expr-` aliases), base chains of its chain type, iptables-nft's xtables matches and targets, legacy iptables tables (inferred).";
    "users.nft_rules" List "nf_tables rules using it: `FAMILY TABLE CHAIN HANDLE`.";
    "users.nft_base_chains" List "nf_tables base chains of its chain type: `FAMILY TABLE CHAIN`.";
    "users.legacy_tables" List "Its legacy iptables tables: `COMMAND TABLE` (`iptables filter`).";
    "users.tc_filters" List "tc filters of its classifier or carrying its actions: `IFACE PARENT CHAIN PRIO` (netlink RTM_GETTFILTER).";
    "users.tc_action_kinds" List "Its tc action kinds with actions not known to be bound to a filter (`tc actions flush action KIND` releases them).";
    "users.nls_mounts" List "Mount points whose options use its NLS table (iocharset=, codepage=) or its transport (9p trans=virtio).";
    "users.crypto_algorithms" List "Its crypto algorithms in use (refcnt above 1 in /proc/crypto): `name (driver)`.";
    "users.netfs_mounts" List "Network filesystems (NFS, CIFS, Ceph) whose server address (`addr=` mount option) is routed through its interfaces, deepest first.";
    "users.other_ns_mounts" List "Its mounts in other mount namespaces (containers, services with private mounts) whose filesystem is not mounted in the inspected one: `MOUNTPOINT (mount namespace of pid N)`.";
    "users.drm_cards" List [users.drm_cards] "DRM cards it drives (/sys/class/drm/cardN).";
    "caller.cap_sys_module" Bool "Whoever runs the tool (under --root: whoever captured the snapshot) could remove modules: CAP_SYS_MODULE is in the bounding set (`/proc/self/status` CapBnd) and the process is in the initial user namespace (`/proc/self/uid_map`). Read for a loaded module or built-in code with bound devices.";
    "users.console" Bool [users.console] "The framebuffer console runs on a framebuffer it drives.";
    "users.console_binds" List "The `bind` files of the virtual consoles the framebuffer console is bound to (`/sys/class/vtconsole/vtconN/bind`), when it runs on a framebuffer it drives.";
    "users.attributed_refs" Int [users.attributed_refs] "References explained by users found (open device nodes, mounts, swap, loop devices).";
}

pub fn lookup(name: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.name == name)
}

/// The JSON section `section` of a report, built from the facts: every key
/// that names a field there, with its value, or null (an empty list for
/// lists) when it could not be read.
pub fn json_section(
    facts: &super::FactTable,
    section: &str,
) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::Value as J;
    let mut out = serde_json::Map::new();
    for k in KEYS {
        let Some(j) = k.json.filter(|j| j.section == section) else {
            continue;
        };
        let v = match (facts.value(k.name), k.ty) {
            (Some(super::Value::Str(s)), _) if j.empty_is_null && s.is_empty() => J::Null,
            (Some(v), _) => serde_json::to_value(v).unwrap_or(J::Null),
            (None, Ty::List) => J::Array(Vec::new()),
            (None, _) => J::Null,
        };
        out.insert(j.field.to_string(), v);
    }
    out
}
