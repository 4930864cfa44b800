//! `check --jobs N`: the report does not depend on the number of threads — `--jobs 1` (no
//! threads at all) and `--jobs 4` print byte-identical JSON and SARIF for the example fleet and
//! for a generated one — and a thread count that is not a positive number is a usage error.

#[path = "../benches/fleet/gen.rs"]
mod gen;

use std::path::Path;
use std::process::Command;

fn check(root: &Path, format: &str, jobs: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mxlint"))
        .args(["check", "--no-color", "--format", format])
        .arg(format!("--jobs={jobs}"))
        .arg(root)
        .output()
        .unwrap()
}

fn assert_same_report_for_any_thread_count(root: &Path) {
    for format in ["json", "sarif"] {
        let one = check(root, format, "1");
        assert_eq!(
            one.status.code(),
            Some(1),
            "{format}: findings expected; stderr: {}",
            String::from_utf8_lossy(&one.stderr)
        );
        assert!(!one.stdout.is_empty());
        for jobs in ["2", "4"] {
            let many = check(root, format, jobs);
            assert_eq!(
                many.status.code(),
                one.status.code(),
                "{format} --jobs {jobs}"
            );
            assert!(
                many.stdout == one.stdout,
                "{format}: --jobs {jobs} differs from --jobs 1 for {}",
                root.display()
            );
        }
    }
}

#[test]
fn the_example_fleet_reports_the_same_with_one_or_four_threads() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/mail-fleet");
    assert_same_report_for_any_thread_count(&root);
}

#[test]
fn a_generated_fleet_reports_the_same_with_one_or_four_threads() {
    // Enough hosts that every worker renders many templates, interleaved differently each run.
    let fleet = gen::plan(120);
    let dir = tempfile::tempdir().unwrap();
    gen::write_repo(&fleet, dir.path()).unwrap();
    assert_same_report_for_any_thread_count(dir.path());
}

#[test]
fn zero_or_a_word_as_the_thread_count_is_a_usage_error() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/mail-fleet");
    for jobs in ["0", "many", "-1", "1.5", ""] {
        let out = check(&root, "json", jobs);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "--jobs {jobs:?}: {err}");
        assert!(err.contains("--jobs"), "--jobs {jobs:?}: {err}");
        assert!(out.stdout.is_empty(), "--jobs {jobs:?}");
    }
}

/// The progress a check reports with several threads: the hosts first, every render counted
/// exactly once (workers finish in any order), then the hosts checked, ending at all of them.
#[test]
fn progress_counts_every_render_once_then_every_host() {
    use mxlint::repo::{Progress, RepoOptions, Step};
    use std::sync::{Arc, Mutex};
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/mail-fleet");
    let steps = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&steps);
    let settings = mxlint::config::Settings::default();
    let options = RepoOptions {
        progress: Progress::new(move |step| seen.lock().unwrap().push(step)),
        jobs: std::num::NonZeroUsize::new(3),
        ..mxlint::cli::repo_options(&root, &settings)
    };
    mxlint::check_repo(&root, &options, &settings);
    let steps = steps.lock().unwrap().clone();
    let Some(Step::Start { hosts }) = steps.first().copied() else {
        panic!("{steps:?}")
    };
    assert!(hosts > 0, "{steps:?}");
    let mut rendered: Vec<usize> = steps
        .iter()
        .filter_map(|s| match s {
            Step::Rendering { done, .. } if *done > 0 => Some(*done),
            _ => None,
        })
        .collect();
    rendered.sort_unstable();
    let renders = rendered.len();
    assert!(renders >= hosts, "a template per host at least: {steps:?}");
    assert_eq!(rendered, (1..=renders).collect::<Vec<_>>());
    let checking = steps
        .iter()
        .position(|s| matches!(s, Step::Checking { .. }))
        .unwrap();
    assert!(steps[checking..]
        .iter()
        .all(|s| matches!(s, Step::Checking { total, .. } if *total == hosts)));
    assert_eq!(
        steps.last(),
        Some(&Step::Checking {
            done: hosts,
            total: hosts
        })
    );
}
