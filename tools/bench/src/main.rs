//! Benchmark tooling for kmod-doctor (issue 6), driven by `scripts/bench`.
//!
//! ```text
//! kd-bench gen --modules N --devices D --procs P --fds F [--mounts M] OUT
//! kd-bench fdwalk ROOT            # baseline: readdir per /proc/<pid>/fd, readlink per fd
//! kd-bench measure [--runs K] [--warmup W] [--budget-ms B] -- CMD ARGS...   # median wall ms, peak RSS KiB, exit code
//! ```
//!
//! `gen` writes a synthetic root under OUT/root laid out the way kmod-doctor
//! reads a snapshot: /proc/modules with holder chains, /sys/module, drivers
//! bound to PCI functions with class devices below them (block, net, drm,
//! input, sound, misc), /sys/dev and /sys/class links, the module tree under
//! /lib/modules, modprobe.d, P processes with F descriptors each (one in
//! eight on a device node, the rest sockets, pipes and files), mountinfo,
//! swaps, routes and network interfaces. Device numbers of descriptors go
//! through kmod-doctor-snapshot/devices.tsv, one line per device node (the
//! tool looks a descriptor up by its target), so the table stays small.
//! OUT/meta.env names an idle module, a busy one and the sizes.
//!
//! Everything is deterministic: the same arguments give the same tree.

use std::fmt::Write as _;
use std::io::Write as _;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::Instant;

const RELEASE: &str = "6.1.0-bench-amd64";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first() else { usage() };
    let rest = &args[1..];
    match cmd.as_str() {
        "gen" => gen_main(rest),
        "fdwalk" => fdwalk_main(rest),
        "measure" => measure_main(rest),
        _ => usage(),
    }
}

fn usage() -> ! {
    eprintln!(
        "usage:\n  kd-bench gen --modules N --devices D --procs P --fds F [--mounts M] OUT\n  \
         kd-bench fdwalk ROOT\n  kd-bench measure [--runs K] [--warmup W] [--budget-ms B] -- CMD ARGS..."
    );
    std::process::exit(2)
}

// ================================================================ gen

struct Spec {
    modules: usize,
    devices: usize,
    procs: usize,
    fds: usize,
    mounts: usize,
}

fn gen_main(args: &[String]) {
    let mut spec = Spec {
        modules: 100,
        devices: 100,
        procs: 100,
        fds: 10,
        mounts: 20,
    };
    let mut out: Option<PathBuf> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut num = || -> usize {
            it.next()
                .and_then(|v| v.replace('_', "").parse().ok())
                .unwrap_or_else(|| usage())
        };
        match a.as_str() {
            "--modules" => spec.modules = num(),
            "--devices" => spec.devices = num(),
            "--procs" => spec.procs = num(),
            "--fds" => spec.fds = num(),
            "--mounts" => spec.mounts = num(),
            s if !s.starts_with('-') => out = Some(PathBuf::from(s)),
            _ => usage(),
        }
    }
    let out = out.unwrap_or_else(|| usage());
    let t = Instant::now();
    let g = Gen::new(&out, spec);
    g.run();
    eprintln!(
        "kd-bench: generated {} in {:.1}s ({} files and links)",
        out.display(),
        t.elapsed().as_secs_f64(),
        g.count.get()
    );
}

/// Device classes: (class, node prefix, major, is block).
const CLASSES: &[(&str, &str, u32, bool)] = &[
    ("block", "vd", 254, true),
    ("net", "eth", 0, false),
    ("drm", "card", 226, false),
    ("input", "event", 13, false),
    ("sound", "pcmC", 116, false),
    ("misc", "misc", 10, false),
];

struct Device {
    name: String,
    class: usize,
    /// PCI function the device sits below.
    pci: String,
    /// Canonical sysfs path of the class device.
    sys: String,
    driver: usize,
    major: u32,
    minor: u32,
}

