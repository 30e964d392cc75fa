//! A small builder for fixture roots (in the spirit of fd's `TestEnv`): a
//! temporary directory laid out like `/`, filled the way a Debian kernel
//! fills /proc, /sys and /lib/modules, and a runner for the real binary.

#![allow(dead_code)]

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub const RELEASE: &str = "6.1.0-test-amd64";

pub struct TestEnv {
    pub dir: tempfile::TempDir,
    proc_modules: Vec<String>,
    dep: Vec<String>,
    alias: Vec<String>,
    builtin: Vec<String>,
}

pub struct Out {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

impl TestEnv {
    /// A kernel with module support, unloading and forced unloading enabled,
    /// nothing loaded.
    pub fn new() -> TestEnv {
        let env = TestEnv {
            dir: tempfile::tempdir().unwrap(),
            proc_modules: Vec::new(),
            dep: Vec::new(),
            alias: Vec::new(),
            builtin: Vec::new(),
        };
        env.write("/proc/sys/kernel/osrelease", &format!("{RELEASE}\n"));
        env.write("/proc/sys/kernel/tainted", "0\n");
        env.write("/proc/sys/kernel/modules_disabled", "0\n");
        env.write(
            &format!("/boot/config-{RELEASE}"),
            "CONFIG_MODULES=y\nCONFIG_MODULE_UNLOAD=y\nCONFIG_MODULE_FORCE_UNLOAD=y\n",
        );
        // What every running system has: a root mount, no swap, a routing table.
        env.write(
            "/proc/self/mountinfo",
            "22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n25 22 0:22 / /proc rw - proc proc rw\n",
        );
        env.write(
            "/proc/swaps",
            "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n",
        );
        env.write(
            "/proc/net/route",
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n",
        );
        env.write("/proc/net/ipv6_route", "");
        // Root on the host: CAP_SYS_MODULE in the bounding set, initial user namespace.
        env.write(
            "/proc/self/status",
            "Name:\tkmod-doctor\nCapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\n",
        );
        env.write("/proc/self/uid_map", "         0          0 4294967295\n");
        env.mkdir("/sys/module");
        env.mkdir("/etc/modprobe.d");
        let mut env = env;
        env.flush();
        env
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    fn host(&self, p: &str) -> PathBuf {
        self.dir.path().join(p.trim_start_matches('/'))
    }

    pub fn write(&self, p: &str, content: &str) -> &TestEnv {
        let h = self.host(p);
        std::fs::create_dir_all(h.parent().unwrap()).unwrap();
        std::fs::write(h, content).unwrap();
        self
    }

    pub fn write_bytes(&self, p: &str, content: &[u8]) -> &TestEnv {
        let h = self.host(p);
        std::fs::create_dir_all(h.parent().unwrap()).unwrap();
        std::fs::write(h, content).unwrap();
        self
    }

    pub fn remove(&self, p: &str) -> &TestEnv {
        let h = self.host(p);
        if h.is_dir() {
            std::fs::remove_dir_all(h).unwrap();
        } else {
            std::fs::remove_file(h).unwrap();
        }
        self
    }

    pub fn mkdir(&self, p: &str) -> &TestEnv {
        std::fs::create_dir_all(self.host(p)).unwrap();
        self
    }

    pub fn symlink(&self, p: &str, target: &str) -> &TestEnv {
        let h = self.host(p);
        std::fs::create_dir_all(h.parent().unwrap()).unwrap();
        symlink(target, h).unwrap();
        self
    }

    /// A loaded module: its /proc/modules line and /sys/module entry, as the
    /// kernel shows them. `used_by` is the raw column (`-`, `a,b,`,
    /// `[permanent],`).
    pub fn loaded(&mut self, name: &str, refcnt: i64, used_by: &str, state: &str) -> &mut TestEnv {
        self.proc_modules.push(format!(
            "{name} 16384 {refcnt} {used_by} {state} 0xffffffffc0400000"
        ));
        let initstate = match state {
            "Live" => "live",
            "Loading" => "coming",
            _ => "going",
        };
        self.write(
            &format!("/sys/module/{name}/initstate"),
            &format!("{initstate}\n"),
        );
        self.write(
            &format!("/sys/module/{name}/refcnt"),
            &format!("{refcnt}\n"),
        );
        self.write(&format!("/sys/module/{name}/taint"), "\n");
        self.mkdir(&format!("/sys/module/{name}/holders"));
        for h in used_by
            .split(',')
            .filter(|h| !h.is_empty() && *h != "-" && !h.starts_with('['))
        {
            self.symlink(
                &format!("/sys/module/{name}/holders/{h}"),
                &format!("../../{h}"),
            );
        }
        self.flush();
        self
    }

    /// An idle loaded module.
    pub fn idle(&mut self, name: &str) -> &mut TestEnv {
        self.loaded(name, 0, "-", "Live")
    }

    /// A raw /proc/modules line (for formats `loaded` does not produce).
    pub fn proc_line(&mut self, line: &str) -> &mut TestEnv {
        self.proc_modules.push(line.to_string());
        self.flush();
        self
    }

    /// A module in modules.dep, under kernel/drivers/misc/ unless a path is given.
    pub fn dep(&mut self, name: &str, deps: &[&str]) -> &mut TestEnv {
        let p = |n: &str| format!("kernel/drivers/misc/{n}.ko");
        let ds: Vec<String> = deps.iter().map(|d| p(d)).collect();
        self.dep.push(
            format!("{}: {}", p(name), ds.join(" "))
                .trim_end()
                .to_string(),
        );
        self.flush();
        self
    }

    pub fn alias(&mut self, pattern: &str, module: &str) -> &mut TestEnv {
        self.alias.push(format!("alias {pattern} {module}"));
        self.flush();
        self
    }

    /// Listed in modules.builtin (with a modinfo record).
    pub fn builtin(&mut self, name: &str) -> &mut TestEnv {
        self.builtin.push(format!("kernel/drivers/misc/{name}.ko"));
        self.flush();
        self
    }

    pub fn modprobe_conf(&self, file: &str, text: &str) -> &TestEnv {
        self.write(&format!("/etc/modprobe.d/{file}"), text)
    }

    fn flush(&mut self) {
        let m = |v: &Vec<String>| {
            if v.is_empty() {
                String::new()
            } else {
                v.join("\n") + "\n"
            }
        };
        self.write("/proc/modules", &m(&self.proc_modules));
        let lm = format!("/lib/modules/{RELEASE}");
        self.write(&format!("{lm}/modules.dep"), &m(&self.dep));
        self.write(
            &format!("{lm}/modules.alias"),
            &format!(
                "# Aliases extracted from modules themselves.\n{}",
                m(&self.alias)
            ),
        );
        self.write(&format!("{lm}/modules.builtin"), &m(&self.builtin));
        let info: String = self
            .builtin
            .iter()
            .map(|p| {
                let n = p.rsplit('/').next().unwrap().trim_end_matches(".ko");
                format!("{n}.file=drivers/misc/{n}\0{n}.license=GPL\0")
            })
            .collect();
        self.write(&format!("{lm}/modules.builtin.modinfo"), &info);
    }

    /// Runs kmod-doctor with `--root` set to this tree.
    pub fn run(&self, args: &[&str]) -> Out {
        run_in(self.path(), args)
    }
}

/// The binary as a test runs it: arguments, `--root`, environment and
/// standard input, colour variables of the caller's environment removed.
pub struct Runner {
    cmd: Command,
    stdin: Option<Vec<u8>>,
}

/// A run of kmod-doctor to configure, then [`Runner::run`].
pub fn kd() -> Runner {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kmod-doctor"));
    // Output depends on the locale (UTF-8 or ASCII marks) and on COLUMNS:
    // pinned outputs are UTF-8 and whole lines, whatever the test's shell.
    cmd.env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("COLUMNS")
        .env_remove("LC_ALL")
        .env_remove("LC_CTYPE")
        .env("LANG", "C.UTF-8");
    Runner { cmd, stdin: None }
}

impl Runner {
    pub fn args<S: AsRef<std::ffi::OsStr>>(mut self, args: impl IntoIterator<Item = S>) -> Runner {
        self.cmd.args(args);
        self
    }

