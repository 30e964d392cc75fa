#!/usr/bin/env python3
"""Compare kmod-doctor's verdicts with what a real `modprobe -r` did in the VM.

Reads target/vm-results/<kernel>/<scenario>/ (written by tests/vm/scenarios.sh inside the VM),
prints one line per scenario and the summary line `N/M scenarios agree` (all kernels together),
prints the timing ratios, writes target/vm-results/summary.tsv and, with --fixtures, rewrites
tests/fixtures/vm-messages/<kernel>.txt.

Round trip (with --binary): the VM also took `kmod-doctor snapshot -o snapshot.tar.gz MODULE` right
after the live `check --format json`; the host runs `check --format json --root snapshot.tar.gz
MODULE` and must get the same verdict and the same set of finding rule ids as the live run. The
line `N/M round trips agree` comes just before the last line. Evidence and other field differences
are listed but do not count (see ROUND_TRIP_NOTES). With --vm-fixtures DIR, each kernel whose
scenarios all agree has its snapshots copied to DIR/<kernel>/<scenario>.tar.gz next to
<scenario>.expected.json (the live truth and the round trip, read by tests/vm_fixtures.rs).

Exit status: 0 when every scenario agrees and every round trip agrees, 1 otherwise.

Agreement rule (verdict read from JSON `.verdict`; element 0 if the JSON is an array):
  blocked, builtin       <-> modprobe -r failed (rc != 0) and the module is still there
                             (still in /sys/module, or modprobe said it is builtin)
  safe, caution, danger  <-> rc == 0 and /sys/module/<mod> is gone afterwards
  not-loaded             <-> rc == 0 and the module was absent before
  not-found              <-> rc != 0 and "not found" in modprobe's stderr
  unknown, anything else <-> never agrees
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys

# Known disagreements of the tool (src), the ONE list: "scenario" (every kernel) or
# "kernel/scenario" -> the issue that fixes it and why. A listed scenario that disagrees (accept/
# refuse or consequence) is printed loudly as KNOWN GAP and does not fail the suite; a listed
# scenario that agrees everywhere it ran FAILS the suite ("known gap fixed: remove it from the
# list"), so the list cannot rot. The lead empties it as src gets fixed.
KNOWN_GAPS = {
}

# Differences between the live JSON and the replay of its snapshot known to be legitimate:
# "evidence" or a top-level field of the document -> why. Printed with the note; differences never
# count either way (only the verdict and the set of rule ids do). None so far.
ROUND_TRIP_NOTES = {}


def read(path, default=""):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return default


def scenario_list(scenarios_sh):
    names = []
    for line in read(scenarios_sh).splitlines():
        m = re.match(r"^run_scenario\s+(\S+)\s+(\S+)\s*$", line)
        if m:
            names.append((m.group(1), m.group(2)))
    return names


def first_doc(raw):
    """The first JSON document of a check output (element 0 of an array), or None."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        doc = json.loads(raw)
    except ValueError:
        doc = None
        for line in raw.splitlines():
            try:
                doc = json.loads(line)
                break
            except ValueError:
                continue
    if isinstance(doc, list):
        doc = doc[0] if doc else None
    return doc if isinstance(doc, dict) else None


def rule_ids(doc):
    """Sorted set of the finding rule ids of a check document."""
    if not isinstance(doc, dict):
        return []
    return sorted({str(f.get("rule")) for f in doc.get("findings") or [] if isinstance(f, dict)})


def evidence_of(doc):
    """{rule id: sorted list of (path, value)} over all findings of a check document."""
    out = {}
    for f in (doc or {}).get("findings") or []:
        if not isinstance(f, dict):
            continue
        ev = out.setdefault(str(f.get("rule")), [])
        for e in f.get("evidence") or []:
            if isinstance(e, dict):
                ev.append((str(e.get("path")), str(e.get("value"))))
    return {k: sorted(v) for k, v in out.items()}