impl Device {
    fn has_node(&self) -> bool {
        CLASSES[self.class].2 != 0
    }
    fn is_block(&self) -> bool {
        CLASSES[self.class].3
    }
    fn node(&self) -> String {
        match CLASSES[self.class].0 {
            "drm" => format!("/dev/dri/{}", self.name),
            "input" => format!("/dev/input/{}", self.name),
            "sound" => format!("/dev/snd/{}", self.name),
            _ => format!("/dev/{}", self.name),
        }
    }
}

struct Gen {
    root: PathBuf,
    dir: PathBuf,
    spec: Spec,
    /// Module names; the first `drivers` are device drivers, one per class
    /// at least, the rest form holder chains.
    names: Vec<String>,
    drivers: usize,
    devices: Vec<Device>,
    count: std::cell::Cell<usize>,
}

impl Gen {
    fn new(out: &Path, spec: Spec) -> Gen {
        let modules = spec.modules.max(CLASSES.len() + 2);
        let drivers = (modules / 4).max(CLASSES.len());
        let mut names = Vec::with_capacity(modules);
        for i in 0..drivers {
            let class = CLASSES[i % CLASSES.len()].0;
            names.push(format!("drv_{class}_{}", i / CLASSES.len()));
        }
        // The idle module has no holders, no devices and no users.
        names.push("bench_idle".to_string());
        while names.len() < modules {
            names.push(format!("mod{:05}", names.len()));
        }
        let mut devices = Vec::with_capacity(spec.devices);
        let mut minors = [0u32; 6];
        for j in 0..spec.devices {
            let class = j % CLASSES.len();
            let (cname, prefix, major, _) = CLASSES[class];
            let idx = j / CLASSES.len();
            // Drivers of this class: indices class, class + 6, class + 12 ...
            let per_class = drivers.div_ceil(CLASSES.len());
            let mut driver = class + CLASSES.len() * (idx % per_class);
            if driver >= drivers {
                driver = class;
            }
            let pci = format!(
                "0000:{:02x}:{:02x}.{}",
                (j >> 8) & 0xff,
                (j >> 3) & 31,
                j & 7
            );
            let name = if cname == "sound" {
                format!("{prefix}{idx}D0p")
            } else {
                format!("{prefix}{idx}")
            };
            let sys = format!("/sys/devices/pci0000:{:02x}/{pci}/{cname}/{name}", j >> 16);
            let minor = minors[class];
            minors[class] += 1;
            devices.push(Device {
                name,
                class,
                pci,
                sys,
                driver,
                major,
                minor,
            });
        }
        Gen {
            root: out.join("root"),
            dir: out.to_path_buf(),
            spec,
            names,
            drivers,
            devices,
            count: std::cell::Cell::new(0),
        }
    }

    fn host(&self, p: &str) -> PathBuf {
        self.root.join(p.trim_start_matches('/'))
    }

    fn write(&self, p: &str, content: &str) {
        let h = self.host(p);
        if let Some(d) = h.parent() {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(&h, content).unwrap_or_else(|e| panic!("{}: {e}", h.display()));
        self.count.set(self.count.get() + 1);
    }

    fn mkdir(&self, p: &str) {
        std::fs::create_dir_all(self.host(p)).unwrap();
    }

    /// A relative symlink at `p` to the absolute system path `target`, as
    /// sysfs writes them.
    fn link(&self, p: &str, target: &str) {
        let h = self.host(p);
        if let Some(d) = h.parent() {
            std::fs::create_dir_all(d).unwrap();
        }
        // Relative to the link's directory, through the common prefix.
        let from: Vec<&str> = p.trim_start_matches('/').split('/').collect();
        let from = &from[..from.len() - 1];
        let to: Vec<&str> = target.trim_start_matches('/').split('/').collect();
        let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
        let rel = format!(
            "{}{}",
            "../".repeat(from.len() - common),
            to[common..].join("/")
        );
        match symlink(&rel, &h) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => panic!("{}: {e}", h.display()),
        }
        self.count.set(self.count.get() + 1);
    }