    pub fn arg(mut self, arg: impl AsRef<std::ffi::OsStr>) -> Runner {
        self.cmd.arg(arg);
        self
    }

    pub fn root(mut self, root: &Path) -> Runner {
        self.cmd.arg("--root").arg(root);
        self
    }

    pub fn env(mut self, k: &str, v: &str) -> Runner {
        self.cmd.env(k, v);
        self
    }

    pub fn stdin(mut self, input: &[u8]) -> Runner {
        self.stdin = Some(input.to_vec());
        self
    }

    pub fn run(mut self) -> Out {
        let out = match self.stdin {
            None => self.cmd.output().unwrap(),
            Some(input) => {
                let mut child = self
                    .cmd
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap();
                let mut pipe = child.stdin.take().unwrap();
                // A writer thread, so a large input cannot deadlock against
                // a full stdout pipe; a closed pipe is the tool's choice.
                let writer = std::thread::spawn(move || {
                    let _ = std::io::Write::write_all(&mut pipe, &input);
                });
                let out = child.wait_with_output().unwrap();
                let _ = writer.join();
                out
            }
        };
        Out {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            code: out.status.code().unwrap_or(-1),
        }
    }
}

pub fn run_in(root: &Path, args: &[&str]) -> Out {
    kd().args(args).root(root).run()
}

/// The verdict from `check --format json` on one module.
pub fn verdict(out: &Out) -> String {
    let v: serde_json::Value =
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout));
    v["verdict"].as_str().unwrap().to_string()
}

