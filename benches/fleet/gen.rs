//! fleet::gen: writes a deterministic Ansible repository of N Fedora mail hosts for the fleet
//! benchmark and its smoke test, and says which hosts it broke on purpose.
//!
//! The repository has the shape of `examples/mail-fleet`, scaled up: an INI inventory with one
//! group per site, sites grouped per region, a cross-cutting `pop3` group; `group_vars/` for
//! `all`, each region, each site and `pop3`; `host_vars/` for a few hosts with overrides; and
//! the dovecot, postfix, firewall and fail2ban roles with their templates and tasks.
//!
//! No randomness: every choice is a function of the host or site index, so the same N gives the
//! same bytes. Mistakes are planted the way they happen in real fleets — a site whose
//! `group_vars` forgot `dovecot_vsz_limit` (MX301), a host "tuned" down to 512M (MX302), a host
//! that enables submission without opening 587 in firewalld (MX401) — and [`HostPlan::expected`]
//! lists them so a test can check mxlint finds exactly those.
//!
//! Only std is used: the benchmark, the smoke test (`tests/fleet_gen.rs`) and
//! `cargo bench --bench fleet -- --generate N DIR` include this file with `#[path]`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io;
use std::path::Path;

/// `ansible_managed` as Ansible renders it by default.
pub const ANSIBLE_MANAGED: &str = "Ansible managed";

/// The three regions and the cities their sites are named after.
const REGIONS: [(&str, [&str; 5]); 3] = [
    ("eu", ["fra", "ams", "par", "waw", "mad"]),
    ("us", ["iad", "ord", "dfw", "sjc", "sea"]),
    ("ap", ["sin", "nrt", "syd", "bom", "icn"]),
];

/// A variable value, enough for what the roles read; written as YAML and JSON.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    Bool(bool),
    List(Vec<String>),
}

fn s(text: &str) -> Value {
    Value::Str(text.to_string())
}

fn list(items: &[&str]) -> Value {
    Value::List(items.iter().map(|i| i.to_string()).collect())
}

type Vars = BTreeMap<&'static str, Value>;

/// One site: a group `site_<name>` in region `region_<region>`.
#[derive(Clone, Debug)]
pub struct SitePlan {
    pub name: String,
    pub region: &'static str,
    pub index: usize,
    pub vars: Vars,
}

/// One host and the findings mxlint should report for it.
#[derive(Clone, Debug)]
pub struct HostPlan {
    pub name: String,
    pub index: usize,
    pub site: usize,
    pub address: String,
    pub in_pop3: bool,
    /// Its own `host_vars/<name>.yml`, empty when it has none.
    pub vars: Vars,
    /// Rule codes the planted mistakes must trigger on this host; empty for a correct host.
    pub expected: Vec<&'static str>,
}

