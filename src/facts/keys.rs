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
}

macro_rules! keys {
    ($($name:literal $ty:ident $doc:literal;)*) => {
        pub const KEYS: &[Key] = &[$(Key { name: $name, ty: Ty::$ty, doc: $doc },)*];
    };
}

keys! {
    "kernel.release" Str "Kernel release the module tree is read for (`-S`, else /proc/sys/kernel/osrelease).";
    "kernel.module_support" Bool "The kernel can load modules at all (/proc/modules exists).";
    "kernel.config_source" Str "Kernel config file that was read, empty when none was found.";
    "kernel.unload_supported" Bool "CONFIG_MODULE_UNLOAD, from the config or inferred from /proc/modules.";
    "kernel.force_unload_supported" Bool "CONFIG_MODULE_FORCE_UNLOAD (`rmmod -f` possible).";
    "kernel.modules_disabled" Bool "/proc/sys/kernel/modules_disabled is 1: no module can be loaded or removed until reboot.";
    "kernel.tainted" Int "/proc/sys/kernel/tainted as a number.";
    "kernel.taint_flags" Str "Kernel taint as letters (P, O, E, R, ...), empty when untainted.";
    "module.query" Str "The name as the user typed it.";
    "module.name" Str "The module name after resolution (underscores, alias resolved).";
    "module.resolved_via" Str "`name`, `dashed` (dashes read as underscores) or `alias`.";
    "module.alias_source" Str "Where the alias was found (`file:line`), empty unless resolved via an alias.";
    "module.aliases_checked" Bool "Every alias source (modprobe.d, modules.alias, modules.builtin.modinfo) could be read while resolving the name.";
    "module.loaded" Bool "The module is in /proc/modules (or /sys/module/M/initstate exists).";
    "module.builtin" Bool "Compiled into the kernel (modules.builtin, or /sys/module/M without initstate).";
    "module.known" Bool "modules.dep lists it for this kernel release.";
    "module.path" Str "Its file in modules.dep, relative to /lib/modules/RELEASE.";
    "module.state" Str "`live`, `loading` or `unloading`.";
    "module.refcount" Int "Reference count from /proc/modules or /sys/module/M/refcnt.";
    "module.holders" List "Modules that use it (used-by column, /sys/module/M/holders).";
    "module.unexplained_refs" Int "refcount minus holders: references from non-module users.";
    "module.permanent" Bool "`[permanent]`: it has no exit function and can only be forced out.";
    "module.size" Int "Size in bytes from /proc/modules.";
    "module.taint" Str "The module's own taint letters, empty when none.";
    "module.drivers" List "Bus drivers it registers, as `bus:driver` (/sys/module/M/drivers; for built-in code also drivers named like it in /sys/bus/*/drivers).";
    "module.bound_devices" List "Devices bound to its drivers (/sys/bus/BUS/drivers/DRV/*); for built-in code, drivers from /sys/module/M/drivers or named like the module on any bus.";
    "module.unbind" List "Each bound device with the file that unbinds it: `DEVICE /sys/bus/BUS/drivers/DRV/unbind` (in steps, `{item.1}` is the device, `{item.2}` the file).";
    "module.unbindable" Bool "Built in (not loaded) and devices are bound to its drivers: unbinding them is how to take it off them without a reboot, and its users are gathered as for a loaded module.";
    "module.builtin_listed" Bool "modules.builtin lists it, so modprobe knows it is built in (`Module M is builtin.`); when not, modprobe -r answers `Module M not found.`.";
    "module.suggestions" List "Loaded, built-in or installed module names close to a name that matched nothing (typos, case, `.ko`).";
    "module.modalias_devices" List "Devices whose modalias matches one of its aliases (udev would load it again).";
    "module.removal_order" List "Modules holding it, transitively, deepest first: the order to remove them.";
    "module.dependencies" List "Its dependencies from modules.dep (the full closure).";
    "module.would_also_remove" List "Dependencies `modprobe -r` removes too because nothing else uses them.";
    "module.remove_command" Str "`remove` command from modprobe.d that replaces the removal, empty when none.";
    "module.install_command" Str "`install` command from modprobe.d that runs instead of loading, empty when none.";
    "module.softdep_pre" List "modprobe.d `softdep` pre: modules.";
    "module.softdep_post" List "modprobe.d `softdep` post: modules.";
    "module.blacklisted" Bool "A modprobe.d `blacklist` line names it.";
    "module.classes" List "What it serves: storage, network, display, virtualization, input, sound (rules/devices.toml).";
    "users.processes" List "Processes holding its device nodes open: `pid N (comm, unit) holds /dev/X`.";
    "users.units" List "systemd units of those processes (from /proc/PID/cgroup).";
    "users.pids" List "Pids of those processes that belong to no systemd unit.";
    "users.uninspectable" Int "Processes whose open files could not be read (run as root to see them).";
    "users.mounts" List "Mount points on its block devices or of a filesystem type it provides, deepest first.";
    "users.releasable_mounts" List "Those mounts minus the critical ones: what can be unmounted, deepest first.";
    "users.critical_mounts" List "Those mounts that the system cannot lose: /, /boot, /usr, /var (rules/devices.toml).";
    "users.swaps" List "Active swap areas on its devices.";
    "users.loop_devices" List "Loop devices attached to a backing file.";
    "users.interfaces" List "Network interfaces it provides, with those stacked on them (bridges, bonds, VLANs).";
    "users.up_interfaces" List "Those interfaces that are administratively up.";
    "users.route_interfaces" List "Those interfaces that carry a default route (IPv4 or IPv6).";
    "users.ssh_interfaces" List "The interface this SSH session reaches its client through, if it is one of them.";
    "users.drm_cards" List "DRM cards it drives (/sys/class/drm/cardN).";
    "users.console" Bool "The framebuffer console runs on a framebuffer it drives.";
    "users.attributed_refs" Int "References explained by users found (open device nodes, mounts, swap, loop devices).";
}

pub fn lookup(name: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.name == name)
}