/// Rule ids that fired.
pub fn rules_fired(out: &Out) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

// ------------------------------------------------------------------ helpers
// Added for the integration suites (check_cases, rules_coverage, outputs,
// bad_input). Existing helpers above are unchanged.

/// Runs the binary with extra environment variables (colour tests).
pub fn run_in_env(root: &Path, args: &[&str], envs: &[(&str, &str)]) -> Out {
    envs.iter()
        .fold(kd().args(args).root(root), |r, (k, v)| r.env(k, v))
        .run()
}

/// Runs the binary without `--root` (for tests that pass their own).
pub fn run_raw(args: &[&str]) -> Out {
    kd().args(args).run()
}

/// The parsed result of `check --format json` on one module.
pub struct Checked {
    pub out: Out,
    pub json: serde_json::Value,
}

impl Checked {
    /// The finding of `rule`; fails the test when it did not fire.
    pub fn finding(&self, rule: &str) -> &serde_json::Value {
        self.json["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|f| f["rule"] == rule)
            .unwrap_or_else(|| panic!("{rule} did not fire: {}", self.why()))
    }

    /// The evidence paths of `rule`'s finding.
    pub fn evidence_paths(&self, rule: &str) -> Vec<String> {
        self.finding(rule)["evidence"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["path"].as_str().map(str::to_string))
            .collect()
    }

    /// The message of `rule`'s finding.
    pub fn message(&self, rule: &str) -> String {
        self.finding(rule)["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn verdict(&self) -> &str {
        self.json["verdict"]
            .as_str()
            .unwrap_or_else(|| panic!("no verdict in {}", self.out.stdout))
    }

    pub fn code(&self) -> i32 {
        self.out.code
    }

    pub fn fired(&self) -> Vec<String> {
        self.json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    }

    pub fn has(&self, rule: &str) -> bool {
        self.fired().iter().any(|r| r == rule)
    }

    /// Rule ids listed under `unchecked`.
    pub fn unchecked(&self) -> Vec<String> {
        self.json["unchecked"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    }

    /// Every path named by `unchecked[].missing[]`.
    pub fn missing_paths(&self) -> Vec<String> {
        self.json["unchecked"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|u| u["missing"].as_array().unwrap().iter())
            .map(|m| m["path"].as_str().unwrap().to_string())
            .collect()
    }

    pub fn commands(&self) -> Vec<String> {
        self.json["next_steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["command"].as_str().unwrap().to_string())
            .collect()
    }

    /// A string list at a JSON pointer, e.g. `/module_info/holders`.
    pub fn list(&self, pointer: &str) -> Vec<String> {
        self.json
            .pointer(pointer)
            .and_then(|v| v.as_array())
            .unwrap_or_else(|| panic!("no list at {pointer} in {}", self.out.stdout))
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    }

    /// A human-readable summary for assertion messages.
    pub fn why(&self) -> String {
        format!(
            "exit {}\nstderr: {}\nstdout: {}",
            self.out.code, self.out.stderr, self.out.stdout
        )
    }
}

/// `check --format json` on modules; panics unless stdout is JSON.
pub fn check_json(env: &TestEnv, modules: &[&str]) -> Checked {
    let mut args = vec!["check", "--format", "json"];
    args.extend_from_slice(modules);
    let out = env.run(&args);
    let json = serde_json::from_str(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: exit {} stdout {:?} stderr {:?}",
            out.code, out.stdout, out.stderr
        )
    });
    Checked { out, json }
}

/// One module: `check --format json` and the parsed report.
pub fn check1(env: &TestEnv, module: &str) -> Checked {
    check_json(env, &[module])
}

/// Gzip-compresses text (for /proc/config.gz).
pub fn gzip(text: &str) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(text.as_bytes()).unwrap();
    e.finish().unwrap()
}

/// Replaces the tool version so snapshots survive a version bump.
pub fn redact_version(s: &str) -> String {
    s.replace(
        &format!("\"version\": \"{}\"", env!("CARGO_PKG_VERSION")),
        "\"version\": \"[version]\"",
    )
    .replace(
        &format!("kmod-doctor {}", env!("CARGO_PKG_VERSION")),
        "kmod-doctor [version]",
    )
}

impl TestEnv {
    /// A device bound to `bus:driver` of a loaded module, as sysfs links it:
    /// `/sys/module/M/drivers/BUS:DRV -> ../../../bus/BUS/drivers/DRV` and
    /// `/sys/bus/BUS/drivers/DRV/DEV -> ../../../../devices/PARENT/DEV`.
    pub fn bound_device(
        &self,
        module: &str,
        bus: &str,
        drv: &str,
        parent: &str,
        dev: &str,
    ) -> &TestEnv {
        let link = format!("/sys/module/{module}/drivers/{bus}:{drv}");
        if !self.path().join(link.trim_start_matches('/')).exists() {
            self.symlink(&link, &format!("../../../bus/{bus}/drivers/{drv}"));
        }
        self.mkdir(&format!("/sys/devices/{parent}/{dev}"));
        let drv_dir = format!("/sys/bus/{bus}/drivers/{drv}");
        self.write(&format!("{drv_dir}/bind"), "");
        self.write(&format!("{drv_dir}/unbind"), "");
        self.write(&format!("{drv_dir}/uevent"), "");
        let mlink = format!("{drv_dir}/module");
        if std::fs::symlink_metadata(self.path().join(mlink.trim_start_matches('/'))).is_err() {
            self.symlink(&mlink, &format!("../../../../module/{module}"));
        }
        self.symlink(
            &format!("{drv_dir}/{dev}"),
            &format!("../../../../devices/{parent}/{dev}"),
        );
        // The device side: DEV/driver and /sys/bus/BUS/devices/DEV.
        let up = "../".repeat(parent.split('/').count() + 2);
        self.symlink(
            &format!("/sys/devices/{parent}/{dev}/driver"),
            &format!("{up}bus/{bus}/drivers/{drv}"),
        );
        let blink = format!("/sys/bus/{bus}/devices/{dev}");
        if std::fs::symlink_metadata(self.path().join(blink.trim_start_matches('/'))).is_err() {
            self.symlink(&blink, &format!("../../../devices/{parent}/{dev}"));
        }
        self
    }

