#!/usr/bin/env python3
"""Differential test: kmod-doctor's name, alias and dependency resolution against the real kmod.

On a real kernel tree (the one tests/vm/run downloaded, `TREE/lib/modules/RELEASE`), for a seeded
random sample of queries, compares
  resolution:   `modprobe -C /dev/null -d TREE -S RELEASE -R QUERY`   (the modules a query names)
           with `kmod-doctor check --format json --root MINI -S RELEASE QUERY`: the `.module` of
                each document (an array when an alias resolves to several), none for `not-found`;
  dependencies: `modprobe ... --show-depends --ignore-install NAME` (the modules.dep chain: every
                `insmod PATH` / `builtin NAME` line but NAME's own)
           with `.module_info.dependencies` of kmod-doctor's document for NAME (as a set);
  softdeps:     `--show-depends` without --ignore-install adds the softdep modules (modules.softdep):
                listed for information while kmod-doctor's JSON has no field for them.
MINI is a minimal root built here: lib/modules/RELEASE/modules.* (hard links to the tree), an empty
proc/modules and proc/sys/kernel/osrelease (nothing is loaded: every answer comes from the
index). Neither side reads a modprobe.d (`-C /dev/null`; MINI has no etc/).

Queries (seeded, so a run is reproducible for one tree): alias patterns of modules.alias verbatim
(wildcards and all), the same patterns expanded to concrete strings, module names of modules.dep
with `-`/`_` swapped at random, builtin names and aliases, `symbol:` aliases of modules.symbols,
and names that exist nowhere.

Writes OUT/<label>.mismatches.txt (every mismatch, query and both answers) and OUT/<label>.summary,
whose last line ends in PASS or FAIL (mismatches not in KNOWN_MISMATCHES fail). Exit status 0 on
PASS, 1 on FAIL, 2 on bad arguments or when a tool cannot run.
"""
import argparse
import concurrent.futures
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time

# query (exact) or "re:REGEX" -> why kmod-doctor may answer differently. Printed, not failing.
KNOWN_MISMATCHES = {
    "re:^symbol:": "kmod-doctor does not read modules.symbols: `symbol:NAME` (the aliases of"
                   " symbol_request(), which modprobe -R resolves) comes out not-found",
    "re:\\[[^]]*-[^]]*\\]": "kmod-doctor turns `-` into `_` inside a `[...]` class of an alias query"
                             " (`[0-1]` becomes `[0_1]`); kmod's alias normalization keeps brackets as they are",
    "crc64-rocksoft": "a builtin module name (modules.builtin: crc64-rocksoft.ko) that is also a builtin"
                      " alias of another module: kmod answers the module (crc64_rocksoft), kmod-doctor"
                      " the alias (crc64_rocksoft_generic)",
    "crc64_rocksoft": "as crc64-rocksoft",
    "fs-tracefs": "a builtin alias of a module that modules.builtin does not list (tracefs is obj-y:"
                  " its alias is only in modules.builtin.modinfo); kmod resolves it through"
                  " modules.builtin.alias.bin, kmod-doctor says not-found",
}


def known(query):
    if query in KNOWN_MISMATCHES:
        return KNOWN_MISMATCHES[query]
    for k, why in KNOWN_MISMATCHES.items():
        if k.startswith("re:") and re.search(k[3:], query):
            return why
    return None


def norm(name):
    return name.replace("-", "_")


