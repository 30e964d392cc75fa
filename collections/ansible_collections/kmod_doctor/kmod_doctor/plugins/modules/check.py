#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kmod-doctor developers
# MIT License (see LICENSE in this collection)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: check
short_description: Ask kmod-doctor whether kernel modules can be unloaded safely
version_added: 0.1.0
description:
  - Runs C(kmod-doctor check --format json) on the managed host, or on a
    snapshot of one (O(root)), and returns its JSON report as structured
    results - the verdict, the findings with their evidence, and the next steps.
  - Read-only. It never loads or unloads anything, so it runs in check mode too
    and never reports a change.
  - Exit codes 0 and 10-16 are verdicts and succeed; the module fails when
    kmod-doctor itself fails (exit 1, e.g. an unreadable root) or rejects its
    arguments (exit 2, e.g. an invalid module name).
author:
  - kmod-doctor developers (!UNKNOWN)
options:
  name:
    description:
      - The modules to check, as modprobe names them (V(-) and V(_) are the
        same; aliases resolve to their modules).
    type: list
    elements: str
    required: true
    aliases: [modules]
  root:
    description:
      - What kmod-doctor reads - V(/) for the running system, or a snapshot
        directory or C(.tar.gz) made by C(kmod-doctor snapshot) to rehearse.
    type: path
    default: /
  kernel_release:
    description:
      - Kernel release to read C(/lib/modules) for, as C(modprobe -S).
    type: str
  rules_dir:
    description:
      - A directory of extra rule files (C(--rules-dir)).
    type: path
  binary:
    description:
      - The kmod-doctor program, by name (searched in C(PATH)) or path.
    type: path
    default: kmod-doctor
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Read-only, runs unchanged in check mode.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
notes:
  - Run it as root (C(become)) on live hosts, so that kmod-doctor can see every
    process's open files; otherwise verdicts can be V(unknown).
seealso:
  - module: community.general.modprobe
  - plugin: kmod_doctor.kmod_doctor.fleet_summary
    plugin_type: filter
    description: Many hosts' results in one table.
'''

EXAMPLES = r'''
- name: Can dummy be unloaded?
  kmod_doctor.kmod_doctor.check:
    name: dummy
  become: true
  register: kmod

- name: Say why not
  ansible.builtin.debug:
    msg: "{{ kmod.headline }}: {{ kmod.findings | map(attribute='message') | list }}"
  when: kmod.verdict != 'safe'

- name: Rehearse on a snapshot taken with `kmod-doctor snapshot -o web1.tar.gz`
  kmod_doctor.kmod_doctor.check:
    name: [bridge, br_netfilter]
    root: /srv/snapshots/web1.tar.gz
'''

RETURN = r'''
rc:
  description: kmod-doctor's exit code - 0 safe, 10 not-loaded, 11 caution,
    12 unknown, 13 danger, 14 blocked, 15 builtin, 16 not-found (the most
    severe when several modules are checked).
  returned: always
  type: int
  sample: 14
verdict:
  description: The verdict of the exit code (the most severe one over all
    modules checked).
  returned: success
  type: str
  sample: blocked
verdicts:
  description: Each module's verdict, by the module name kmod-doctor resolved.
  returned: success
  type: dict
  sample: {"bridge": "blocked"}
module:
  description: The module whose report is the most severe (the one C(verdict),
    C(headline), C(findings) and C(next_steps) describe).
  returned: success
  type: str
  sample: bridge
headline:
  description: One line on the verdict.
  returned: success
  type: str
  sample: the kernel will refuse to unload it now
findings:
  description: Rules that fired for that module, each with C(rule),
    C(severity), C(verdict) (or null), C(message) and C(evidence).
  returned: success
  type: list
  elements: dict
next_steps:
  description: Commands to run first, in order, each with C(command) and C(why).
  returned: success
  type: list
  elements: dict
unchecked:
  description: Rules that could not be evaluated, with what could not be read.
  returned: success
  type: list
  elements: dict
reports:
  description: kmod-doctor's JSON report for every module checked, as
    C(schema/kmod-doctor.schema.json) describes it (C($defs/check_document)).
  returned: success
  type: list
  elements: dict
cmd:
  description: The command run.
  returned: always
  type: list
  elements: str
stderr:
  description: What kmod-doctor printed on standard error.
  returned: always
  type: str
'''

import json

from ansible.module_utils.basic import AnsibleModule

# The exit codes are kmod-doctor's contract (README, "Verdicts and exit codes").
VERDICT_OF_EXIT = {
    0: 'safe',
    10: 'not-loaded',
    11: 'caution',
    12: 'unknown',
    13: 'danger',
    14: 'blocked',
    15: 'builtin',
    16: 'not-found',
}
EXIT_OF_VERDICT = dict((v, k) for k, v in VERDICT_OF_EXIT.items())


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type='list', elements='str', required=True, aliases=['modules']),
            root=dict(type='path', default='/'),
            kernel_release=dict(type='str'),
            rules_dir=dict(type='path'),
            binary=dict(type='path', default='kmod-doctor'),
        ),
        supports_check_mode=True,
    )
    p = module.params
    names = [n for n in p['name'] if n]
    if not names:
        module.fail_json(msg='name: give at least one module name', rc=None, cmd=[], stderr='')

    binary = p['binary']
    if '/' not in binary:
        binary = module.get_bin_path(binary, required=True)

    cmd = [binary, '--color', 'never', '--format', 'json', '--root', p['root']]
    if p['kernel_release']:
        cmd += ['--kernel-release', p['kernel_release']]
    if p['rules_dir']:
        cmd += ['--rules-dir', p['rules_dir']]
    # `--` keeps a name that starts with a dash from being read as an option.
    cmd += ['check', '--'] + names

    rc, out, err = module.run_command(cmd, environ_update={'NO_COLOR': '1'})
    result = dict(changed=False, rc=rc, cmd=cmd, stderr=err)
    if rc not in VERDICT_OF_EXIT:
        module.fail_json(msg='kmod-doctor failed (exit %d): %s' % (rc, err.strip() or out.strip()), **result)
    try:
        doc = json.loads(out)
    except ValueError as e:
        module.fail_json(msg='kmod-doctor printed no JSON: %s' % e, stdout=out, **result)
    reports = doc if isinstance(doc, list) else [doc]
    if not reports or not all(isinstance(r, dict) and 'verdict' in r for r in reports):
        module.fail_json(msg='kmod-doctor printed JSON without a verdict', stdout=out, **result)

    # The report the exit code stands for: the most severe one, first on ties.
    worst = max(reports, key=lambda r: EXIT_OF_VERDICT.get(r['verdict'], 12))
    result.update(
        verdict=VERDICT_OF_EXIT[rc],
        verdicts=dict((r.get('module'), r['verdict']) for r in reports),
        module=worst.get('module'),
        headline=worst.get('headline'),
        findings=worst.get('findings', []),
        next_steps=worst.get('next_steps', []),
        unchecked=worst.get('unchecked', []),
        reports=reports,
    )
    # A verdict is a success whatever its exit code: without this, Ansible
    # takes a non-zero rc for a failure.
    module.exit_json(failed=False, **result)


if __name__ == '__main__':
    main()