    /// Holders of module `i` (indices into names): chains of four among the
    /// non-driver modules (a ← b ← d, a ← c), and drivers of class `c` are
    /// held by the next driver of the same class (like drm ← drm_kms_helper).
    fn holders(&self, i: usize) -> Vec<usize> {
        let n = self.names.len();
        if i < self.drivers {
            let next = i + CLASSES.len();
            // Only every fourth driver has a holder, to keep most bindable.
            if next < self.drivers && (i / CLASSES.len()).is_multiple_of(4) {
                return vec![next];
            }
            return vec![];
        }
        let first = self.drivers + 1; // after bench_idle
        if i < first {
            return vec![];
        }
        let k = i - first;
        let base = i - k % 4;
        match k % 4 {
            0 => [base + 1, base + 2]
                .into_iter()
                .filter(|h| *h < n)
                .collect(),
            1 => [base + 3].into_iter().filter(|h| *h < n).collect(),
            _ => vec![],
        }
    }

    fn run(&self) {
        let _ = std::fs::remove_dir_all(&self.root);
        std::fs::create_dir_all(&self.root).unwrap();
        let s = &self.spec;
        let n = self.names.len();

        // ---- who uses what: descriptors per device, mounts, swap
        let node_devs: Vec<usize> = (0..self.devices.len())
            .filter(|&j| self.devices[j].has_node())
            .collect();
        let mut opens = vec![0i64; self.devices.len()];
        for p in 0..s.procs {
            for k in (3..s.fds).step_by(8) {
                if !node_devs.is_empty() {
                    let j = node_devs[(p * 7919 + k * 104_729) % node_devs.len()];
                    opens[j] += 1;
                }
            }
        }
        let blocks: Vec<usize> = (0..self.devices.len())
            .filter(|&j| self.devices[j].is_block())
            .collect();
        let mut mounted = vec![0i64; self.devices.len()];
        // Root and /boot on the first block devices, swap on the third.
        for &j in blocks.iter().take(2) {
            mounted[j] += 1;
        }
        if let Some(&j) = blocks.get(2) {
            mounted[j] += 1;
        }

        // ---- kernel
        self.write("/proc/sys/kernel/osrelease", &format!("{RELEASE}\n"));
        self.write("/proc/sys/kernel/tainted", "0\n");
        self.write("/proc/sys/kernel/modules_disabled", "0\n");
        self.write(
            &format!("/boot/config-{RELEASE}"),
            "CONFIG_MODULES=y\nCONFIG_MODULE_UNLOAD=y\nCONFIG_MODULE_FORCE_UNLOAD=y\n",
        );
        self.write(
            "/proc/devices",
            "Character devices:\n  1 mem\n 10 misc\n 13 input\n116 alsa\n226 drm\n\nBlock devices:\n254 virtblk\n",
        );

        // ---- modules
        let mut refcnt = vec![0i64; n];
        let mut used_by: Vec<Vec<usize>> = vec![vec![]; n];
        for (i, ub) in used_by.iter_mut().enumerate() {
            *ub = self.holders(i);
            refcnt[i] += ub.len() as i64;
        }
        for (j, d) in self.devices.iter().enumerate() {
            refcnt[d.driver] += opens[j] + mounted[j];
        }
        let mut deps_of: Vec<Vec<usize>> = vec![vec![]; n];
        for (m, hs) in used_by.iter().enumerate() {
            for h in hs {
                deps_of[*h].push(m);
            }
        }
        let mut proc_modules = String::with_capacity(n * 64);
        let mut dep = String::with_capacity(n * 64);
        let mut alias = String::from("# Aliases extracted from modules themselves.\n");
        for (i, name) in self.names.iter().enumerate() {
            let holders: String = used_by[i]
                .iter()
                .map(|h| format!("{},", self.names[*h]))
                .collect();
            let holders = if holders.is_empty() {
                "-".into()
            } else {
                holders
            };
            let _ = writeln!(
                proc_modules,
                "{name} {} {} {holders} Live 0xffffffffc{:07x}",
                16384 + (i % 64) * 4096,
                refcnt[i],
                i * 0x1000
            );
            let dir = format!("/sys/module/{name}");
            self.write(&format!("{dir}/initstate"), "live\n");
            self.write(&format!("{dir}/refcnt"), &format!("{}\n", refcnt[i]));
            self.write(&format!("{dir}/taint"), "\n");
            self.mkdir(&format!("{dir}/holders"));
            for h in &used_by[i] {
                self.link(
                    &format!("{dir}/holders/{}", self.names[*h]),
                    &format!("/sys/module/{}", self.names[*h]),
                );
            }
            // modules.dep: holders depend on the modules they hold.
            let path = |m: &str| format!("kernel/drivers/bench/{m}.ko.xz");
            let mut line = format!("{}:", path(name));
            for m in &deps_of[i] {
                line.push(' ');
                line.push_str(&path(&self.names[*m]));
            }
            dep.push_str(&line);
            dep.push('\n');
            let _ = writeln!(alias, "alias {name}-compat {name}");
        }
        self.write("/proc/modules", &proc_modules);
        let lm = format!("/lib/modules/{RELEASE}");
        self.write(&format!("{lm}/modules.dep"), &dep);
        self.write(
            &format!("{lm}/modules.builtin"),
            "kernel/net/unix/unix.ko\n",
        );
        self.write(
            &format!("{lm}/modules.builtin.modinfo"),
            "unix.alias=net-pf-1\0unix.license=GPL\0",
        );
        self.write(
            &format!("{lm}/modules.devname"),
            "# Device nodes to trigger on-demand module loading.\nfuse fuse c10:229\n",
        );
        self.write(
            "/etc/modprobe.d/bench.conf",
            "options bench_idle x=1\nsoftdep drv_drm_0 pre: drv_misc_0\nblacklist pcspkr\n",
        );

        // ---- devices
        let mut devtsv = String::from("# path\tkind\tmajor:minor\n");
        for (j, d) in self.devices.iter().enumerate() {
            let drv = &self.names[d.driver];
            let bus_drv = format!("/sys/bus/pci/drivers/{drv}");
            let pci_dir = format!("/sys/devices/pci0000:{:02x}/{}", j >> 16, d.pci);
            self.write(
                &format!("{pci_dir}/modalias"),
                &format!("pci:v00001AF4d{:08X}sv00001AF4sd00000001bc01sc00i00\n", j),
            );
            self.write(&format!("{pci_dir}/uevent"), &format!("DRIVER={drv}\n"));
            self.link(&format!("{pci_dir}/driver"), &bus_drv);
            self.link(&format!("{bus_drv}/{}", d.pci), &pci_dir);
            if !self.host(&format!("{bus_drv}/module")).exists() {
                self.write(&format!("{bus_drv}/bind"), "");
                self.write(&format!("{bus_drv}/unbind"), "");
                self.link(&format!("{bus_drv}/module"), &format!("/sys/module/{drv}"));
                self.link(&format!("/sys/module/{drv}/drivers/pci:{drv}"), &bus_drv);
                let _ = writeln!(alias, "alias pci:v00001AF4d{:08X}sv*sd*bc*sc*i* {drv}", j);
            }
            let (class, ..) = CLASSES[d.class];
            self.write(
                &format!("{}/uevent", d.sys),
                &format!("DEVNAME={}\n", d.name),
            );
            if d.has_node() {
                let kind = if d.is_block() { "block" } else { "char" };
                let num = format!("{}:{}", d.major, d.minor);
                self.write(&format!("{}/dev", d.sys), &format!("{num}\n"));
                self.link(&format!("/sys/dev/{kind}/{num}"), &d.sys);
                let k = if d.is_block() { 'b' } else { 'c' };
                let _ = writeln!(devtsv, "{}\t{k}\t{num}", d.node());
            }
            if class == "net" {
                self.write(&format!("{}/flags", d.sys), "0x1003\n");
                self.write(&format!("{}/operstate", d.sys), "up\n");
                self.write(&format!("{}/ifindex", d.sys), &format!("{}\n", j + 2));
            }
            self.link(&format!("/sys/class/{class}/{}", d.name), &d.sys);
        }
        // The alias file was extended with device aliases.
        self.write(&format!("{lm}/modules.alias"), &alias);
        self.write("/kmod-doctor-snapshot/devices.tsv", &devtsv);

        // ---- mounts, swaps, routes
        let mut mi = String::new();
        let _ = writeln!(mi, "1 0 0:1 / / rw - rootfs rootfs rw");
        for (i, &j) in blocks.iter().take(2).enumerate() {
            let d = &self.devices[j];
            let mp = if i == 0 { "/" } else { "/boot" };
            let _ = writeln!(
                mi,
                "{} 1 {}:{} / {mp} rw,relatime shared:{} - ext4 /dev/{} rw",
                22 + i,
                d.major,
                d.minor,
                i + 1,
                d.name
            );
        }
        for m in 0..s.mounts {
            let _ = writeln!(
                mi,
                "{} 22 0:{} / /run/bench/tmp{m} rw,nosuid,nodev - tmpfs tmpfs rw,size=1024k",
                100 + m,
                40 + m
            );
        }
        self.write("/proc/self/mountinfo", &mi);
        let mut swaps = String::from("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
        if let Some(&j) = blocks.get(2) {
            let _ = writeln!(
                swaps,
                "/dev/{}                               partition\t1048572\t\t0\t\t-2",
                self.devices[j].name
            );
            self.write(
                &format!("/sys/class/block/{}/dev", self.devices[j].name),
                &format!("{}:{}\n", self.devices[j].major, self.devices[j].minor),
            );
        }
        self.write("/proc/swaps", &swaps);
        let net: Vec<&Device> = self
            .devices
            .iter()
            .filter(|d| CLASSES[d.class].0 == "net")
            .collect();
        let mut route = String::from(
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n",
        );
        let mut r6 = String::new();
        for (i, d) in net.iter().enumerate() {
            if i == 0 {
                let _ = writeln!(
                    route,
                    "{}\t00000000\t0202000A\t0003\t0\t0\t0\t00000000\t0\t0\t0",
                    d.name
                );
                let _ = writeln!(
                    r6,
                    "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003 {:>8}",
                    d.name
                );
            }
            let _ = writeln!(
                route,
                "{}\t00{:02X}000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0",
                d.name,
                i % 256
            );
        }
        self.write("/proc/net/route", &route);
        self.write("/proc/net/ipv6_route", &r6);

        // ---- processes
        let tsv_lines = self.devices.iter().filter(|d| d.has_node()).count();
        for p in 0..s.procs {
            let pid = 1000 + p;
            let dir = format!("/proc/{pid}");
            self.write(&format!("{dir}/comm"), &format!("bench{}\n", p % 97));
            self.write(
                &format!("{dir}/cmdline"),
                &format!("/usr/bin/bench{}\0--worker\0{p}\0", p % 97),
            );
            self.write(
                &format!("{dir}/cgroup"),
                &format!("0::/system.slice/bench{}.service\n", p % 50),
            );
            let fd_dir = self.host(&format!("{dir}/fd"));
            std::fs::create_dir_all(&fd_dir).unwrap();
            for k in 0..s.fds {
                let target = if k % 8 == 3 && !node_devs.is_empty() {
                    let j = node_devs[(p * 7919 + k * 104_729) % node_devs.len()];
                    self.devices[j].node()
                } else {
                    match k % 8 {
                        0 => "/dev/null".to_string(),
                        1 | 2 => format!("/var/log/bench{}.log", p % 97),
                        4 | 5 => format!("socket:[{}]", 100_000 + p * s.fds + k),
                        6 => format!("pipe:[{}]", 900_000 + p * s.fds + k),
                        _ => "anon_inode:[eventfd]".to_string(),
                    }
                };
                symlink(&target, fd_dir.join(k.to_string())).unwrap();
            }
            self.count.set(self.count.get() + s.fds);
        }

        // ---- meta for the script
        let busy = self
            .devices
            .iter()
            .enumerate()
            .filter(|(j, _)| opens[*j] > 0)
            .max_by_key(|(j, _)| opens[*j])
            .map(|(_, d)| self.names[d.driver].clone())
            .unwrap_or_else(|| self.names[0].clone());
        let mut meta = std::fs::File::create(self.dir.join("meta.env")).unwrap();
        writeln!(
            meta,
            "ROOT={}\nIDLE=bench_idle\nBUSY={busy}\nMODULES={n}\nDEVICES={}\nPROCS={}\nFDS_PER_PROC={}\nFDS={}\nDEVICE_NODES={tsv_lines}\nMOUNTS={}",
            self.root.display(),
            self.devices.len(),
            s.procs,
            s.fds,
            s.procs * s.fds,
            s.mounts + 3
        )
        .unwrap();
    }
}

// ============================================================= fdwalk

/// The floor for a process scan: one directory read of /proc, one of each
/// /proc/<pid>/fd, one readlink per descriptor. Prints the number of
/// descriptors and how many point at /dev.
fn fdwalk_main(args: &[String]) {
    let Some(root) = args.first() else { usage() };
    let proc_dir = Path::new(root).join("proc");
    let mut fds = 0usize;
    let mut dev = 0usize;
    let rd = std::fs::read_dir(&proc_dir).unwrap_or_else(|e| {
        eprintln!("{}: {e}", proc_dir.display());
        std::process::exit(1)
    });
    let mut buf = PathBuf::new();
    for e in rd.flatten() {
        let name = e.file_name();
        if !name.as_encoded_bytes().iter().all(u8::is_ascii_digit) {
            continue;
        }
        buf.clear();
        buf.push(&proc_dir);
        buf.push(&name);
        buf.push("fd");
        let Ok(rd) = std::fs::read_dir(&buf) else {
            continue;
        };
        for f in rd.flatten() {
            if let Ok(t) = std::fs::read_link(f.path()) {
                fds += 1;
                if t.as_os_str().as_encoded_bytes().starts_with(b"/dev/") {
                    dev += 1;
                }
            }
        }
    }
    println!("fds={fds} dev={dev}");
}

// ============================================================ measure

/// Runs a command W times unmeasured (warm-up), then K times (fewer once the
/// runs so far took longer than the budget, 10 s by default); prints the
/// median wall time, the largest peak
/// RSS and the exit code of the last run. Output of the command is
/// discarded (it is measured, not checked).
fn measure_main(args: &[String]) {
    let mut runs = 3usize;
    let mut warmup = 0usize;
    let mut budget_ms = 10_000f64;
    let mut i = 0;
    while i < args.len() && args[i] != "--" {
        match args[i].as_str() {
            "--runs" => {
                runs = args
                    .get(i + 1)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| usage());
                i += 2;
            }
            "--warmup" => {
                warmup = args
                    .get(i + 1)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| usage());
                i += 2;
            }
            "--budget-ms" => {
                budget_ms = args
                    .get(i + 1)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| usage());
                i += 2;
            }
            _ => usage(),
        }
    }
    let cmd = &args[(i + 1).min(args.len())..];
    if cmd.is_empty() {
        usage()
    }
    for _ in 0..warmup {
        let _ = std::process::Command::new(&cmd[0])
            .args(&cmd[1..])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
    let mut walls = Vec::new();
    let mut rss = 0i64;
    let mut code = 0;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let child = std::process::Command::new(&cmd[0])
            .args(&cmd[1..])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                eprintln!("{}: {e}", cmd[0]);
                std::process::exit(1)
            });
        let pid = child.id() as libc::pid_t;
        let mut status = 0;
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: waits for the child just spawned, which is not waited on
        // through `child`.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
        assert_eq!(r, pid, "wait4");
        walls.push(t.elapsed().as_secs_f64() * 1000.0);
        rss = rss.max(ru.ru_maxrss);
        code = if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            128 + libc::WTERMSIG(status)
        };
        drop(child);
        if walls.iter().sum::<f64>() > budget_ms {
            break;
        }
    }
    walls.sort_by(|a, b| a.total_cmp(b));
    let median = walls[walls.len() / 2];
    println!("wall_ms={median:.1} rss_kib={rss} code={code}");
}