def lines(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read().splitlines()
    except OSError:
        return []


def expand(pattern, rng):
    """A concrete string that the fnmatch pattern matches."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            out.append(rng.choice(["", "0", "1A", "FFFF", "00000", "x"]))
        elif c == "?":
            out.append(rng.choice("0123456789ABCDEF"))
        elif c == "[":
            j = pattern.find("]", i + 2)
            if j < 0:
                out.append(c)
            else:
                body = pattern[i + 1:j]
                if body.startswith(("!", "^")):
                    out.append("~" if "~" not in body else "@")
                else:
                    out.append(body[0])
                i = j
        else:
            out.append(c)
        i += 1
    return "".join(out)


def dashify(name, rng):
    return "".join(("-" if c == "_" and rng.random() < 0.5 else c) for c in name)


def sample(moddir, n, rng):
    aliases = []
    for line in lines(os.path.join(moddir, "modules.alias")):
        w = line.split()
        if len(w) == 3 and w[0] == "alias":
            aliases.append(w[1])
    symbols = [line.split()[1] for line in lines(os.path.join(moddir, "modules.symbols"))
               if line.startswith("alias symbol:") and len(line.split()) == 3]
    deps = [os.path.basename(line.split(":", 1)[0]) for line in lines(os.path.join(moddir, "modules.dep"))
            if ":" in line]
    deps = [re.sub(r"\.ko(\.[a-z]+)?$", "", d) for d in deps]
    builtin = [re.sub(r"\.ko$", "", os.path.basename(line)) for line in lines(os.path.join(moddir, "modules.builtin"))]
    balias = []
    try:
        with open(os.path.join(moddir, "modules.builtin.modinfo"), "rb") as f:
            for rec in f.read().split(b"\0"):
                m = re.match(rb"^[^.]+\.alias=(.+)$", rec)
                if m:
                    balias.append(m.group(1).decode("utf-8", "replace"))
    except OSError:
        pass
    if not aliases or not deps:
        raise SystemExit("differential: %s has no modules.alias or modules.dep" % moddir)

    def pick(pool, k):
        return rng.sample(pool, min(k, len(pool))) if pool else []

    q = []
    q += [("alias", a) for a in pick(aliases, n * 30 // 100)]
    q += [("alias-expanded", expand(a, rng)) for a in pick(aliases, n * 20 // 100)]
    q += [("name", dashify(d, rng)) for d in pick(deps, n * 25 // 100)]
    q += [("builtin", dashify(b, rng)) for b in pick(builtin, n * 6 // 100)]
    q += [("builtin-alias", a) for a in pick(balias, n * 5 // 100)]
    q += [("symbol", s) for s in pick(symbols, n * 5 // 100)]
    q += [("absent", d + "x9") for d in pick(deps, n * 4 // 100)]
    q += [("absent", "no-such-module-%d" % i) for i in range(max(0, n - len(q)))]
    # dedupe, keep order
    seen, out = set(), []
    for kind, s in q:
        if s not in seen and not s.startswith("-"):
            seen.add(s)
            out.append((kind, s))
    return out, deps


def run(cmd, timeout=60):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def kmod_resolve(modprobe, tree, rel, query):
    rc, out, err = run([modprobe, "-C", "/dev/null", "-d", tree, "-S", rel, "-R", query])
    if rc != 0:
        return [] if "not found" in err else None, err.strip()
    return sorted({norm(x.strip()) for x in out.splitlines() if x.strip()}), ""


def chain_names(out):
    names = []
    for line in out.splitlines():
        w = line.split()
        if len(w) >= 2 and w[0] == "insmod":
            names.append(norm(re.sub(r"\.ko(\.[a-z]+)?$", "", os.path.basename(w[1]))))
        elif len(w) >= 2 and w[0] == "builtin":
            names.append(norm(w[1]))
    return names


def softdep_map(moddir):
    """modules.softdep: module -> the names in its pre: and post: lists (as written)."""
    out = {}
    for line in lines(os.path.join(moddir, "modules.softdep")):
        w = line.split()
        if len(w) >= 3 and w[0] == "softdep":
            out.setdefault(norm(w[1]), []).extend(x for x in w[2:] if x not in ("pre:", "post:"))
    return out


def kmod_chain(modprobe, tree, rel, name, ignore_install=True):
    cmd = [modprobe, "-C", "/dev/null", "-d", tree, "-S", rel, "--show-depends"]
    rc, out, err = run(cmd + (["--ignore-install"] if ignore_install else []) + [name])
    return (chain_names(out) if rc == 0 else None), err.strip()


def kmod_depends(modprobe, tree, rel, name, softdeps):
    """(dependencies, softdep-added, explained, error). kmod's --ignore-install drops the softdeps
    of NAME itself but not those of its dependencies: modules that are in the chain only as a
    softdep of a chain module (or a dependency of one) are returned as `explained`, apart."""
    chain, err = kmod_chain(modprobe, tree, rel, name)
    if chain is None:
        return None, None, [], err
    full, _ = kmod_chain(modprobe, tree, rel, name, ignore_install=False)
    soft = sorted(set(full or []) - set(chain))
    target = norm(name)
    via_soft = set()
    for m in chain:
        for t in softdeps.get(m, []):
            sub, _ = kmod_chain(modprobe, tree, rel, t)
            via_soft |= set(sub or [])
    deps = set(chain) - {target}
    return sorted(deps), soft, sorted(via_soft & deps), ""


def kd_docs(binary, mini, rel, query):
    rc, out, err = run([binary, "check", "--format", "json", "--color", "never", "--root", mini, "-S", rel, query])
    try:
        doc = json.loads(out)
    except ValueError:
        return None, "rc=%d, no JSON: %s" % (rc, err.strip()[:200])
    docs = doc if isinstance(doc, list) else [doc]
    return [d for d in docs if isinstance(d, dict)], err.strip()


def kd_resolve(docs):
    return sorted({norm(str(d.get("module"))) for d in docs
                   if d.get("verdict") != "not-found" and d.get("module")})


def build_mini(tree, rel, mini):
    src = os.path.join(tree, "lib", "modules", rel)
    dst = os.path.join(mini, "lib", "modules", rel)
    shutil.rmtree(mini, ignore_errors=True)
    os.makedirs(dst)
    os.makedirs(os.path.join(mini, "proc", "sys", "kernel"))
    with open(os.path.join(mini, "proc", "modules"), "w"):
        pass
    with open(os.path.join(mini, "proc", "sys", "kernel", "osrelease"), "w") as f:
        f.write(rel + "\n")
    for n in os.listdir(src):
        if n.startswith("modules.") or n == "config":
            try:
                os.link(os.path.join(src, n), os.path.join(dst, n))
            except OSError:
                shutil.copyfile(os.path.join(src, n), os.path.join(dst, n))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tree", required=True, help="kernel tree: TREE/lib/modules/RELEASE")
    ap.add_argument("--release", required=True)
    ap.add_argument("--label", required=True)
    ap.add_argument("--binary", required=True, help="kmod-doctor")
    ap.add_argument("--modprobe", default="modprobe", help="the kmod modprobe to compare with")
    ap.add_argument("--out", required=True, help="directory for LABEL.summary and LABEL.mismatches.txt")
    ap.add_argument("-n", type=int, default=500, help="resolution queries (default 500)")
    ap.add_argument("--deps", type=int, default=200, help="dependency chains (default 200)")
    ap.add_argument("--seed", default="kmod-doctor-differential")
    ap.add_argument("-j", type=int, default=3, help="parallel queries")
    a = ap.parse_args()

    moddir = os.path.join(a.tree, "lib", "modules", a.release)
    if not os.path.isfile(os.path.join(moddir, "modules.dep")):
        print("differential: no %s/modules.dep" % moddir, file=sys.stderr)
        return 2
    os.makedirs(a.out, exist_ok=True)
    try:
        kver = run([a.modprobe, "--version"])[1].splitlines()[0]
    except (OSError, IndexError) as e:
        print("differential: cannot run %s: %s" % (a.modprobe, e), file=sys.stderr)
        return 2
    mini = os.path.join(a.out, a.label + ".root")
    build_mini(a.tree, a.release, mini)
    rng = random.Random("%s/%s" % (a.seed, a.release))
    queries, deps = sample(moddir, a.n, rng)
    dep_names = rng.sample(deps, min(a.deps, len(deps)))

    def one_resolve(item):
        kind, q = item
        want, werr = kmod_resolve(a.modprobe, a.tree, a.release, q)
        t = time.monotonic()
        docs, err = kd_docs(a.binary, mini, a.release, q)
        dt = time.monotonic() - t
        got = kd_resolve(docs) if docs is not None else None
        return kind, q, want, werr, got, err, dt

    softdeps = softdep_map(moddir)

    def one_dep(name):
        want, soft, via_soft, werr = kmod_depends(a.modprobe, a.tree, a.release, name, softdeps)
        t = time.monotonic()
        docs, err = kd_docs(a.binary, mini, a.release, name)
        dt = time.monotonic() - t
        got = None
        if docs:
            mine = [d for d in docs if norm(str(d.get("module"))) == norm(name)]
            if mine:
                got = sorted({norm(x) for x in (mine[0].get("module_info") or {}).get("dependencies") or []})
        return name, want, soft, werr, got, err, dt, via_soft

    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.j)) as ex:
        res = list(ex.map(one_resolve, queries))
        dres = list(ex.map(one_dep, dep_names))
    wall = time.monotonic() - t0

    mism, known_n = [], 0
    ok_r = ok_d = 0
    by_kind = {}
    for kind, q, want, werr, got, err, _ in res:
        tot = by_kind.setdefault(kind, [0, 0])
        tot[1] += 1
        if want is not None and got is not None and want == got:
            ok_r += 1
            tot[0] += 1
            continue
        why = known(q)
        known_n += bool(why)
        mism.append("resolve %-14s %r\n  modprobe -R: %s\n  kmod-doctor: %s%s" % (
            kind, q, want if want is not None else "ERROR " + werr,
            got if got is not None else "ERROR " + err,
            "\n  known: " + why if why else ""))
    soft_n, soft_lines, explained = 0, [], 0
    for name, want, soft, werr, got, err, _, via_soft in dres:
        if soft:
            soft_n += 1
            soft_lines.append("softdep %s: --show-depends adds %s (not in kmod-doctor's JSON)" % (name, soft))
        if want is not None and got is not None and want == got:
            ok_d += 1
            continue
        if (want is not None and got is not None and set(got) <= set(want)
                and set(want) - set(got) <= set(via_soft)):
            ok_d += 1
            explained += 1
            soft_lines.append("softdep %s: the chain has %s only as softdeps of its dependencies"
                              " (kmod-doctor lists the modules.dep chain %s)" % (name, sorted(set(want) - set(got)), got))
            continue
        why = known(name)
        known_n += bool(why)
        mism.append("depends %r\n  modprobe --show-depends --ignore-install: %s\n  kmod-doctor module_info.dependencies: %s%s" % (
            name, want if want is not None else "ERROR " + werr,
            got if got is not None else "ERROR (no document for it) " + err,
            "\n  known: " + why if why else ""))
    kd_time = sum(r[6] for r in res) + sum(r[6] for r in dres)
    nq = len(res) + len(dres)
    unknown = len(mism) - known_n
    with open(os.path.join(a.out, a.label + ".mismatches.txt"), "w", encoding="utf-8") as f:
        f.write("# differential %s: %s, %s, tree %s\n" % (a.label, a.release, kver, a.tree))
        f.write("# %d resolution queries, %d dependency chains (seed %r)\n\n" % (len(res), len(dres), a.seed))
        f.write("\n".join(mism) + ("\n" if mism else ""))
        f.write("\n# softdeps (informational)\n" + "\n".join(soft_lines) + "\n")
    kinds = ", ".join("%s %d/%d" % (k, v[0], v[1]) for k, v in sorted(by_kind.items()))
    summary = [
        "differential %s: %s against %s: resolution by kind: %s" % (a.label, a.release, kver, kinds),
        "differential %s: kmod-doctor %.1f queries/s alone (%.0f ms each), %.0f s wall for %d queries x2 tools (-j %d);"
        " %d chains with softdeps (informational); mismatches: %s" % (
            a.label, nq / kd_time if kd_time else 0, 1000 * kd_time / max(nq, 1), wall, nq, a.j, soft_n,
            os.path.join(a.out, a.label + ".mismatches.txt")),
        "differential %s: %d/%d resolutions and %d/%d dependency chains agree with %s%s%s; %s" % (
            a.label, ok_r, len(res), ok_d, len(dres), kver.split(" version ")[-1].join(["kmod ", ""]),
            " (%d chains differ only by softdeps of dependencies)" % explained if explained else "",
            ", %d known mismatches" % known_n if known_n else "", "PASS" if unknown == 0 else "FAIL"),
    ]
    with open(os.path.join(a.out, a.label + ".summary"), "w", encoding="utf-8") as f:
        f.write("\n".join(summary) + "\n")
    print("\n".join(summary))
    return 0 if unknown == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
