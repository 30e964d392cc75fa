//! A small builder for fixture roots (in the spirit of fd's `TestEnv`): a
//! temporary directory laid out like `/`, filled the way a Debian kernel
//! fills /proc, /sys and /lib/modules, and a runner for the real binary.

#![allow(dead_code)]

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;

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
        self.proc_modules.push(format!("{name} 16384 {refcnt} {used_by} {state} 0xffffffffc0400000"));
        let initstate = match state {
            "Live" => "live",
            "Loading" => "coming",
            _ => "going",
        };
        self.write(&format!("/sys/module/{name}/initstate"), &format!("{initstate}\n"));
        self.write(&format!("/sys/module/{name}/refcnt"), &format!("{refcnt}\n"));
        self.write(&format!("/sys/module/{name}/taint"), "\n");
        self.mkdir(&format!("/sys/module/{name}/holders"));
        for h in used_by.split(',').filter(|h| !h.is_empty() && *h != "-" && !h.starts_with('[')) {
            self.symlink(&format!("/sys/module/{name}/holders/{h}"), &format!("../../{h}"));
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
        self.dep.push(format!("{}: {}", p(name), ds.join(" ")).trim_end().to_string());
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
        let m = |v: &Vec<String>| if v.is_empty() { String::new() } else { v.join("\n") + "\n" };
        self.write("/proc/modules", &m(&self.proc_modules));
        let lm = format!("/lib/modules/{RELEASE}");
        self.write(&format!("{lm}/modules.dep"), &m(&self.dep));
        self.write(&format!("{lm}/modules.alias"), &format!("# Aliases extracted from modules themselves.\n{}", m(&self.alias)));
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

pub fn run_in(root: &Path, args: &[&str]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_kmod-doctor"))
        .args(args)
        .arg("--root")
        .arg(root)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .output()
        .unwrap();
    Out {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

/// The verdict from `check --format json` on one module.
pub fn verdict(out: &Out) -> String {
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout));
    v["verdict"].as_str().unwrap().to_string()
}

/// Rule ids that fired.
pub fn rules_fired(out: &Out) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    v["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect()
}