/// The whole fleet: what [`write_repo`] writes and what each host should get.
#[derive(Clone, Debug)]
pub struct Fleet {
    pub all: Vars,
    pub regions: Vec<(&'static str, Vars)>,
    pub pop3: Vars,
    pub sites: Vec<SitePlan>,
    pub hosts: Vec<HostPlan>,
}

/// Plans a fleet of `n` hosts (at least one).
pub fn plan(n: usize) -> Fleet {
    let n = n.max(1);
    let site_count = (n / 40).clamp(3, 250);
    let sites: Vec<SitePlan> = (0..site_count).map(site_plan).collect();
    let mut fleet = Fleet {
        all: all_vars(),
        regions: REGIONS
            .iter()
            .enumerate()
            .map(|(i, (name, _))| (*name, region_vars(i)))
            .collect(),
        pop3: [("dovecot_enable_pop3", Value::Bool(true))].into(),
        sites,
        hosts: Vec::with_capacity(n),
    };
    for h in 0..n {
        let site = h * site_count / n;
        let host = host_plan(&fleet, h, site);
        fleet.hosts.push(host);
    }
    fleet
}

fn all_vars() -> Vars {
    [
        ("dovecot_protocols", list(&["imap", "lmtp"])),
        ("dovecot_enable_pop3", Value::Bool(false)),
        ("dovecot_first_valid_uid", Value::Int(1000)),
        ("dovecot_ssl_cert", s("/etc/pki/dovecot/certs/dovecot.pem")),
        ("dovecot_ssl_key", s("/etc/pki/dovecot/private/dovecot.pem")),
        ("dovecot_mail_max_userip_connections", Value::Int(20)),
        ("dovecot_login_min_avail", Value::Int(1)),
        ("postfix_submission", Value::Bool(false)),
        ("postfix_smtpd_maxproc", Value::Int(100)),
        ("firewall_mail_services", list(&["smtp", "imaps"])),
        (
            "admin_networks",
            list(&["198.51.100.0/24", "2001:db8:100::/48"]),
        ),
        ("fail2ban_bantime", s("1h")),
        ("fail2ban_maxretry", Value::Int(5)),
        ("fail2ban_dovecot_maxretry", Value::Int(3)),
    ]
    .into()
}

fn region_vars(region: usize) -> Vars {
    [
        (
            "dovecot_mail_max_userip_connections",
            Value::Int([20, 50, 30][region]),
        ),
        (
            "timezone",
            s(["Europe/Berlin", "America/New_York", "Asia/Singapore"][region]),
        ),
    ]
    .into()
}

/// Every fourth site (index 2, 6, 10…) is a new one whose `group_vars` forgot the vsz limit;
/// every third (index 1, 4, 7…) runs submission and opens it in firewalld.
fn site_plan(index: usize) -> SitePlan {
    let (region, cities) = REGIONS[index % REGIONS.len()];
    let city = cities[(index / REGIONS.len()) % cities.len()];
    let number = index / (REGIONS.len() * cities.len()) + 1;
    let mut vars: Vars = [(
        "site_admin_networks",
        list(&[&format!("10.{}.{}.0/24", 100 + index / 250, index % 250)]),
    )]
    .into();
    if index % 4 != 2 {
        let vsz = ["2G", "4G", "3G"][index % 3];
        vars.insert("dovecot_vsz_limit", s(vsz));
    }
    if index % 3 == 1 {
        vars.insert("postfix_submission", Value::Bool(true));
        vars.insert(
            "firewall_mail_services",
            list(&["smtp", "submission", "imaps"]),
        );
    }
    SitePlan {
        name: format!("{city}{number}"),
        region,
        index,
        vars,
    }
}

/// Host overrides, by index: 512M after a "memory alert" (every 97th, from 7), submission
/// switched on without the firewall (every 41st, from 3), harmless tuning elsewhere.
fn host_plan(fleet: &Fleet, h: usize, site: usize) -> HostPlan {
    let site_plan = &fleet.sites[site];
    let mut vars = Vars::new();
    if h % 13 == 0 {
        vars.insert("dovecot_mail_max_userip_connections", Value::Int(100));
    }
    if h % 29 == 11 {
        vars.insert("dovecot_vsz_limit", s("8G"));
        vars.insert("postfix_smtpd_maxproc", Value::Int(200));
    }
    if h % 31 == 17 {
        vars.insert("dovecot_imap_vsz_limit", s("4G"));
    }
    if h % 97 == 7 {
        vars.insert("dovecot_vsz_limit", s("512M"));
    }
    if h % 41 == 3 {
        vars.insert("postfix_submission", Value::Bool(true));
    }
    let mut host = HostPlan {
        name: format!("mail{:05}.{}.example.org", h + 1, site_plan.name),
        index: h,
        site,
        address: format!("10.{}.{}.{}", 100 + site / 250, site % 250, h % 250 + 2),
        in_pop3: h % 10 == 9,
        vars,
        expected: Vec::new(),
    };
    host.expected = expected_findings(fleet, &host);
    host
}

/// What mxlint must report for `host`, from its merged variables.
fn expected_findings(fleet: &Fleet, host: &HostPlan) -> Vec<&'static str> {
    let vars = merged_vars(fleet, host);
    let mut codes = Vec::new();
    match vars.get("dovecot_vsz_limit") {
        None => codes.push("MX301"),
        Some(Value::Str(v)) if v == "512M" => codes.push("MX302"),
        Some(_) => {}
    }
    let submission = vars.get("postfix_submission") == Some(&Value::Bool(true));
    let opened = match vars.get("firewall_mail_services") {
        Some(Value::List(services)) => services.iter().any(|s| s == "submission"),
        _ => false,
    };
    if submission && !opened {
        codes.push("MX401");
    }
    codes
}

