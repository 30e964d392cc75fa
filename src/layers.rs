//! The pipeline's layers, lowest first. A module may use its own layer's
//! code and anything below it, never above or beside it: that keeps every
//! dependency pointing one way (`root → facts → rules → verdict → render →
//! cmd → cli`), so no two top-level modules can form a cycle. The test below
//! reads every file under `src/` and fails on an import that breaks this.

/// Top-level modules by layer. Modules on the same layer may not use each other.
pub const LAYERS: &[&[&str]] = &[
    &["model", "shell", "baked"],
    &["exit", "root"],
    &["facts"],
    &["rules"],
    &["verdict", "explain"],
    &["render"],
    &["cmd"],
    &["cli"],
];

pub fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// The top-level modules named by `crate::...` paths in `src`, including
/// the ones inside `use crate::{a, b::c}` groups.
pub fn crate_refs(src: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = src;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.push(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push(name);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                rust_files(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }

    #[test]
    fn imports_point_down_only() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let mut wrong = Vec::new();
        let mut seen_top = std::collections::BTreeSet::new();
        for f in &files {
            let rel = f.strip_prefix(&src).unwrap();
            let first = rel
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_string_lossy();
            let top = first.trim_end_matches(".rs").to_string();
            if matches!(top.as_str(), "lib" | "main" | "layers") {
                continue;
            }
            let Some(mine) = layer_of(&top) else {
                wrong.push(format!("{top}: a top-level module missing from LAYERS"));
                continue;
            };
            seen_top.insert(top.clone());
            let text = std::fs::read_to_string(f).unwrap();
            for r in crate_refs(&text) {
                if r == top {
                    continue;
                }
                match layer_of(&r) {
                    Some(l) if l < mine => {}
                    Some(_) => wrong.push(format!("{}: uses crate::{r}", rel.display())),
                    None => wrong.push(format!("{}: crate::{r} is in no layer", rel.display())),
                }
            }
        }
        assert!(
            wrong.is_empty(),
            "imports against the layers:\n{}",
            wrong.join("\n")
        );
        assert!(seen_top.len() >= 10, "scanned too little: {seen_top:?}");
    }

    #[test]
    fn the_scan_sees_grouped_and_nested_paths() {
        let refs = crate_refs("use crate::{facts::System, render};\nlet x = crate::cmd::run();");
        assert_eq!(refs, vec!["facts", "render", "cmd"]);
        // An upward import is caught.
        assert!(layer_of("cmd") > layer_of("facts"));
    }
}
