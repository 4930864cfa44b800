//! oracle_firewalld: mxlint's zone and service file reading and MX402/MX405 against Debian's
//! firewalld 1.3.3 (`firewall-offline-cmd --system-config DIR --check-config`, `--list-services`,
//! `--list-ports`), and the embedded 1.3 service catalogue against `/usr/lib/firewalld/services`.
//!
//! Needs `firewall-offline-cmd` and root (`apt-get install --no-install-recommends firewalld`;
//! `.ci/run` installs it). Without it the test prints a notice and passes, unless `CI` is set.

use mxlint::config::{FirewalldVersion, Settings};
use mxlint::model::firewall::catalogue;
use mxlint::model::firewall::FirewallHost;
use mxlint::parse::firewalld::{parse_service, parse_zone};
use mxlint::source::SourceDb;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

const TOOL: &str = "firewall-offline-cmd";

fn available() -> bool {
    let ok = Command::new(TOOL)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "{TOOL} is missing and CI is set: install firewalld"
        );
        eprintln!("NOTICE: {TOOL} not found (or not root): firewalld oracle test skipped");
    }
    ok
}

/// One configuration directory: (path under DIR, text) pairs.
struct Case {
    name: &'static str,
    files: &'static [(&'static str, &'static str)],
}

const GOOD: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<zone>
  <short>Public</short>
  <service name="ssh"/>
  <service name="dhcpv6-client"/>
  <service name="smtp"/>
  <service name="smtps"/>
  <service name="smtp-submission"/>
  <service name="imaps"/>
  <port port="4190" protocol="tcp"/>
  <source address="198.51.100.0/24"/>
  <rule family="ipv4">
    <source address="203.0.113.7"/>
    <service name="managesieve"/>
    <accept/>
  </rule>
  <forward/>
</zone>
"#;

fn cases() -> Vec<Case> {
    vec![
        Case { name: "good", files: &[("zones/public.xml", GOOD)] },
        Case { name: "submission-on-1.3", files: &[("zones/public.xml", "<?xml version=\"1.0\"?>\n<zone>\n  <service name=\"smtp\"/>\n  <service name=\"submission\"/>\n</zone>\n")] },
        Case { name: "underscore", files: &[("zones/public.xml", "<zone><service name=\"smtp_submission\"/></zone>")] },
        Case { name: "rich-rule-element", files: &[("zones/public.xml", "<?xml version=\"1.0\"?>\n<zone>\n  <rich-rule family=\"ipv4\">\n    <service name=\"smtp\"/>\n    <accept/>\n  </rich-rule>\n</zone>\n")] },
        Case { name: "mismatched-tag", files: &[("zones/public.xml", "<?xml version=\"1.0\"?>\n<zone>\n  <service name=\"smtp\"/>\n  <service name=\"ssh\">\n</zone>\n")] },
        Case { name: "user-service", files: &[
            ("services/submission.xml", "<?xml version=\"1.0\"?>\n<service>\n  <short>Submission</short>\n  <port port=\"587\" protocol=\"tcp\"/>\n</service>\n"),
            ("zones/public.xml", "<zone><service name=\"ssh\"/><service name=\"submission\"/></zone>"),
        ] },
        Case { name: "port-by-name", files: &[("zones/public.xml", "<zone><port port=\"submission\" protocol=\"tcp\"/><port port=\"sieve\" protocol=\"tcp\"/></zone>")] },
        Case { name: "rich-rule-port", files: &[("zones/dmz.xml", "<zone><rule><port port=\"587\" protocol=\"tcp\"/><accept/></rule></zone>")] },
        Case { name: "empty-zone", files: &[("zones/public.xml", "<zone/>")] },
        Case { name: "missing-protocol", files: &[("zones/public.xml", "<zone>\n<port port=\"25\"/>\n</zone>\n")] },
        Case { name: "missing-service-name", files: &[("zones/public.xml", "<zone><service/></zone>")] },
        Case { name: "empty-file", files: &[("zones/public.xml", "")] },
        Case { name: "port-imap3", files: &[("zones/public.xml", "<zone><port port=\"imap3\" protocol=\"tcp\"/></zone>")] },
        Case { name: "bad-protocol", files: &[("zones/public.xml", "<zone><port port=\"25\" protocol=\"tpc\"/></zone>")] },
        Case { name: "bad-target", files: &[("zones/public.xml", "<zone target=\"REJECT\"><service name=\"smtp\"/></zone>")] },
        Case { name: "unexpected-attribute", files: &[("zones/public.xml", "<zone><service name=\"smtp\" port=\"25\"/></zone>")] },
        Case { name: "junk-after-root", files: &[("zones/public.xml", "<zone/>\n<zone/>\n")] },
        Case { name: "port-ranges", files: &[("zones/public.xml", "<zone><port port=\"4190-4191\" protocol=\"tcp\"/><port port=\"995\" protocol=\"tcp\"/><service name=\"pop3s\"/><service name=\"pop3s\"/></zone>")] },
        Case { name: "comment-and-entity", files: &[("zones/public.xml", "<?xml version=\"1.0\"?>\n<!-- managed by ansible -->\n<zone>\n  <short>Mail &amp; more</short>\n  <service name=\"imap\"/><!-- 143 -->\n</zone>\n")] },
        Case { name: "bad-source", files: &[("zones/public.xml", "<zone><source address=\"not-an-address\"/></zone>")] },
        Case { name: "daemon-only-rich-rule-unknown-service", files: &[("zones/public.xml", "<zone><rule><service name=\"sieve\"/><accept/></rule></zone>")] },
        Case { name: "second-zone-bad", files: &[
            ("zones/public.xml", "<zone><service name=\"smtp\"/></zone>"),
            ("zones/mail.xml", "<zone><service name=\"sieve\"/></zone>"),
        ] },
    ]
}