/// A host's variables as Ansible merges them: `all` < region < `pop3` < site < host (a child
/// group wins over its parent; `pop3` and the regions sit at depth 1, sites at depth 2, and
/// they set disjoint variables, so their relative order does not matter).
pub fn merged_vars(fleet: &Fleet, host: &HostPlan) -> Vars {
    let site = &fleet.sites[host.site];
    let mut vars = fleet.all.clone();
    let region = fleet.regions.iter().find(|(name, _)| *name == site.region);
    if let Some((_, layer)) = region {
        vars.extend(layer.clone());
    }
    if host.in_pop3 {
        vars.extend(fleet.pop3.clone());
    }
    vars.extend(site.vars.clone());
    vars.extend(host.vars.clone());
    vars
}

/// Writes the repository under `dir` (created if needed).
pub fn write_repo(fleet: &Fleet, dir: &Path) -> io::Result<()> {
    for (path, text) in repo_files(fleet) {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, text)?;
    }
    Ok(())
}

/// Every file of the repository as (relative path, text), in a fixed order.
pub fn repo_files(fleet: &Fleet) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = STATIC_FILES
        .iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect();
    files.push(("inventory.ini".into(), inventory_ini(fleet)));
    files.push((
        "group_vars/all.yml".into(),
        yaml_vars("Every mail host.", &fleet.all),
    ));
    for (region, vars) in &fleet.regions {
        files.push((
            format!("group_vars/region_{region}.yml"),
            yaml_vars(&format!("Region {region}."), vars),
        ));
    }
    files.push((
        "group_vars/pop3.yml".into(),
        yaml_vars("Hosts that still serve POP3 clients.", &fleet.pop3),
    ));
    for site in &fleet.sites {
        files.push((
            format!("group_vars/site_{}.yml", site.name),
            yaml_vars(
                &format!("Site {} ({}).", site.name, site.region),
                &site.vars,
            ),
        ));
    }
    for host in fleet.hosts.iter().filter(|h| !h.vars.is_empty()) {
        files.push((
            format!("host_vars/{}.yml", host.name),
            yaml_vars(&format!("Overrides for {}.", host.name), &host.vars),
        ));
    }
    files
}

fn inventory_ini(fleet: &Fleet) -> String {
    let mut out = format!(
        "# {} mail hosts in {} sites; generated by benches/fleet/gen.rs.\n",
        fleet.hosts.len(),
        fleet.sites.len()
    );
    let mut by_site: Vec<Vec<&HostPlan>> = vec![Vec::new(); fleet.sites.len()];
    for host in &fleet.hosts {
        by_site[host.site].push(host);
    }
    for (site, hosts) in fleet.sites.iter().zip(&by_site) {
        let _ = writeln!(out, "\n[site_{}]", site.name);
        for host in hosts {
            let _ = writeln!(out, "{} ansible_host={}", host.name, host.address);
        }
    }
    for (region, _) in &fleet.regions {
        let _ = writeln!(out, "\n[region_{region}:children]");
        for site in fleet.sites.iter().filter(|s| s.region == *region) {
            let _ = writeln!(out, "site_{}", site.name);
        }
    }
    out.push_str("\n# POP3 is being phased out; these hosts still serve it.\n[pop3]\n");
    for host in fleet.hosts.iter().filter(|h| h.in_pop3) {
        let _ = writeln!(out, "{}", host.name);
    }
    out.push_str("\n[mail:children]\n");
    for (region, _) in &fleet.regions {
        let _ = writeln!(out, "region_{region}");
    }
    out.push_str("pop3\n");
    out
}

/// `vars` as a YAML mapping (strings double-quoted when YAML would read them otherwise).
pub fn yaml_vars(comment: &str, vars: &Vars) -> String {
    let mut out = format!("# {comment}\n");
    for (key, value) in vars {
        match value {
            Value::Str(v) => {
                let _ = writeln!(out, "{key}: {}", yaml_str(v));
            }
            Value::Int(v) => {
                let _ = writeln!(out, "{key}: {v}");
            }
            Value::Bool(v) => {
                let _ = writeln!(out, "{key}: {v}");
            }
            Value::List(items) => {
                let _ = writeln!(out, "{key}:");
                for item in items {
                    let _ = writeln!(out, "  - {}", yaml_str(item));
                }
            }
        }
    }
    out
}