    /// A class entry (`/sys/class/CLASS/NAME`) for a device below
    /// `/sys/devices/DEVPATH`, e.g. `("net", "eth0", "pci0000:00/0000:00:03.0/net/eth0")`.
    pub fn class_device(&self, class: &str, name: &str, devpath: &str) -> &TestEnv {
        self.mkdir(&format!("/sys/devices/{devpath}"));
        self.symlink(
            &format!("/sys/class/{class}/{name}"),
            &format!("../../devices/{devpath}"),
        )
    }

    /// A virtual interface as sysfs shows one made through rtnetlink
    /// (dummy0, veth0): /sys/devices/virtual/net/NAME with no device link
    /// and no DEVTYPE; `up` sets IFF_UP.
    pub fn virtual_iface(&self, name: &str, up: bool) -> &TestEnv {
        self.class_device("net", name, &format!("virtual/net/{name}"));
        self.write(
            &format!("/sys/devices/virtual/net/{name}/flags"),
            if up { "0x1003\n" } else { "0x1002\n" },
        );
        self.write(
            &format!("/sys/devices/virtual/net/{name}/uevent"),
            &format!("INTERFACE={name}\n"),
        )
    }

    /// Appends a line to a file (creating it).
    pub fn append(&self, p: &str, line: &str) -> &TestEnv {
        let h = self.path().join(p.trim_start_matches('/'));
        let mut text = std::fs::read_to_string(&h).unwrap_or_default();
        text.push_str(line);
        text.push('\n');
        self.write(p, &text)
    }