/// What firewall-offline-cmd said about one directory.
struct Verdict {
    rc: i32,
    /// The text after `Configuration error: `, if any.
    error: Option<String>,
    /// zone → (services, ports) as listed.
    listed: Vec<(String, BTreeSet<String>, BTreeSet<String>)>,
}

fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(TOOL)
        .arg("--system-config")
        .arg(dir)
        .args(args)
        .output()
        .expect("run firewall-offline-cmd");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

fn words(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with("ERROR") && !l.starts_with("WARNING"))
        .flat_map(|l| l.split_whitespace())
        .map(str::to_string)
        .collect()
}

fn oracle(case: &Case) -> Verdict {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("firewalld.conf"), "DefaultZone=public\n").unwrap();
    for (path, text) in case.files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let (rc, text) = run(dir.path(), &["--check-config"]);
    let error = text
        .lines()
        .find_map(|l| l.strip_prefix("Configuration error: "))
        .map(str::to_string);
    let mut listed = Vec::new();
    if rc == 0
        || error
            .as_deref()
            .is_some_and(|e| e.starts_with("INVALID_SERVICE"))
    {
        for (path, _) in case.files.iter().filter(|(p, _)| p.starts_with("zones/")) {
            let zone = zone_name(path);
            let (_, services) = run(dir.path(), &[&format!("--zone={zone}"), "--list-services"]);
            let (_, ports) = run(dir.path(), &[&format!("--zone={zone}"), "--list-ports"]);
            listed.push((zone.to_string(), words(&services), words(&ports)));
        }
    }
    Verdict { rc, error, listed }
}

fn zone_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap().trim_end_matches(".xml")
}

/// mxlint's reading of the same directory with the 1.3 catalogue: the firewall host and the
/// MX402/MX405 findings.
fn mxlint(case: &Case) -> (FirewallHost, Vec<(String, String)>) {
    let mut db = SourceDb::new();
    let mut host = FirewallHost::new("public");
    for (path, text) in case.files {
        let file = db.add(*path, text.to_string());
        if path.starts_with("zones/") {
            host.zones.push(parse_zone(file, zone_name(path), text));
        } else {
            host.services
                .push(parse_service(file, zone_name(path), text));
        }
    }
    let mut settings = Settings::default();
    settings.firewalld.version = FirewalldVersion::V1_3;
    let cx = mxlint::rules::Context {
        firewall: Some(&host),
        ..mxlint::rules::Context::new(&settings)
    };
    let found = mxlint::rules::check(&cx)
        .into_iter()
        .map(|d| (d.rule.code.to_string(), d.message))
        .collect();
    (host, found)
}

