"""Stands in for the pip bootstrap script ansible-test downloads.

ansible-test sanity creates a virtual environment per test and fetches a
`get-pip.py` for it from a host that is not a package registry, which this
project's machines cannot reach. tests/ansible.sh puts this file in
ansible-test's cache under the name it looks for: it bootstraps pip from
Python's own ensurepip, then installs what ansible-test asked for (pip at the
pinned version, from PyPI) with that pip. get-pip's own flags are dropped.
"""

import subprocess
import sys

GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}


def main():
    # In a child process: ensurepip blanks PIP_CONFIG_FILE in its own
    # environment, and the pip below must read the machine's pip.conf (its
    # certificate settings).
    rc = subprocess.call([sys.executable, "-m", "ensurepip", "--upgrade"])
    if rc:
        sys.exit(rc)
    args = [a for a in sys.argv[1:] if a not in GET_PIP_ONLY]
    sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + args))


if __name__ == "__main__":
    main()
