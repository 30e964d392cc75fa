//! Netfilter's references: every nf_tables expression holds its type's
//! module (`ct` → nft_ct), every base chain its chain type's (`nat` →
//! nft_chain_nat), an iptables-nft match or target both nft_compat and the
//! xtables module (`xt_conntrack`). Which module provides what is the
//! kernel's own answer, the `nft-expr-[FAMILY-]NAME` and `nft-chain-FAMILY-TYPE`
//! aliases of modules.alias. Legacy iptables tables are inferred from
//! `/proc/net/*_tables_names` (`rules/kernel-refs.toml`).

use super::Tally;
use super::kernel_refs::map;
use crate::facts::name::normalize;
use crate::facts::system::System;
use crate::facts::table::{Evidence, FactTable};
use crate::root::{NftView, ReadError, family_name};
use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;

pub const CHECKED_NFTABLES: &str = "nf_tables rules and chains (netlink NFT_MSG_GETRULE)";
pub const CHECKED_LEGACY: &str = "legacy iptables tables (/proc/net/*_tables_names)";

/// nf_tables is in the running kernel, so a dump cannot load it: loaded
/// (/proc/modules), built in (modules.builtin), or `CONFIG_NF_TABLES=y` in
/// /proc/config.gz (read only when neither list says).
pub fn may_ask(sys: &System) -> bool {
    if let Ok(Some(list)) = sys.proc_modules()
        && list.iter().any(|m| m.name == "nf_tables")
    {
        return true;
    }
    if let Ok(b) = sys.builtin() {
        return b.contains_key("nf_tables");
    }
    let Ok(gz) = sys.root.read_bytes("/proc/config.gz") else {
        return false;
    };
    let mut text = String::new();
    use std::io::Read;
    flate2::read::GzDecoder::new(&gz[..])
        .take(16 << 20)
        .read_to_string(&mut text)
        .is_ok()
        && text.lines().any(|l| l == "CONFIG_NF_TABLES=y")
}

/// The nf_tables view, read once per run, and the alias answers it needed.
#[derive(Default)]
pub struct Netfilter {
    view: OnceCell<Result<Option<NftView>, ReadError>>,
    providers: RefCell<HashMap<String, Vec<String>>>,
}

/// iptables' prefix of an xtables extension's alias in a family (`ipt_`).
fn xt_prefix(family: u8) -> &'static str {
    match family {
        2 => "ipt_",
        10 => "ip6t_",
        3 => "arpt_",
        7 => "ebt_",
        _ => "xt_",
    }
}

impl Netfilter {
    pub fn view(&self, sys: &System) -> &Result<Option<NftView>, ReadError> {
        self.view.get_or_init(|| sys.root.nft_view(may_ask(sys)))
    }

    /// Modules whose aliases match `alias`, asked once per run.
    fn providers(&self, sys: &System, alias: &str) -> Vec<String> {
        if let Some(v) = self.providers.borrow().get(alias) {
            return v.clone();
        }
        let v: Vec<String> = sys
            .alias_lookup(&normalize(alias))
            .map(|a| a.value.into_iter().map(|(m, _)| m).collect())
            .unwrap_or_default();
        self.providers
            .borrow_mut()
            .insert(alias.to_string(), v.clone());
        v
    }

    /// The modules an expression of a rule in `family` holds: its type's
    /// (`nft-expr-FAMILY-NAME`, else `nft-expr-NAME`), and for an xtables
    /// match or target the extension's (`ipt_NAME` in ip tables, or the
    /// module `xt_NAME` itself).
    fn expr_modules(&self, sys: &System, family: u8, expr: &str) -> Vec<String> {
        let (kind, xt) = match expr.split_once(':') {
            Some((k, x)) => (k, Some(x)),
            None => (expr, None),
        };
        let mut out = self.providers(sys, &format!("nft-expr-{family}-{kind}"));
        if out.is_empty() {
            out = self.providers(sys, &format!("nft-expr-{kind}"));
        }
        if let Some(x) = xt {
            let mut ext = self.providers(sys, &format!("{}{x}", xt_prefix(family)));
            if ext.is_empty() {
                ext.push(normalize(&format!("xt_{x}")));
            }
            out.extend(ext);
        }
        out
    }
}

