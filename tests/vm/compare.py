#!/usr/bin/env python3
"""Compare kmod-doctor's verdicts with what a real `modprobe -r` did in the VM.

Reads target/vm-results/<kernel>/<scenario>/ (written by tests/vm/scenarios.sh inside the VM),
prints one line per scenario and the summary line `N/M scenarios agree` (all kernels together),
prints the timing ratios, writes target/vm-results/summary.tsv and, with --fixtures, rewrites
tests/fixtures/vm-messages/<kernel>.txt. Exit status: 0 when every scenario agrees, 1 otherwise.

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
import subprocess
import sys


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
                row.update(verdict="missing", note="no results", rc=None, stderr="", before="?",
                           after="?", refcnt="?", reality="missing", agree=False)
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
            )
            rows.append(row)
    return rows


def print_table(rows):
    head = ("kernel", "scenario", "module", "verdict", "rc", "refcnt", "reality", "first stderr line", "",
            "replay")
    table = []
    for r in rows:
        first = (r["stderr"].strip().splitlines() or [""])[0]
        table.append((r["kernel"], r["scenario"], r["module"], r["verdict"],
                      "-" if r["rc"] is None else str(r["rc"]), r["refcnt"], r["reality"],
                      first[:60] or "(empty)", "AGREE" if r["agree"] else "DISAGREE",
                      r.get("replay", "-")))
    widths = [max(len(x[i]) for x in table + [head]) for i in range(len(head))]
    fmt = "  ".join("%%-%ds" % w for w in widths)
    print(fmt % head)
    for t in table:
        print(fmt % t)


def timing(results, kernels):
    lines = []
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
        per = {x: 1000.0 * t.get(x + "_total_s", 0.0) / n for x in ("check", "lsmod", "dryrun", "true")}

        def ratio(a, b):
            return "%.1fx" % (per[a] / per[b]) if per[b] > 0 else "n/a"

        lines.append("timing %s (TCG, %d runs each, per run): kmod-doctor check %.0f ms, lsmod %.0f ms, "
                     "modprobe --dry-run --remove %.0f ms, /bin/true %.0f ms; check/lsmod %s, check/dry-run %s"
                     % (k, n, per["check"], per["lsmod"], per["dryrun"], per["true"],
                        ratio("check", "lsmod"), ratio("check", "dryrun")))
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--scenarios", required=True)
    ap.add_argument("--fixtures")
    ap.add_argument("--binary", help="host kmod-doctor: replay `check --root` on each raw capture")
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
        f.write("kernel\tscenario\tmodule\tverdict\trc\trefcnt\tholders\treality\tstderr\tagree\treplay\n")
        for r in rows:
            f.write("\t".join([r["kernel"], r["scenario"], r["module"], r["verdict"],
                               "" if r["rc"] is None else str(r["rc"]), r["refcnt"],
                               r.get("holders", ""), r["reality"],
                               (r["stderr"].strip().splitlines() or [""])[0],
                               "AGREE" if r["agree"] else "DISAGREE", r.get("replay", "-")]) + "\n")
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
    print("%d/%d scenarios agree" % (agree, len(rows)))
    return 0 if agree == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