    /// A process holding `/dev/NODE` open as descriptor `fd`, with the device
    /// number recorded the way `snapshot` records it
    /// (`/kmod-doctor-snapshot/devices.tsv`), and optionally a systemd unit.
    #[allow(clippy::too_many_arguments)]
    pub fn process_holding(
        &self,
        pid: u32,
        comm: &str,
        unit: Option<&str>,
        fd: u32,
        node: &str,
        kind: char,
        major: u32,
        minor: u32,
    ) -> &TestEnv {
        self.write(&format!("/proc/{pid}/comm"), &format!("{comm}\n"));
        let cgroup = match unit {
            // A full cgroup path (a user manager's unit) is taken as it is.
            Some(u) if u.contains('/') => format!("0::/{u}\n"),
            Some(u) => format!("0::/system.slice/{u}\n"),
            None => "0::/user.slice/user-0.slice/session-1.scope\n".to_string(),
        };
        self.write(&format!("/proc/{pid}/cgroup"), &cgroup);
        self.symlink(&format!("/proc/{pid}/fd/{fd}"), &format!("/dev/{node}"));
        self.append(
            "/kmod-doctor-snapshot/devices.tsv",
            &format!("/proc/{pid}/fd/{fd}\t{kind}\t{major}:{minor}"),
        )
    }

    /// A line in /lib/modules/RELEASE/modules.devname (`vhost_net vhost-net c10:238`).
    pub fn devname(&self, line: &str) -> &TestEnv {
        self.append(&format!("/lib/modules/{RELEASE}/modules.devname"), line)
    }

    /// A block device `/sys/class/block/NAME` with its `dev` number.
    pub fn block_dev(&self, name: &str, major: u32, minor: u32) -> &TestEnv {
        self.write(
            &format!("/sys/class/block/{name}/dev"),
            &format!("{major}:{minor}\n"),
        )
    }

    /// A device with a modalias under /sys/devices.
    pub fn modalias_device(&self, dev: &str, modalias: &str) -> &TestEnv {
        self.write(
            &format!("/sys/devices/{dev}/modalias"),
            &format!("{modalias}\n"),
        )
    }

    /// Removes every kernel config the tool looks for.
    pub fn no_config(&self) -> &TestEnv {
        for p in [
            format!("/boot/config-{RELEASE}"),
            format!("/lib/modules/{RELEASE}/config"),
            "/proc/config.gz".into(),
        ] {
            if self.path().join(p.trim_start_matches('/')).exists() {
                self.remove(&p);
            }
        }
        self
    }

    /// The kernel's `/proc/modules` replaced by raw bytes (bypasses the builder).
    pub fn proc_modules_bytes(&self, content: &[u8]) -> &TestEnv {
        self.write_bytes("/proc/modules", content)
    }
}

/// bridge held by br_netfilter, with stp and llc below it, as on Debian.
pub fn bridge_env() -> TestEnv {
    let mut env = TestEnv::new();
    env.dep("br_netfilter", &["bridge", "stp", "llc"])
        .dep("bridge", &["stp", "llc"]);
    env.dep("stp", &["llc"]).dep("llc", &[]);
    env.idle("br_netfilter")
        .loaded("bridge", 1, "br_netfilter,", "Live");
    env.loaded("stp", 1, "bridge,", "Live")
        .loaded("llc", 2, "bridge,stp,", "Live");
    env
}
