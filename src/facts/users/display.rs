//! Display users: the DRM cards a module drives and the framebuffer console.

use super::Tally;
use super::devices::{Devices, Owners};
use crate::facts::system::System;
use crate::facts::table::{Evidence, FactTable};
use crate::root::child;
use std::cell::OnceCell;

/// Class devices that do not depend on the module asked about, resolved once
/// per run (`scan` asks for every module).
#[derive(Debug, Default)]
struct Screens {
    cards: Vec<(String, Owners)>,
    /// Evidence that fbcon is bound, the `bind` files that unbind it, and
    /// the framebuffers with their owners.
    fbcon: Vec<Evidence>,
    fbcon_binds: Vec<String>,
    fbs: Vec<(String, String, Owners)>,
}

#[derive(Default)]
pub struct Display {
    screens: OnceCell<Screens>,
}

impl Display {
    fn screens(&self, sys: &System, devs: &Devices) -> &Screens {
        self.screens.get_or_init(|| {
            let mut d = Screens::default();
            for c in sys.root.read_dir("/sys/class/drm").unwrap_or_default() {
                if !c.starts_with("card") || c.contains('-') {
                    continue;
                }
                let Some(p) = child("/sys/class/drm", &c) else {
                    continue;
                };
                if let Ok(canon) = sys.root.canonical(&p) {
                    d.cards.push((c, devs.path_owners(sys, &canon)));
                }
            }
            for v in sys
                .root
                .read_dir("/sys/class/vtconsole")
                .unwrap_or_default()
            {
                let dir = format!("/sys/class/vtconsole/{v}");
                let bound = sys
                    .root
                    .read_attr(&format!("{dir}/bind"))
                    .is_ok_and(|b| b.trim() == "1");
                let fb = sys
                    .root
                    .read_attr(&format!("{dir}/name"))
                    .is_ok_and(|n| n.contains("frame buffer"));
                if bound && fb {
                    d.fbcon.push(Evidence::new(
                        format!("{dir}/name"),
                        "frame buffer device, bound",
                    ));
                    d.fbcon_binds.push(format!("{dir}/bind"));
                }
            }
            if !d.fbcon.is_empty() {
                for fb in sys.root.read_dir("/sys/class/graphics").unwrap_or_default() {
                    if !fb.starts_with("fb") {
                        continue;
                    }
                    let p = format!("/sys/class/graphics/{fb}");
                    if let Ok(canon) = sys.root.canonical(&p) {
                        let o = devs.path_owners(sys, &canon);
                        d.fbs.push((p, canon, o));
                    }
                }
            }
            d
        })
    }
}

pub fn gather(sys: &System, u: &super::Users, name: &str, t: &mut FactTable, tally: &mut Tally) {
    let d = u.display.screens(sys, &u.devices);
    let mut cards = Vec::new();
    let mut ev = Vec::new();
    for (c, o) in &d.cards {
        if o.has(name) {
            cards.push(c.clone());
            ev.extend(o.evidence.first().cloned());
        }
    }
    if !cards.is_empty() {
        tally.classes.insert("display".to_string());
    }
    t.set("users.drm_cards", cards, ev);

    // The text console runs on a framebuffer; if fbcon is bound and one of
    // the framebuffers is this module's, unloading it takes the console.
    let mut cev = d.fbcon.clone();
    let mut console = false;
    for (p, canon, o) in &d.fbs {
        if o.has(name) {
            console = true;
            cev.push(Evidence::new(p, canon));
        }
    }
    if console {
        tally.classes.insert("display".to_string());
    }
    let binds = if console {
        d.fbcon_binds.clone()
    } else {
        Vec::new()
    };
    t.set("users.console_binds", binds, d.fbcon.clone());
    t.set("users.console", console, if console { cev } else { vec![] });
}
