#!/usr/bin/python
# A stand-in for community.general.modprobe, used only by tests/ansible.sh.
# It takes the real module's arguments, supports check mode, and reports what
# it was asked to do WITHOUT running modprobe: the test must never unload a
# module from the machine it runs on. Found before any installed
# community.general because tests/ansible.sh puts this directory first in
# ANSIBLE_COLLECTIONS_PATH.

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            params=dict(type="str", default=""),
            persistent=dict(type="str", default="disabled"),
        ),
        supports_check_mode=True,
    )
    module.exit_json(
        changed=True,
        name=module.params["name"],
        state=module.params["state"],
        msg="KMOD_DOCTOR_STUB would run: modprobe %s %s"
        % ("-r" if module.params["state"] == "absent" else "", module.params["name"]),
    )


if __name__ == "__main__":
    main()