fn yaml_str(text: &str) -> String {
    // Plain when YAML 1.1 reads it back as this string: no number, bool or null look-alike,
    // no indicator characters (`:` is quoted too, so IPv6 networks never look sexagesimal).
    let plain = text.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '/')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c))
        && text.parse::<f64>().is_err()
        && !matches!(
            text.to_ascii_lowercase().as_str(),
            "yes" | "no" | "on" | "off" | "true" | "false" | "null" | "y" | "n"
        );
    if plain {
        text.to_string()
    } else {
        json_str(text)
    }
}

/// Every host's merged variables plus `inventory_hostname`, `ansible_host` and
/// `ansible_managed`, as JSON: the input of the lower-bound Jinja2 loop (`jinja_loop.py merged`).
pub fn hostvars_json(fleet: &Fleet) -> String {
    let mut out = String::from("{\n");
    for (i, host) in fleet.hosts.iter().enumerate() {
        let mut vars: BTreeMap<&str, Value> = merged_vars(fleet, host).into_iter().collect();
        vars.insert("inventory_hostname", Value::Str(host.name.clone()));
        vars.insert("ansible_host", Value::Str(host.address.clone()));
        vars.insert("ansible_managed", s(ANSIBLE_MANAGED));
        let fields: Vec<String> = vars
            .iter()
            .map(|(k, v)| format!("{}: {}", json_str(k), json_value(v)))
            .collect();
        let comma = if i + 1 < fleet.hosts.len() { "," } else { "" };
        let _ = writeln!(
            out,
            "  {}: {{{}}}{comma}",
            json_str(&host.name),
            fields.join(", ")
        );
    }
    out.push_str("}\n");
    out
}

fn json_value(value: &Value) -> String {
    match value {
        Value::Str(v) => json_str(v),
        Value::Int(v) => v.to_string(),
        Value::Bool(v) => v.to_string(),
        Value::List(items) => {
            let items: Vec<String> = items.iter().map(|i| json_str(i)).collect();
            format!("[{}]", items.join(", "))
        }
    }
}