#[test]
fn zone_files_agree_with_check_config() {
    if !available() {
        return;
    }
    let cases = cases();
    assert!(cases.len() >= 10);
    let verdicts: Vec<Verdict> = std::thread::scope(|s| {
        let handles: Vec<_> = cases.iter().map(|c| s.spawn(|| oracle(c))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (case, verdict) in cases.iter().zip(&verdicts) {
        let (host, found) = mxlint(case);
        let name = case.name;
        eprintln!(
            "{name}: rc {} {:?}; mxlint {:?}",
            verdict.rc,
            verdict.error,
            found.iter().map(|f| &f.0).collect::<Vec<_>>()
        );
        match &verdict.error {
            // `--check-config` does not look up rich-rule services (policy.py
            // common_check_config); the daemon does when it applies the rule (fw_policy.py
            // get_service → INVALID_SERVICE). mxlint reports what the daemon will do.
            None if name.starts_with("daemon-only-") => {
                assert_eq!(verdict.rc, 0, "{name}");
                assert!(
                    found.iter().any(|(code, _)| code == "MX402"),
                    "{name}: {found:?}"
                );
            }
            None => {
                assert_eq!(verdict.rc, 0, "{name}: rc without an error line");
                assert!(
                    found.is_empty(),
                    "{name}: firewalld accepts it, mxlint says {found:?}"
                );
            }
            Some(error) if error.starts_with("INVALID_SERVICE") => {
                assert_eq!(verdict.rc, 101, "{name}");
                assert!(
                    found.iter().any(|(code, _)| code == "MX402"),
                    "{name}: firewalld says {error}, mxlint {found:?}"
                );
            }
            Some(error) => {
                let texts: Vec<String> = host
                    .zones
                    .iter()
                    .filter_map(|z| z.error.as_ref())
                    .chain(host.services.iter().filter_map(|s| s.error.as_ref()))
                    .map(|e| e.firewalld_text())
                    .collect();
                assert!(
                    texts.contains(error),
                    "{name}: firewalld says {error:?}, mxlint read {texts:?}"
                );
                assert!(
                    found.iter().any(|(code, _)| code == "MX405"),
                    "{name}: no MX405 in {found:?}"
                );
            }
        }
        for (zone, services, ports) in &verdict.listed {
            let z = host.zones.iter().find(|z| &z.name == zone).unwrap();
            let ours: BTreeSet<String> = z.services.iter().map(|s| s.name.clone()).collect();
            assert_eq!(&ours, services, "{name}: services of {zone}");
            let ours: BTreeSet<String> = z
                .ports
                .iter()
                .map(|p| {
                    let (a, b) = catalogue::resolve_port(&p.port, Some(&p.protocol)).unwrap();
                    if a == b {
                        format!("{a}/{}", p.protocol)
                    } else {
                        format!("{a}-{b}/{}", p.protocol)
                    }
                })
                .collect();
            assert_eq!(&ours, ports, "{name}: ports of {zone}");
        }
    }
}

/// The embedded 1.3 catalogue is exactly Debian's /usr/lib/firewalld/services.
#[test]
fn catalogue_matches_installed_services() {
    let dir = Path::new("/usr/lib/firewalld/services");
    if !available() || !dir.is_dir() {
        return;
    }
    let v = FirewalldVersion::V1_3;
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".xml"))
        else {
            continue;
        };
        let text = std::fs::read_to_string(&path).unwrap();
        let mut db = SourceDb::new();
        let file = db.add(&path, text.clone());
        let read = parse_service(file, name, &text);
        assert_eq!(read.error, None, "{name}");
        let def = catalogue::service(v, name)
            .unwrap_or_else(|| panic!("{name} missing from the catalogue"));
        let ports: Vec<String> = read
            .ports
            .iter()
            .map(|p| format!("{}/{}", p.port, p.protocol))
            .collect();
        let ours: Vec<String> = def.ports.iter().map(|p| p.to_string()).collect();
        assert_eq!(ours, ports, "{name}: ports");
        assert_eq!(def.protocols, read.protocols, "{name}: protocols");
        let includes: Vec<&str> = read.includes.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(def.includes, includes, "{name}: includes");
        names.push(name.to_string());
    }
    names.sort();
    assert_eq!(names.len(), 221);
    assert_eq!(catalogue::service_names(v), names);
}
