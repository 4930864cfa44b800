"""The bare Jinja2 loop the fleet benchmark compares mxlint with.

Usage: python3 jinja_loop.py REPO HOSTVARS_JSON

Loads every host's already merged variables from HOSTVARS_JSON (written by
benches/fleet/gen.rs beside the repository), compiles each role template of REPO once, with the
options Ansible's template module uses (trim_blocks, keep_trailing_newline), and renders it for
every host. No inventory parsing, no variable precedence, no checking: the least any Python tool
has to do to see the rendered configs. Prints the hosts, rendered bytes and its own run time.
"""

import json
import sys
import time

START = time.perf_counter()

import jinja2  # noqa: E402  (imported after START so the import counts)

TEMPLATES = [
    ("dovecot", "dovecot.conf.j2"),
    ("postfix", "master.cf.j2"),
    ("fail2ban", "jail.local.j2"),
]


def main():
    repo, hostvars_path = sys.argv[1], sys.argv[2]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([f"{repo}/roles/{role}/templates" for role, _ in TEMPLATES]),
        trim_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    with open(hostvars_path, encoding="utf-8") as f:
        hosts = json.load(f)
    templates = [env.get_template(name) for _, name in TEMPLATES]
    rendered = 0
    for variables in hosts.values():
        for template in templates:
            rendered += len(template.render(variables))
    print(f"hosts={len(hosts)} bytes={rendered} seconds={time.perf_counter() - START:.6f}")


if __name__ == "__main__":
    main()
