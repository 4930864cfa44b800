"""The bare Jinja2 loops the fleet benchmark compares mxlint with.

Usage: python3 jinja_loop.py as-ansible REPO
       python3 jinja_loop.py cached REPO
       python3 jinja_loop.py merged REPO HOSTVARS_JSON

Each renders the three role templates of REPO for every host with the options Ansible's template
module uses (trim_blocks, keep_trailing_newline). None checks anything. Each prints to stderr the
hosts, the rendered bytes, a digest of every host's output (the same for all loops when they
render the same text) and its own run time.

as-ansible -- what Ansible's template step does for the hosts, without the rest of Ansible. It
    reads the repository: the INI inventory, group_vars, host_vars and the role's defaults
    (PyYAML, its C loader when present, each file read once), merges them in Ansible's order
    (role defaults, group_vars from `all` down by depth then name, the inventory's host
    variables, host_vars), and compiles the template for every render, as ansible-core's
    template action does (`TemplateEngine._compile_template` calls `Environment.from_string` for
    each host and keeps no compiled template between hosts).

cached -- the same, but each template is compiled once and reused for every host, as a
    hand-written script using `Environment.get_template` would.

merged -- the least any Python tool has to do to see the rendered configs. It is handed every
    host's already merged variables (HOSTVARS_JSON, written by benches/fleet/gen.rs beside the
    repository) and compiles each template once. No inventory, no YAML, no precedence: a lower
    bound that no tool reading the repository can reach.
"""

import hashlib
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

# What ansible-core's template action sets `ansible_managed` to by default.
ANSIBLE_MANAGED = "Ansible managed"


class Output:
    """What the loop rendered: bytes, and one digest per host, combined in host-name order."""

    def __init__(self):
        self.bytes = 0
        self.digests = {}

    def add(self, host, renders):
        digest = hashlib.sha256()
        for text in renders:
            data = text.encode()
            self.bytes += len(data)
            digest.update(len(data).to_bytes(8, "little"))
            digest.update(data)
        self.digests[host] = digest.digest()

    def summary(self):
        digest = hashlib.sha256()
        for host in sorted(self.digests):
            digest.update(host.encode() + b"\0" + self.digests[host])
        return f"hosts={len(self.digests)} bytes={self.bytes} digest={digest.hexdigest()[:16]}"


def environment(loader=None):
    return jinja2.Environment(
        loader=loader,
        trim_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def merged(repo, hostvars_path):
    env = environment(
        jinja2.FileSystemLoader([f"{repo}/roles/{role}/templates" for role, _ in TEMPLATES])
    )
    with open(hostvars_path, encoding="utf-8") as f:
        hosts = json.load(f)
    templates = [env.get_template(name) for _, name in TEMPLATES]
    out = Output()
    for host, variables in hosts.items():
        out.add(host, [template.render(variables) for template in templates])
    return out


def load_yaml(path):
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        with open(path, encoding="utf-8") as f:
            return yaml.load(f, Loader=loader) or {}
    except FileNotFoundError:
        return {}


def read_inventory(path):
    """The generator's INI inventory: host lines with key=value variables, `[g]` and
    `[g:children]` sections. Returns hosts in order with their variables, each host's direct
    groups, and each group's parents."""
    hosts, host_groups, parents = {}, {}, {}
    section, children = None, False
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                name = line.strip("[]")
                section, _, kind = name.partition(":")
                children = kind == "children"
                parents.setdefault(section, set())
                continue
            if children:
                parents.setdefault(line, set()).add(section)
                continue
            name, *pairs = line.split()
            variables = hosts.setdefault(name, {})
            variables.update(pair.split("=", 1) for pair in pairs)
            host_groups.setdefault(name, set()).add(section)
    return hosts, host_groups, parents


def repo_loop(repo, compile_once):
    hosts, host_groups, parents = read_inventory(f"{repo}/inventory.ini")

    def ancestors(group, seen):
        for parent in parents.get(group, ()):
            if parent not in seen:
                seen.add(parent)
                ancestors(parent, seen)
        return seen

    depths = {}

    def depth(group):
        if group not in depths:
            up = parents.get(group)
            depths[group] = 1 + max(depth(p) for p in up) if up else 1
        return depths[group]

    group_vars = {}

    def vars_of_group(group):
        if group not in group_vars:
            group_vars[group] = load_yaml(f"{repo}/group_vars/{group}.yml")
        return group_vars[group]

    env = environment()
    texts = []
    for role, name in TEMPLATES:
        with open(f"{repo}/roles/{role}/templates/{name}", encoding="utf-8") as f:
            text = f.read()
        compiled = env.from_string(text) if compile_once else None
        texts.append((load_yaml(f"{repo}/roles/{role}/defaults/main.yml"), text, compiled))
    out = Output()
    for host, inventory_vars in hosts.items():
        groups = set()
        for group in host_groups[host]:
            groups.add(group)
            ancestors(group, groups)
        # Everything above the role defaults, merged once per host.
        merged_host = dict(vars_of_group("all"))
        for group in sorted(groups, key=lambda g: (depth(g), g)):
            merged_host.update(vars_of_group(group))
        merged_host.update(inventory_vars)
        merged_host.update(load_yaml(f"{repo}/host_vars/{host}.yml"))
        merged_host["inventory_hostname"] = host
        merged_host["ansible_managed"] = ANSIBLE_MANAGED
        renders = []
        for defaults, text, compiled in texts:
            variables = dict(defaults)
            variables.update(merged_host)
            template = compiled or env.from_string(text)
            renders.append(template.render(variables))
        out.add(host, renders)
    return out


def main():
    mode = sys.argv[1]
    if mode == "as-ansible":
        out = repo_loop(sys.argv[2], compile_once=False)
    elif mode == "cached":
        out = repo_loop(sys.argv[2], compile_once=True)
    elif mode == "merged":
        out = merged(sys.argv[2], sys.argv[3])
    else:
        sys.exit(f"unknown mode {mode!r}: as-ansible, cached or merged")
    seconds = time.perf_counter() - START
    print(f"{out.summary()} seconds={seconds:.6f}", file=sys.stderr)


if __name__ == "__main__":
    main()