fn json_str(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The templates the roles render, as (role, file name, text): the Jinja2 loop renders the same.
pub const TEMPLATES: [(&str, &str, &str); 3] = [
    ("dovecot", "dovecot.conf.j2", DOVECOT_CONF_J2),
    ("postfix", "master.cf.j2", MASTER_CF_J2),
    ("fail2ban", "jail.local.j2", JAIL_LOCAL_J2),
];

const DOVECOT_CONF_J2: &str = r#"## {{ ansible_managed }}
## Dovecot 2.4 configuration for {{ inventory_hostname }} ({{ ansible_host }}), flat (Fedora layout, no conf.d).

# Must be the first setting in the file.
dovecot_config_version = 2.4.4
dovecot_storage_version = 2.4.4

protocols {
{% for protocol in dovecot_protocols %}
  {{ protocol }} = yes
{% endfor %}
{% if dovecot_enable_pop3 %}
  pop3 = yes
{% endif %}
}
{% if dovecot_vsz_limit is defined %}
default_vsz_limit = {{ dovecot_vsz_limit }}
{% endif %}

mail_home = /home/%{user}
mail_driver = maildir
mail_path = ~/mail
first_valid_uid = {{ dovecot_first_valid_uid }}
mail_max_userip_connections = {{ dovecot_mail_max_userip_connections }}
hostname = {{ inventory_hostname }}
postmaster_address = postmaster@{{ inventory_hostname.split('.', 1)[1] }}

namespace inbox {
  inbox = yes
  separator = /
  mailbox Drafts {
    special_use = \Drafts
  }
  mailbox Sent {
    special_use = \Sent
  }
  mailbox Trash {
    special_use = \Trash
  }
}

passdb pam {
}

userdb passwd {
}

service imap-login {
  process_min_avail = {{ dovecot_login_min_avail }}
}
{% if dovecot_imap_vsz_limit is defined %}

# Large shared mailboxes on this host.
service imap {
  vsz_limit = {{ dovecot_imap_vsz_limit }}
}
{% endif %}

ssl = required
ssl_cipher_list = PROFILE=SYSTEM
ssl_server {
  cert_file = {{ dovecot_ssl_cert }}
  key_file = {{ dovecot_ssl_key }}
}
"#;

const MASTER_CF_J2: &str = r#"# {{ ansible_managed }}
# Postfix master process configuration for {{ inventory_hostname }}.
#
# service type  private unpriv  chroot  wakeup  maxproc command + args
#               (yes)   (yes)   (no)    (never) (100)
smtp      inet  n       -       n       -       {{ postfix_smtpd_maxproc }}     smtpd
{% if postfix_submission %}
# Mail clients submit on 587 with STARTTLS and SASL.
submission inet n       -       n       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
{% endif %}
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"#;

const JAIL_LOCAL_J2: &str = r#"# {{ ansible_managed }}
[DEFAULT]
# Never ban the host itself, the admins or the site's management network.
ignoreip = 127.0.0.1/8 ::1 {{ admin_networks | join(' ') }} {{ site_admin_networks | default([]) | join(' ') }}
bantime = {{ fail2ban_bantime }}
findtime = 10m
maxretry = {{ fail2ban_maxretry }}

[sshd]
enabled = true

[dovecot]
enabled = true
# IMAP brute force comes in bursts: ban sooner. The [DEFAULT] whitelist still applies.
maxretry = {{ fail2ban_dovecot_maxretry }}

[postfix-sasl]
enabled = true
"#;

/// Files that do not depend on N.
const STATIC_FILES: [(&str, &str); 15] = [
    (
        ".mxlint.yml",
        "# What the fleet runs: Fedora Server 41.\ndovecot:\n  version: \"2.4\"\nfirewalld:\n  version: \"2.2\"\n  default-zone: FedoraServer\nfail2ban:\n  version: \"1.1\"\n  trusted-networks-var: admin_networks\n",
    ),
    (
        "ansible.cfg",
        "[defaults]\ninventory = inventory.ini\nroles_path = roles\n",
    ),
    (
        "site.yml",
        "- name: Mail servers\n  hosts: mail\n  become: true\n  roles:\n    - dovecot\n    - postfix\n    - firewall\n    - fail2ban\n",
    ),
    ("roles/dovecot/defaults/main.yml", "dovecot_package: dovecot\n"),
    (
        "roles/dovecot/handlers/main.yml",
        "- name: Restart dovecot\n  ansible.builtin.service:\n    name: dovecot\n    state: restarted\n",
    ),
    (
        "roles/dovecot/tasks/main.yml",
        "- name: Install Dovecot\n  ansible.builtin.dnf:\n    name: \"{{ dovecot_package }}\"\n    state: present\n\n- name: Configure Dovecot\n  ansible.builtin.template:\n    src: dovecot.conf.j2\n    dest: /etc/dovecot/dovecot.conf\n    owner: root\n    group: root\n    mode: \"0644\"\n  notify: Restart dovecot\n",
    ),
    ("roles/dovecot/templates/dovecot.conf.j2", DOVECOT_CONF_J2),
    (
        "roles/postfix/handlers/main.yml",
        "- name: Restart postfix\n  ansible.builtin.service:\n    name: postfix\n    state: restarted\n",
    ),
    (
        "roles/postfix/tasks/main.yml",
        "- name: Install Postfix\n  ansible.builtin.dnf:\n    name: postfix\n    state: present\n\n- name: Configure Postfix services\n  ansible.builtin.template:\n    src: master.cf.j2\n    dest: /etc/postfix/master.cf\n    mode: \"0644\"\n  notify: Restart postfix\n",
    ),
    ("roles/postfix/templates/master.cf.j2", MASTER_CF_J2),
    (
        "roles/firewall/tasks/main.yml",
        "- name: Install firewalld\n  ansible.builtin.dnf:\n    name: firewalld\n    state: present\n\n- name: Open the mail services\n  ansible.posix.firewalld:\n    service: \"{{ item }}\"\n    permanent: true\n    immediate: true\n    state: enabled\n  loop: \"{{ firewall_mail_services }}\"\n\n- name: Open POP3 where it is still served\n  ansible.posix.firewalld:\n    service: pop3s\n    permanent: true\n    immediate: true\n    state: enabled\n  when: dovecot_enable_pop3\n",
    ),
    (
        "roles/fail2ban/handlers/main.yml",
        "- name: Restart fail2ban\n  ansible.builtin.service:\n    name: fail2ban\n    state: restarted\n",
    ),
    (
        "roles/fail2ban/tasks/main.yml",
        "- name: Install fail2ban\n  ansible.builtin.dnf:\n    name: fail2ban\n    state: present\n\n- name: Configure the jails\n  ansible.builtin.template:\n    src: jail.local.j2\n    dest: /etc/fail2ban/jail.local\n    mode: \"0644\"\n  notify: Restart fail2ban\n",
    ),
    ("roles/fail2ban/templates/jail.local.j2", JAIL_LOCAL_J2),
    (
        "roles/postfix/defaults/main.yml",
        "postfix_submission: false\n",
    ),
];

/// Large inputs for the parse-throughput table: realistic text of about `bytes` bytes per
/// language, varied by index so no two blocks are identical.
pub mod big {
    use std::fmt::Write as _;

    const SERVICES: [&str; 5] = ["imap", "pop3", "lmtp", "imap-login", "indexer-worker"];

    /// A Dovecot 2.4 file: the fleet template's settings, then many service, namespace and
    /// protocol blocks.
    pub fn dovecot_conf(bytes: usize) -> String {
        let mut out = String::from(
            "dovecot_config_version = 2.4.4\ndovecot_storage_version = 2.4.4\n\
             protocols {\n  imap = yes\n  lmtp = yes\n}\ndefault_vsz_limit = 2G\n\
             mail_driver = maildir\nmail_path = ~/mail\n",
        );
        let mut i = 0;
        while out.len() < bytes {
            let service = SERVICES[i % SERVICES.len()];
            let _ = write!(
                out,
                "\n# Block {i}: {service} tuned after incident {incident}.\n\
                 service {service} {{\n  vsz_limit = {mb}M\n  process_min_avail = {avail}\n}}\n\
                 namespace shared{i} {{\n  type = shared\n  separator = /\n  prefix = shared{i}/%{{user}}/\n  \
                 mailbox \"Sent Messages\" {{\n    special_use = \\Sent\n  }}\n}}\n\
                 protocol imap {{\n  mail_max_userip_connections = {users}\n}}\n\
                 login_greeting = \"Dovecot ready (node {i}).\"\n",
                incident = 1000 + i,
                mb = 1024 + (i % 8) * 256,
                avail = i % 4,
                users = 10 + i % 90,
            );
            i += 1;
        }
        out
    }

    /// A jail.local with a [DEFAULT] whitelist and many jails, some with continuation lines.
    pub fn jail_local(bytes: usize) -> String {
        let mut out = String::from(
            "[DEFAULT]\nignoreip = 127.0.0.1/8 ::1 198.51.100.0/24 2001:db8:100::/48\n\
             bantime = 1h\nfindtime = 10m\nmaxretry = 5\n",
        );
        let mut i = 0;
        while out.len() < bytes {
            let _ = write!(
                out,
                "\n# Jail {i}: a site-specific filter.\n[site-jail-{i}]\nenabled = {enabled}\n\
                 port = smtp,submission,imaps\nfilter = dovecot\nlogpath = /var/log/site-{i}.log\n\
                 maxretry = {retry}\nignoreip = %(known/ignoreip)s\n    10.{a}.{b}.0/24\n    \
                 2001:db8:{i:x}::/64\naction = %(action_mwl)s\n",
                enabled = if i % 3 == 0 { "false" } else { "true" },
                retry = 3 + i % 5,
                a = 100 + i / 250 % 150,
                b = i % 250,
            );
            i += 1;
        }
        out
    }

    /// A master.cf with many services, half of them with `-o` overrides.
    pub fn master_cf(bytes: usize) -> String {
        let mut out = String::from(
            "# service type  private unpriv  chroot  wakeup  maxproc command + args\n\
             smtp      inet  n       -       n       -       -       smtpd\n",
        );
        let mut i = 0;
        while out.len() < bytes {
            if i % 2 == 0 {
                let _ = write!(
                    out,
                    "10.{}.{}.{}:{} inet n - n - {} smtpd\n  -o syslog_name=postfix/relay{i}\n  \
                     -o smtpd_tls_security_level=encrypt\n  -o smtpd_client_restrictions=permit_mynetworks,reject\n",
                    i / 65_000 % 250,
                    i / 250 % 250,
                    i % 250,
                    2000 + i % 60_000,
                    10 + i % 90
                );
            } else {
                let _ = writeln!(
                    out,
                    "transport{i} unix  -       -       n       -       {}       smtp",
                    i % 20
                );
            }
            i += 1;
        }
        out
    }

    /// Zone files of a few hundred elements each (firewalld zones are small; the parser stops
    /// at 20,000 elements), about `bytes` in all.
    pub fn zone_xml(bytes: usize) -> Vec<String> {
        let mut docs = Vec::new();
        let mut total = 0;
        let mut z = 0;
        while total < bytes {
            let mut out = format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<zone target=\"default\">\n  \
                 <short>Mail {z}</short>\n  <description>Mail zone {z}, generated.</description>\n  \
                 <service name=\"smtp\"/>\n  <service name=\"imaps\"/>\n  <service name=\"submission\"/>\n"
            );
            for i in 0..100 {
                let _ = write!(
                    out,
                    "  <port port=\"{}\" protocol=\"tcp\"/>\n  <source address=\"10.{}.{}.0/24\"/>\n  \
                     <rule family=\"ipv4\">\n    <source address=\"198.51.{}.0/24\"/>\n    \
                     <service name=\"ssh\"/>\n    <accept/>\n  </rule>\n",
                    10_000 + i,
                    z % 250,
                    i,
                    i
                );
            }
            out.push_str("</zone>\n");
            total += out.len();
            docs.push(out);
            z += 1;
        }
        docs
    }

    /// A group_vars file: scalars, lists of networks and a list of mailbox users (maps).
    pub fn yaml_vars(bytes: usize) -> String {
        let mut out = String::from(
            "---\n# Site variables.\ndovecot_vsz_limit: 2G\nadmin_networks:\n  - 198.51.100.0/24\n",
        );
        let mut i = 0;
        out.push_str("mail_users:\n");
        while out.len() < bytes {
            let _ = write!(
                out,
                "  - name: user{i}\n    quota: {q}M\n    aliases: [\"u{i}@example.org\", \"user.{i}@example.org\"]\n    \
                 enabled: {enabled}\n    note: \"moved from site {s} on 2024-0{m}-1{d}\"\n",
                q = 512 + i % 4096,
                enabled = if i % 7 == 0 { "no" } else { "yes" },
                s = i % 97,
                m = 1 + i % 9,
                d = i % 10,
            );
            i += 1;
        }
        out
    }

    /// An INI inventory: sites of 40 hosts with host variables, `:children` and `:vars`.
    pub fn ini_inventory(bytes: usize) -> String {
        let mut out = String::from("# Generated inventory.\n");
        let mut site = 0;
        let mut sites = Vec::new();
        while out.len() < bytes {
            let _ = writeln!(out, "\n[site{site}]");
            for h in 0..40 {
                let _ = writeln!(
                    out,
                    "mail{h:03}.site{site}.example.org ansible_host=10.{}.{}.{} dovecot_mail_max_userip_connections={}",
                    site / 250 % 250,
                    site % 250,
                    h + 2,
                    20 + h
                );
            }
            let _ = writeln!(
                out,
                "\n[site{site}:vars]\nsite_admin_networks=['10.{}.{}.0/24']\ntimezone=Europe/Berlin",
                site / 250 % 250,
                site % 250
            );
            sites.push(site);
            site += 1;
        }
        out.push_str("\n[mail:children]\n");
        for site in sites {
            let _ = writeln!(out, "site{site}");
        }
        out
    }
}
