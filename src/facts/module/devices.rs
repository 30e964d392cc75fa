//! The devices it drives, and the devices whose modalias would load it again.

use super::builtin::bound;
use super::unread_drivers;
use crate::facts::system::{Searches, System};
use crate::facts::table::{Evidence, FactTable};
use crate::root::{ReadError, ReadErrorKind};
use std::collections::BTreeSet;

pub(super) fn drivers(sys: &System, dir: &str, t: &mut FactTable) {
    let ddir = format!("{dir}/drivers");
    let names = match sys.root.read_dir(&ddir) {
        Ok(n) => n,
        // Only modules that register a bus driver have drivers/.
        Err(e) if e.kind == ReadErrorKind::NotFound => Vec::new(),
        Err(e) => {
            return unread_drivers(t, e);
        }
    };
    let pairs: BTreeSet<(String, String)> = names
        .iter()
        .filter_map(|n| n.split_once(':'))
        .map(|(b, d)| (b.to_string(), d.to_string()))
        .collect();
    let (devices, dev_ev, unbind) = bound(sys, &pairs);
    let ev = if names.is_empty() {
        vec![Evidence::new(&ddir, "absent or empty")]
    } else {
        vec![Evidence::new(&ddir, names.join(" "))]
    };
    t.set("module.drivers", names, ev);
    t.set("module.unbind", unbind, dev_ev.clone());
    t.set("module.bound_devices", devices, dev_ev);
}
/// Devices whose modalias matches one of the module's aliases: udev would load
/// the module again for them on the next uevent.
pub(super) fn modalias_devices(sys: &System, name: &str, t: &mut FactTable) {
    let key = "module.modalias_devices";
    // A device modalias is always `bus:...`: a module without such an alias
    // (a filesystem, a protocol, dummy) matches no device, and the devices
    // need not be read at all. A module with a bus driver matches its
    // devices by alias: the devices are read without asking first, as they
    // are once another module of the run had them read.
    // When the devices cannot be read, the aliases alone may still settle it.
    let no_device_alias = |searches: Searches| match sys.has_device_alias(name, searches) {
        Some((false, src)) => Some(vec![Evidence::new(
            src,
            format!("no device aliases (bus:...) for {name}"),
        )]),
        _ => None,
    };
    if t.list("module.drivers").is_empty()
        && !sys.modaliases_read()
        && let Some(ev) = no_device_alias(Searches::Few)
    {
        return t.set(key, Vec::<String>::new(), ev);
    }
    let unread = |t: &mut FactTable, e: &ReadError| match no_device_alias(Searches::Any) {
        Some(ev) => t.set(key, Vec::<String>::new(), ev),
        None => t.unread(key, e.clone()),
    };
    // With kmod's alias index, each device's modalias is looked up once per
    // run (as udev does) instead of matching this module's patterns.
    if let Some(found) = sys.device_modules() {
        return match found {
            Ok(d) => {
                let mut hits = d.of(name);
                hits.sort();
                let found: Vec<String> = hits
                    .iter()
                    .map(|(dev, _, _)| dev.trim_start_matches("/sys/devices/").to_string())
                    .collect();
                let mut ev: Vec<Evidence> = hits
                    .iter()
                    .map(|(dev, alias, _)| Evidence::new(format!("{dev}/modalias"), alias.clone()))
                    .collect();
                if ev.is_empty() {
                    ev.push(Evidence::new(
                        &d.source,
                        format!("{} devices, none mapped to {name}", d.total),
                    ));
                }
                t.set(key, found, ev)
            }
            Err(e) => unread(t, e),
        };
    }
    // A device modalias is always `bus:...`; aliases without a ':' (fs-ext4,
    // rtnl-link-dummy, char-major-10-238) can never match one, so modules
    // with only such aliases skip the walk over /sys/devices.
    let patterns: Vec<&str> = match sys.aliases_of(name) {
        Ok(a) => a
            .iter()
            .filter(|a| a.pattern.contains(':'))
            .map(|a| a.pattern.as_str())
            .collect(),
        Err(e) => return t.unread(key, e.clone()),
    };
    if patterns.is_empty() {
        let src = sys.modules_file("modules.alias").unwrap_or_default();
        return t.set(
            key,
            Vec::<String>::new(),
            vec![Evidence::new(
                src,
                format!("no device aliases (bus:...) for {name}"),
            )],
        );
    }
    let devices = match sys.modaliases() {
        Ok(d) => d,
        Err(e) => return unread(t, e),
    };
    let mut found = Vec::new();
    let mut ev = Vec::new();
    let mut hits: Vec<&(String, String)> = Vec::new();
    for p in &patterns {
        let literal = &p[..p.find(['*', '?', '[']).unwrap_or(p.len())];
        let lo = devices.partition_point(|(_, a)| a.as_str() < literal);
        for d in devices[lo..]
            .iter()
            .take_while(|(_, a)| a.starts_with(literal))
        {
            if crate::facts::parse::alias::fnmatch(p.as_bytes(), d.1.as_bytes())
                && !hits.contains(&d)
            {
                hits.push(d);
            }
        }
    }
    hits.sort();
    for (dev, alias) in hits {
        found.push(dev.trim_start_matches("/sys/devices/").to_string());
        ev.push(Evidence::new(format!("{dev}/modalias"), alias.clone()));
    }
    if ev.is_empty() {
        ev.push(Evidence::new(
            "/sys/devices/**/modalias",
            format!("{} devices, none matching", devices.len()),
        ));
    }
    t.set(key, found, ev);
}