def leaf_diffs(a, b, prefix=""):
    """Dotted paths where two JSON values differ (findings excluded)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if not prefix and k == "findings":
                continue
            out += leaf_diffs(a.get(k), b.get(k), prefix + k + ".")
        return out
    if a != b:
        return [prefix.rstrip(".")]
    return []


def round_trip(binary, d, module, live_doc, snap=None):
    """Replays `check --root snapshot.tar.gz` (or SNAP) on the host; returns a dict describing the
    result (`doc`: the replay's document)."""
    snap = snap or os.path.join(d, "snapshot.tar.gz")
    res = {"status": "missing", "verdict": "-", "rules": [], "detail": "", "evidence": [], "other": []}
    if not binary:
        res["detail"] = "no --binary to replay with"
        return res
    if not os.path.isfile(snap):
        err = read(os.path.join(d, "snapshot.err")).strip().splitlines()
        res["detail"] = "no snapshot.tar.gz (snapshot rc=%s%s)" % (
            read(os.path.join(d, "snapshot.rc")).strip() or "?", ": " + err[-1][:80] if err else "")
        return res
    try:
        p = subprocess.run([binary, "check", "--format", "json", "--color", "never", "--root", snap, module],
                           capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        res.update(status="error", detail=str(e))
        return res
    doc = first_doc(p.stdout)
    if doc is None:
        err = p.stderr.strip().splitlines()
        res.update(status="error", detail="rc=%d, no JSON%s" % (p.returncode, ": " + err[0][:80] if err else ""))
        return res
    res["doc"] = doc
    res["verdict"] = str(doc.get("verdict", "unknown")).lower()
    res["rules"] = rule_ids(doc)
    res["stderr"] = p.stderr.strip()
    live_v = str((live_doc or {}).get("verdict", "unknown")).lower()
    live_r = rule_ids(live_doc)
    same = live_doc is not None and res["verdict"] == live_v and res["rules"] == live_r
    res["status"] = "same" if same else "DIFFERS"
    if not same:
        parts = []
        if res["verdict"] != live_v:
            parts.append("verdict live %s, snapshot %s" % (live_v, res["verdict"]))
        if res["rules"] != live_r:
            gone = sorted(set(live_r) - set(res["rules"]))
            new = sorted(set(res["rules"]) - set(live_r))
            parts.append("rules only live: %s; only snapshot: %s" % (",".join(gone) or "-", ",".join(new) or "-"))
        res["detail"] = "; ".join(parts)
    # informational: evidence and the rest of the document
    le, re_ = evidence_of(live_doc), evidence_of(doc)
    for rule in sorted(set(le) & set(re_)):
        if le[rule] != re_[rule]:
            only_live = [x for x in le[rule] if x not in re_[rule]]
            only_snap = [x for x in re_[rule] if x not in le[rule]]
            res["evidence"].append((rule, only_live, only_snap))
    res["other"] = leaf_diffs(live_doc or {}, doc)
    return res


def verdict_of(d):
    """(verdict, note) from verdict.json; 'unknown' when absent or unparsable."""
    raw = read(os.path.join(d, "verdict.json")).strip()
    if not raw:
        err = read(os.path.join(d, "check-json.err")).strip().splitlines()
        return "unknown", "no JSON" + (": " + err[0][:60] if err else "")
    try:
        doc = json.loads(raw)
    except ValueError:
        # tolerate a stream of JSON values: take the first line that parses
        doc = None
        for line in raw.splitlines():
            try:
                doc = json.loads(line)
                break
            except ValueError:
                continue
        if doc is None:
            return "unknown", "unparsable JSON"
    if isinstance(doc, list):
        doc = doc[0] if doc else {}
    if not isinstance(doc, dict) or not isinstance(doc.get("verdict"), str):
        return "unknown", "no .verdict field"
    return doc["verdict"].strip().lower(), ""


def replay(binary, root, module):
    """Verdict of `kmod-doctor check --root` on the raw capture of the scenario (host side)."""
    if not binary or not os.path.isdir(root):
        return "-"
    try:
        p = subprocess.run([binary, "check", "--format", "json", "--root", root, module],
                           capture_output=True, text=True, timeout=60)
        doc = json.loads(p.stdout)
        if isinstance(doc, list):
            doc = doc[0] if doc else {}
        return str(doc.get("verdict", "unknown")).lower()
    except (OSError, ValueError, subprocess.TimeoutExpired, AttributeError):
        return "error"


def read_inventory(path):
    """Lines of an exists.{before,after} file (scenarios.sh `inventory`), or None if absent."""
    if not os.path.isfile(path):
        return None
    return [line.strip() for line in read(path).splitlines() if line.strip()]


def vanished_items(before, after):
    """What the removal made vanish: [{"kind", "item", "names"}], names being the words of which one
    must appear in the verdict (interface, mount point or device, card, block device). Routes and
    addresses are named by their interface; those on `lo` (the local routes of addresses that go
    with their interface) are not counted."""
    if before is None or after is None:
        return []
    out = []
    for line in sorted(set(before) - set(after)):
        w = line.split()
        if len(w) < 2:
            continue
        kind, name = w[0], w[1]
        if kind in ("route4", "route6", "addr") and name == "lo":
            continue
        names = [name]
        if kind == "mount" and len(w) > 2:
            names.append(w[2])          # the mount point, or its device
        if kind == "drm":
            names = [name.split("-")[0]]  # card0-Virtual-1 is a connector of card0
        out.append({"kind": kind, "item": " ".join(w[1:]), "names": names})
    return out


def verdict_texts(doc_or_docs):
    """Every string and key under findings (messages, evidence), users and module_info of each
    check document, joined: where a verdict names what goes."""
    docs = doc_or_docs if isinstance(doc_or_docs, list) else [doc_or_docs]
    parts = []

    def walk(v):
        if isinstance(v, dict):
            for k, x in v.items():
                parts.append(str(k))
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif v is not None:
            parts.append(str(v))
    for d in docs:
        if isinstance(d, dict):
            for key in ("findings", "users", "module_info"):
                walk(d.get(key))
    return "\n".join(parts)


def named(name, text):
    """NAME appears in TEXT as a whole word (paths and punctuation around it are fine)."""
    return re.search(r"(?<![A-Za-z0-9_.:-])" + re.escape(name) + r"(?![A-Za-z0-9_:-])", text) is not None


def judge_consequences(verdict, vanished, docs):
    """The consequence rule: (agrees, detail). `safe` while anything vanished disagrees;
    `caution`/`danger` must name every vanished thing; any other verdict says nothing goes, so
    nothing may vanish."""
    if not vanished:
        return True, ""
    if verdict in ("caution", "danger"):
        text = verdict_texts(docs)
        missing = [v for v in vanished if not any(named(n, text) for n in v["names"])]
        if not missing:
            return True, "named: " + brief(vanished)
        return False, "%s does not name: %s" % (verdict, brief(missing))
    return False, "%s while vanished: %s" % (verdict, brief(vanished))


def all_docs(raw):
    """Every check document of an output (an array for an alias resolving to several)."""
    raw = raw.strip()
    try:
        doc = json.loads(raw)
    except ValueError:
        d = first_doc(raw)
        return [d] if d else []
    return [x for x in doc if isinstance(x, dict)] if isinstance(doc, list) else [doc]


def brief(items):
    """Vanished items, short: per kind the distinct names (how many items when more than one)."""
    by = {}
    for v in items:
        by.setdefault(v["kind"], []).append(v["names"][0])
    out = []
    for kind in sorted(by):
        names = sorted(set(by[kind]))
        out.append("%s %s" % (kind, ",".join(
            n + ("(x%d)" % by[kind].count(n) if by[kind].count(n) > 1 else "") for n in names)))
    return "; ".join(out)


def known_gap(kernel, scenario):
    return KNOWN_GAPS.get("%s/%s" % (kernel, scenario)) or KNOWN_GAPS.get(scenario)


def plan_removes_with(doc, command):
    """The verdict's steps remove the module with the harness's command (`rmmod M` or
    `modprobe -r M`): a step whose command starts with the same program and names M."""
    words = command.split()
    prog, module = os.path.basename(words[0]), words[-1]
    for step in (doc or {}).get("next_steps") or []:
        c = str(step.get("command", "")).split()
        if c and os.path.basename(c[0]) == prog and module in c[1:]:
            return True
    return False


def judge(verdict, rc, stderr, before, after):
    still_there = after == "yes" or "builtin" in stderr
    if verdict in ("blocked", "builtin"):
        return rc != 0 and still_there
    if verdict in ("safe", "caution", "danger"):
        return rc == 0 and after == "no"
    if verdict == "not-loaded":
        return rc == 0 and before == "no"
    if verdict == "not-found":
        return rc != 0 and "not found" in stderr
    return False


def reality(rc, stderr, before, after):
    """A one-word name for what modprobe -r really did."""
    if rc == 0:
        if before == "no":
            return "was-absent"
        return "removed" if after == "no" else "rc0-still-there"
    if "not found" in stderr:
        return "not-found"
    if "builtin" in stderr:
        return "builtin"
    if after == "yes":
        return "refused"
    return "failed"


def collect(results, kernels, scenarios, binary=None):
    rows = []
    for k in kernels:
        for name, mod in scenarios:
            d = os.path.join(results, k, name)
            row = {"kernel": k, "scenario": name, "module": mod}
            if not os.path.isdir(d):
                row.update(verdict="missing", note="no results", rc=None, stderr="", before="?", remover="",
                           after="?", refcnt="?", reality="missing", agree=False, cons_agree=False,
                           cons_detail="no results", vanished=[],
                           rt={"status": "missing", "verdict": "-", "rules": [], "detail": "no results",
                               "evidence": [], "other": []})
                rows.append(row)
                continue
            verdict, note = verdict_of(d)
            rc_s = read(os.path.join(d, "modprobe-r.rc")).strip()
            rc = int(rc_s) if rc_s.lstrip("-").isdigit() else None
            stderr = read(os.path.join(d, "modprobe-r.err"))
            before = read(os.path.join(d, "present.before")).strip()
            after = read(os.path.join(d, "present.after")).strip()
            row.update(
                verdict=verdict,
                note=note,
                rc=rc,
                stderr=stderr,
                before=before,
                after=after,
                refcnt=read(os.path.join(d, "refcnt.before")).strip() or "?",
                holders=" ".join(read(os.path.join(d, "holders.before")).split()),
                check_rc=read(os.path.join(d, "check.rc")).strip(),
                snapshot_rc=read(os.path.join(d, "snapshot.rc")).strip(),
                reality=reality(rc, stderr, before, after) if rc is not None else "no-rc",
                replay=replay(binary, os.path.join(d, "root"), mod),
                agree=rc is not None and judge(verdict, rc, stderr, before, after),
                live_doc=first_doc(read(os.path.join(d, "verdict.json"))),
            )
            row["remover"] = read(os.path.join(d, "remover")).strip() or "/sbin/modprobe -r " + mod
            # a removal kmod can only do with rmmod must be what the plan says
            if (row["agree"] and row["remover"].startswith("/sbin/rmmod")
                    and verdict in ("safe", "caution", "danger")
                    and not plan_removes_with(row["live_doc"], row["remover"])):
                row["agree"] = False
                row["note"] = "the suite removed with `%s`; no step of the plan does" % row["remover"]
            row["rt"] = round_trip(binary, d, mod, row["live_doc"])
            row["vanished"] = vanished_items(read_inventory(os.path.join(d, "exists.before")),
                                             read_inventory(os.path.join(d, "exists.after")))
            row["inventory"] = os.path.isfile(os.path.join(d, "exists.before"))
            row["cons_agree"], row["cons_detail"] = judge_consequences(
                verdict, row["vanished"], all_docs(read(os.path.join(d, "verdict.json"))))
            if not row["inventory"]:
                row["cons_agree"], row["cons_detail"] = False, "no exists.before/after recorded"
            rows.append(row)
    return rows


def print_table(rows):
    head = ("kernel", "scenario", "module", "verdict", "rc", "refcnt", "reality", "first stderr line", "",
            "conseq.", "round trip", "replay")
    table = []
    for r in rows:
        first = (r["stderr"].strip().splitlines() or [""])[0]
        table.append((r["kernel"], r["scenario"], r["module"], r["verdict"],
                      "-" if r["rc"] is None else str(r["rc"]), r["refcnt"], r["reality"],
                      first[:60] or "(empty)", "AGREE" if r["agree"] else "DISAGREE",
                      ("ok" if r["cons_agree"] else "DISAGREE") + ("(%d)" % len(r["vanished"]) if r["vanished"] else ""),
                      r["rt"]["status"], r.get("replay", "-")))
    widths = [max(len(x[i]) for x in table + [head]) for i in range(len(head))]
    fmt = "  ".join("%%-%ds" % w for w in widths)
    print(fmt % head)
    for t in table:
        print(fmt % t)


# Issue 13's targets: (what, against, at most this many times as long).
BENCH_TARGETS = [
    ("check_busy", "dryrun_busy", 2.0, "check of a loaded driver (virtio_net) vs modprobe -n -r of it"),
    ("check_absent", "dryrun_absent", 1.5, "check of a module that is not loaded (sctp) vs modprobe -n -r of it"),
    ("scan", "lsmod", 3.0, "scan vs lsmod"),
]


def timing(results, kernels):
    """One line per kernel with the per-run times, then one per target: the ratio, the target
    and MET or MISSED. Informational: TCG timings are too noisy to fail a run on."""
    lines = []
    qemu = read(os.path.join(results, "qemu-version")).strip()
    if qemu:
        lines.append("timing under %s" % qemu)
    for k in kernels:
        t = {}
        for line in read(os.path.join(results, k, "timing.txt")).splitlines():
            if "=" in line:
                key, val = line.split("=", 1)
                try:
                    t[key] = float(val)
                except ValueError:
                    pass
        if not t.get("runs"):
            lines.append("timing %s: not recorded" % k)
            continue
        n = t["runs"]
        per = {key[:-len("_total_s")]: 1000.0 * v / n for key, v in t.items() if key.endswith("_total_s")}
        shown = ", ".join("%s %.0f ms" % (x, per[x]) for x in
                          ("true", "lsmod", "dryrun_busy", "check_busy", "dryrun_idle", "check_idle",
                           "dryrun_absent", "check_absent", "scan") if x in per)
        lines.append("timing %s (TCG, %d runs each, per run): %s" % (k, n, shown))
        for what, base, target, label in BENCH_TARGETS:
            if what not in per or not per.get(base):
                continue
            r = per[what] / per[base]
            lines.append("bench %s: %s = %.1fx (target <= %.1fx) %s"
                         % (k, label, r, target, "MET" if r <= target else "MISSED"))
    return lines


def write_fixtures(results, fixtures, kernels, scenarios):
    os.makedirs(fixtures, exist_ok=True)
    for k in kernels:
        kdir = os.path.join(results, k)
        if not os.path.isdir(kdir):
            continue
        release = read(os.path.join(kdir, "release")).strip()
        kmod = read(os.path.join(kdir, "kmod-version")).strip().splitlines()
        bb = read(os.path.join(kdir, "busybox-version")).strip()
        out = [
            "# Real modprobe/rmmod/busybox messages observed by tests/vm/run (generated: do not edit).",
            "# kernel: %s" % release,
            "# kmod: %s" % (kmod[0] if kmod else "?"),
            "# busybox: %s" % bb,
            "# Format: one block per distinct command and output, in scenario order:",
            "#   # scenario NAME: module state before (present, refcnt, holders)",
            "#   $ COMMAND",
            "#   stderr lines, verbatim (stdout lines, rare, are prefixed 'stdout| ')",
            "#   [rc=N]",
            "# Blocks are separated by an empty line; exact duplicates are listed once.",
            "",
        ]
        seen = set()
        for name, _mod in scenarios:
            d = os.path.join(kdir, name)
            text = read(os.path.join(d, "messages.txt"))
            if not text:
                continue
            ctx = "# scenario %s: present=%s refcnt=%s holders=%s" % (
                name,
                read(os.path.join(d, "present.before")).strip() or "?",
                read(os.path.join(d, "refcnt.before")).strip() or "?",
                ",".join(read(os.path.join(d, "holders.before")).split()) or "-",
            )
            for block in text.strip("\n").split("\n\n"):
                block = block.strip("\n")
                if not block or block in seen:
                    continue
                seen.add(block)
                out.append(ctx)
                out.append(block)
                out.append("")
        with open(os.path.join(fixtures, k + ".txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(out))


def committed_still_true(binary, kdir, r, release):
    """The committed snapshot of this scenario still tells this run's truth: captured from the same
    kernel release, and `check --root` on it gives the live verdict and rules and names everything
    that vanished. Such a fixture is kept byte for byte: a re-captured snapshot differs in every
    byte (addresses, pids, times), and the repository would carry each scenario again."""
    old_json = os.path.join(kdir, r["scenario"] + ".expected.json")
    old_tar = os.path.join(kdir, r["scenario"] + ".tar.gz")
    if not binary or not (os.path.isfile(old_json) and os.path.isfile(old_tar)):
        return False
    try:
        old = json.loads(read(old_json))
    except ValueError:
        return False
    if old.get("release") != release or old.get("module") != r["module"]:
        return False
    rt = round_trip(binary, None, r["module"], r["live_doc"], snap=old_tar)
    if rt["status"] != "same":
        return False
    return judge_consequences(rt["verdict"], r["vanished"], [rt["doc"]])[0]


def write_vm_fixtures(results, outdir, kernels, rows, binary=None, refresh_all=False):
    """Copies each kernel's snapshot.tar.gz files and live truth into OUTDIR/<kernel>/, only for a
    kernel whose scenarios all agree and all have a snapshot that replays (a broken run must not
    replace good fixtures). A round trip that differs is recorded in the fixture ("round_trip"), so
    that tests/vm_fixtures.rs pins the gap instead of hiding it. Returns the lines to print."""
    lines = []
    for k in kernels:
        krows = [r for r in rows if r["kernel"] == k]
        bad = [r["scenario"] for r in krows
               if (not (r["agree"] and r["cons_agree"]) and not known_gap(k, r["scenario"]))
               or r["rt"]["status"] not in ("same", "DIFFERS")]
        if bad or not krows:
            lines.append("fixtures %s: NOT updated (%s)" % (k, ", ".join(bad) or "no scenarios"))
            continue
        kdir = os.path.join(outdir, k)
        tmp = kdir + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        release = read(os.path.join(results, k, "release")).strip()
        kept = 0
        for r in krows:
            d = os.path.join(results, k, r["scenario"])
            name = r["scenario"] + ".tar.gz"
            if not refresh_all and r["rt"]["status"] == "same" and committed_still_true(binary, kdir, r, release):
                shutil.copyfile(os.path.join(kdir, name), os.path.join(tmp, name))
                kept += 1
            else:
                shutil.copyfile(os.path.join(d, "snapshot.tar.gz"), os.path.join(tmp, name))
            check_rc = read(os.path.join(d, "check.rc")).strip()
            expected = {
                "kernel": k,
                "release": release,
                "scenario": r["scenario"],
                "module": r["module"],
                "verdict": r["verdict"],
                "rules": rule_ids(r["live_doc"]),
                "check_rc": int(check_rc) if check_rc.lstrip("-").isdigit() else None,
                "modprobe_r": {
                    # the command the suite removed with: `modprobe -r M`, or `rmmod M` for a
                    # loaded module modprobe cannot find (the plan's command)
                    "command": r["remover"],
                    "rc": r["rc"],
                    "stderr_first_line": (r["stderr"].strip().splitlines() or [""])[0],
                },
                "present_before": r["before"],
                "present_after": r["after"],
                "reality": r["reality"],
                "agree": r["agree"],
                # what the real removal made vanish, and the consequence rule's word on the live
                # verdict (tests/vm_fixtures.rs applies the same rule to the replay)
                "vanished": r["vanished"],
                "consequences_agree": r["cons_agree"],
                "consequences_detail": r["cons_detail"],
                "known_gap": known_gap(k, r["scenario"]),
                "round_trip": {
                    "same": r["rt"]["status"] == "same",
                    "snapshot_verdict": r["rt"]["verdict"],
                    "snapshot_rules": r["rt"]["rules"],
                    "detail": r["rt"]["detail"],
                },
            }
            first = expected["modprobe_r"]["stderr_first_line"]
            if judge(r["verdict"], r["rc"], first, r["before"], r["after"]) != r["agree"]:
                lines.append("fixtures %s/%s: WARNING: the first stderr line alone judges differently"
                             % (k, r["scenario"]))
            with open(os.path.join(tmp, r["scenario"] + ".expected.json"), "w", encoding="utf-8") as f:
                f.write(json.dumps(expected, indent=2) + "\n")
        shutil.rmtree(kdir, ignore_errors=True)
        os.rename(tmp, kdir)
        size = sum(os.path.getsize(os.path.join(kdir, n)) for n in os.listdir(kdir))
        gaps = sum(1 for r in krows if r["rt"]["status"] != "same")
        lines.append("fixtures %s: %d snapshots written to %s (%.1f MB; %d committed ones kept, still true)%s" % (
            k, len(krows), kdir, size / 1e6, kept, ", %d with a round-trip gap recorded" % gaps if gaps else ""))
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--scenarios", required=True)
    ap.add_argument("--fixtures")
    ap.add_argument("--binary", help="host kmod-doctor: replay `check --root` on each snapshot.tar.gz"
                    " (round trip) and on each raw capture")
    ap.add_argument("--vm-fixtures", help="copy snapshots and live truth to DIR/<kernel>/ (tests/fixtures/vm);"
                    " a committed snapshot that still gives this run's truth is kept")
    ap.add_argument("--refresh-all", action="store_true", help="with --vm-fixtures: replace every snapshot")
    ap.add_argument("--differential", help="directory of <kernel>.summary files written by"
                    " tests/vm/differential.py (printed; a last line without PASS fails)")
    ap.add_argument("kernels", nargs="+")
    a = ap.parse_args()

    scenarios = scenario_list(a.scenarios)
    if not scenarios:
        print("compare.py: no run_scenario lines in %s" % a.scenarios, file=sys.stderr)
        return 2
    rows = collect(a.results, a.kernels, scenarios, a.binary)
    print_table(rows)
    notes = [r for r in rows if r.get("note")]
    if notes:
        print()
        for r in notes:
            print("note %s/%s: %s" % (r["kernel"], r["scenario"], r["note"]))
    print()
    for line in timing(a.results, a.kernels):
        print(line)
    with open(os.path.join(a.results, "summary.tsv"), "w", encoding="utf-8") as f:
        f.write("kernel\tscenario\tmodule\tverdict\trc\trefcnt\tholders\treality\tstderr\tagree\treplay"
                "\tround_trip\tsnapshot_verdict\n")
        for r in rows:
            f.write("\t".join([r["kernel"], r["scenario"], r["module"], r["verdict"],
                               "" if r["rc"] is None else str(r["rc"]), r["refcnt"],
                               r.get("holders", ""), r["reality"],
                               (r["stderr"].strip().splitlines() or [""])[0],
                               "AGREE" if r["agree"] else "DISAGREE", r.get("replay", "-"),
                               r["rt"]["status"], r["rt"]["verdict"]]) + "\n")
    if a.fixtures:
        write_fixtures(a.results, a.fixtures, a.kernels, scenarios)
    agree = sum(1 for r in rows if r["agree"])
    if a.binary:
        replayed = [r for r in rows if r.get("replay", "-") != "-"]
        same = sum(1 for r in replayed if r["replay"] == r["verdict"])
        print()
        print("replay: %d/%d raw captures give the live verdict with `check --root` on the host"
              " (informational)" % (same, len(replayed)))
        for r in replayed:
            if r["replay"] != r["verdict"]:
                print("  replay differs %s/%s: live %s, replay %s"
                      % (r["kernel"], r["scenario"], r["verdict"], r["replay"]))
    print()
    rt_same = 0
    for r in rows:
        rt = r["rt"]
        where = "%s/%s" % (r["kernel"], r["scenario"])
        if rt["status"] == "same":
            rt_same += 1
        else:
            print("round trip %s %s: %s" % (rt["status"], where, rt["detail"]))
        for rule, only_live, only_snap in rt["evidence"]:
            note = ROUND_TRIP_NOTES.get("evidence")
            print("  evidence differs %s [%s]%s" % (where, rule, " (noted: %s)" % note if note else ""))
            for path, value in only_live:
                print("    live:     %s = %s" % (path, value[:100]))
            for path, value in only_snap:
                print("    snapshot: %s = %s" % (path, value[:100]))
        for field in rt["other"]:
            note = ROUND_TRIP_NOTES.get(field.split(".")[0])
            print("  field differs %s: %s%s" % (where, field, " (noted: %s)" % note if note else ""))
        for line in (rt.get("stderr") or "").splitlines():
            print("  replay stderr %s: %s" % (where, line[:120]))
    # the consequence rule, and the known gaps (KNOWN_GAPS)
    print()
    for r in rows:
        where = "%s/%s" % (r["kernel"], r["scenario"])
        if r["vanished"]:
            print("vanished %s (%s): %s" % (where, r["verdict"], brief(r["vanished"])))
        if not r["cons_agree"]:
            print("  consequence DISAGREES %s: %s%s" % (where, r["cons_detail"], " (known gap)"
                                                       if known_gap(r["kernel"], r["scenario"]) else ""))
    gap_rows, failing = [], []
    for r in rows:
        ok = r["agree"] and r["cons_agree"]
        if not ok and known_gap(r["kernel"], r["scenario"]):
            gap_rows.append(r)
        elif not ok:
            failing.append(r)
    fixed = []
    for key, why in sorted(KNOWN_GAPS.items()):
        mine = [r for r in rows if r["scenario"] == key or "%s/%s" % (r["kernel"], r["scenario"]) == key]
        if mine and all(r["agree"] and r["cons_agree"] for r in mine):
            fixed.append(key)
    if gap_rows:
        print()
        print("KNOWN GAPS (KNOWN_GAPS in tests/vm/compare.py; they do not fail the suite):")
        for r in gap_rows:
            what = []
            if not r["agree"]:
                what.append("verdict %s, modprobe -r: %s" % (r["verdict"], r["reality"]))
            if not r["cons_agree"]:
                what.append(r["cons_detail"])
            print("  KNOWN GAP %s/%s: %s [%s]" % (r["kernel"], r["scenario"], "; ".join(what),
                                                known_gap(r["kernel"], r["scenario"])))
    for key in fixed:
        print("known gap fixed: remove it from the list: %s (KNOWN_GAPS in tests/vm/compare.py)" % key)
    if a.vm_fixtures:
        for line in write_vm_fixtures(a.results, a.vm_fixtures, a.kernels, rows, a.binary, a.refresh_all):
            print(line)
    diff_ok = True
    if a.differential:
        print()
        for k in a.kernels:
            f = os.path.join(a.differential, k + ".summary")
            text = read(f).strip()
            if not text:
                print("differential %s: no summary (%s)" % (k, f))
                diff_ok = False
                continue
            for line in text.splitlines():
                print(line)
            if not re.search(r"\bPASS\b", text.splitlines()[-1]):
                diff_ok = False
    cons = sum(1 for r in rows if r["cons_agree"])
    cons_known = sum(1 for r in gap_rows if not r["cons_agree"])
    agree_known = sum(1 for r in gap_rows if not r["agree"])
    print("%d/%d round trips agree" % (rt_same, len(rows)))
    print("%d/%d consequences agree%s" % (cons, len(rows), ", %d of the disagreements are known gaps" % cons_known
                                          if cons_known else ""))
    print("%d/%d scenarios agree%s" % (agree, len(rows), ", %d of the disagreements are known gaps" % agree_known
                                       if agree_known else ""))
    ok = not failing and not fixed and rt_same == len(rows) and diff_ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
