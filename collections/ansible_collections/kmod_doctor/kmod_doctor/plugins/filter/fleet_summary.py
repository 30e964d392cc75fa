# -*- coding: utf-8 -*-
# Copyright: kmod-doctor developers
# MIT License (see LICENSE in this collection)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: fleet_summary
short_description: One table of many hosts' kmod-doctor results
version_added: 0.1.0
description:
  - Turns the results of M(kmod_doctor.kmod_doctor.check) on many hosts into one
    table - per module, which hosts can unload it now, which only with care,
    which are blocked (and by what), and where there is nothing to unload.
  - Returns a dict with C(modules) (the table as data) and C(markdown) (the
    same table for a ticket or a chat).
author:
  - kmod-doctor developers (!UNKNOWN)
options:
  _input:
    description:
      - The results by host - a dict of host name to a registered result of
        M(kmod_doctor.kmod_doctor.check) (or to kmod-doctor's own JSON
        document or list of documents). Hosts whose result is missing or
        failed are listed under C(no_verdict).
    type: dict
    required: true
  allow_caution:
    description:
      - Count V(caution) hosts as able to unload now.
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Fleet summary
  ansible.builtin.debug:
    msg: "{{ summary.markdown }}"
  vars:
    summary: >-
      {{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars, 'kmod') | list))
         | kmod_doctor.kmod_doctor.fleet_summary }}
  run_once: true
'''

RETURN = r'''
_value:
  description: The summary.
  type: dict
  contains:
    modules:
      description: One entry per module, sorted by name, each with C(module),
        C(unload_now) (hosts), C(caution), C(blocked) and C(nothing_to_unload)
        (lists of C(host), C(verdict), C(by) - the deciding rules - and
        C(reason)).
      type: list
      elements: dict
    no_verdict:
      description: Hosts without a usable result, with the error.
      type: list
      elements: dict
    markdown:
      description: The table in Markdown.
      type: str
'''

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

# Verdicts that mean "the kernel refuses, or something goes down, or we could
# not tell": the module stays.
KEEP = ('blocked', 'danger', 'unknown')
NOTHING = ('not-loaded', 'builtin', 'not-found')


def _reports(result):
    """kmod-doctor documents from a check result, a document, or a list."""
    if isinstance(result, list):
        return [r for r in result if isinstance(r, dict) and 'verdict' in r]
    if not isinstance(result, dict):
        return None
    if result.get('failed') or result.get('skipped'):
        return None
    if 'reports' in result:
        return _reports(result['reports'])
    if 'verdict' in result and 'module' in result:
        return [result]
    return None


def _entry(host, report):
    verdict = report['verdict']
    deciding = [f for f in report.get('findings') or [] if f.get('verdict') == verdict]
    if verdict == 'unknown':
        by = [u.get('rule') for u in report.get('unchecked') or []]
    else:
        by = [f.get('rule') for f in deciding]
    reason = deciding[0].get('message') if deciding else report.get('headline', '')
    return {
        'host': host,
        'verdict': verdict,
        'by': [b for b in by if b],
        'reason': to_text(reason or ''),
        'next_steps': [s.get('command') for s in report.get('next_steps') or []],
    }


def _cell(text):
    return to_text(text).replace('|', '\\|').replace('\n', ' ')


def _markdown(modules, no_verdict):
    lines = [
        '| Module | Can unload now | Caution | Stays (verdict: by what) | Nothing to unload |',
        '|---|---|---|---|---|',
    ]
    for m in modules:
        caution = ', '.join('%s (%s)' % (e['host'], ', '.join(e['by']) or e['verdict']) for e in m['caution'])
        stays = '<br>'.join(
            '%s — %s: %s' % (e['host'], e['verdict'], ', '.join(e['by']) or e['reason']) for e in m['blocked'])
        nothing = ', '.join('%s (%s)' % (e['host'], e['verdict']) for e in m['nothing_to_unload'])
        lines.append('| `%s` | %s | %s | %s | %s |' % (
            _cell(m['module']), _cell(', '.join(m['unload_now']) or '—'), _cell(caution or '—'),
            _cell(stays or '—'), _cell(nothing or '—')))
    if no_verdict:
        lines.append('')
        lines.append('No verdict: ' + ', '.join('%s (%s)' % (e['host'], _cell(e['error'])) for e in no_verdict))
    return '\n'.join(lines) + '\n'


def fleet_summary(results, allow_caution=False):
    if not isinstance(results, dict):
        raise AnsibleFilterError('fleet_summary: expects a dict of host name to check result, got %s'
                                 % type(results).__name__)
    table = {}
    no_verdict = []
    for host in sorted(results):
        result = results[host]
        reports = _reports(result)
        if not reports:
            error = 'no result'
            if isinstance(result, dict):
                error = result.get('msg') or ('skipped' if result.get('skipped') else error)
            no_verdict.append({'host': host, 'error': to_text(error)})
            continue
        for report in reports:
            name = report.get('module') or '?'
            m = table.setdefault(name, {'module': name, 'unload_now': [], 'caution': [],
                                        'blocked': [], 'nothing_to_unload': []})
            e = _entry(host, report)
            v = e['verdict']
            if v == 'safe' or (v == 'caution' and allow_caution):
                m['unload_now'].append(host)
            elif v == 'caution':
                m['caution'].append(e)
            elif v in NOTHING:
                m['nothing_to_unload'].append(e)
            else:
                # blocked, danger, unknown, and any verdict a newer tool adds:
                # never counted as removable without evidence.
                m['blocked'].append(e)
    modules = [table[k] for k in sorted(table)]
    return {'modules': modules, 'no_verdict': no_verdict, 'markdown': _markdown(modules, no_verdict)}


class FilterModule(object):
    def filters(self):
        return {'fleet_summary': fleet_summary}