pub fn gather(sys: &System, u: &super::Users, name: &str, t: &mut FactTable, tally: &mut Tally) {
    let (mut rules, mut chains) = (Vec::new(), Vec::new());
    let mut refs = Vec::new();
    let mut ev = Vec::new();
    // Every expression and chain holds a reference: a module without any
    // has none of them, and the ruleset need not be read for it.
    let held = t.int("module.refcount").unwrap_or(0) > 0;
    if held
        && let Ok(Some(view)) = u.netfilter.view(sys)
        && view.error.is_none()
    {
        tally.checked.push(CHECKED_NFTABLES);
        let fam = |f: u8| family_name(f).map(str::to_string).unwrap_or(f.to_string());
        for r in &view.rules {
            let mine: Vec<&String> = r
                .exprs
                .iter()
                .filter(|e| {
                    u.netfilter
                        .expr_modules(sys, r.family, e)
                        .iter()
                        .any(|m| m == name)
                })
                .collect();
            if mine.is_empty() {
                continue;
            }
            let what = format!(
                "{} {} {} rule handle {}",
                fam(r.family),
                r.table,
                r.chain,
                r.handle
            );
            for e in &mine {
                refs.push(format!("expression {e} of {what} ({})", view.source));
                tally.attributed += 1;
            }
            ev.push(Evidence::new(
                &view.source,
                format!("{what}: {}", r.exprs.join(" ")),
            ));
            let item = [fam(r.family), r.table.clone(), r.chain.clone()];
            if item
                .iter()
                .all(|s| !s.is_empty() && !s.contains(char::is_whitespace))
            {
                rules.push(format!("{} {}", item.join(" "), r.handle));
            }
        }
        for c in view.chains.iter().filter(|c| !c.kind.is_empty()) {
            let owners = u
                .netfilter
                .providers(sys, &format!("nft-chain-{}-{}", c.family, c.kind));
            if !owners.iter().any(|m| m == name) {
                continue;
            }
            let what = format!(
                "{} base chain {} {} {}",
                c.kind,
                fam(c.family),
                c.table,
                c.name
            );
            refs.push(format!("{what} ({})", view.source));
            ev.push(Evidence::new(&view.source, &what));
            tally.attributed += 1;
            let item = [fam(c.family), c.table.clone(), c.name.clone()];
            if item
                .iter()
                .all(|s| !s.is_empty() && !s.contains(char::is_whitespace))
            {
                chains.push(item.join(" "));
            }
        }
    }
    // Legacy tables: a table holds its module while it has rules beyond its
    // built-in chains, which only a getsockopt would show: inferred.
    let mut legacy = Vec::new();
    let mut room = t.int("module.refcount").unwrap_or(0) - tally.attributed;
    let mut read_any = false;
    for l in map()
        .legacy_tables
        .iter()
        .filter(|l| name.starts_with(&l.prefix))
    {
        let Ok(text) = sys.root.read_to_string(&l.names) else {
            continue;
        };
        read_any = true;
        for (i, table) in text.lines().map(str::trim).enumerate() {
            if table.is_empty() || normalize(&format!("{}{table}", l.prefix)) != name {
                continue;
            }
            legacy.push(format!("{} {table}", l.command));
            let what = format!("{} table {table} (inferred from {})", l.command, l.names);
            ev.push(Evidence::new(format!("{}:{}", l.names, i + 1), table));
            if room > 0 {
                refs.push(what);
                tally.attributed += 1;
                room -= 1;
            }
        }
    }
    if read_any {
        tally.checked.push(CHECKED_LEGACY);
    }
    t.set("users.nft_rules", rules, vec![]);
    t.set("users.nft_base_chains", chains, vec![]);
    t.set("users.legacy_tables", legacy, vec![]);
    t.set("users.netfilter_refs", refs, ev);
}
