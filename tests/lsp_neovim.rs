//! lsp_neovim: a real editor on the other end of `mxlint server`. Neovim, headless, with its
//! built-in LSP client (`tests/nvim/diagnostics.lua`), opens a template of a copy of the
//! example repository; the diagnostics it ends up holding must be the findings
//! `mxlint check --format json` reports for that file, at the same lines and columns. Then two
//! lines are typed without saving: the findings move down two lines while the disk is unchanged.
//!
//! Needs Neovim 0.7 or later (`apt-get install neovim`; `.ci/run` installs it). Without it the
//! test prints a notice and passes, unless `CI` is set.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod support;

/// How long Neovim may take in all; it is killed after that.
const HARD_TIMEOUT: Duration = Duration::from_secs(180);

fn nvim() -> Option<&'static str> {
    ["nvim", "/usr/bin/nvim"].into_iter().find(|p| {
        Command::new(p)
            .arg("--version")
            .stdin(Stdio::null())
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// `(0-based line, 0-based column, code)` of a finding.
type Place = (u64, u64, String);

/// What Neovim's `vim.diagnostic.get()` held: places, and messages by place.
fn neovim_places(list: &Value) -> Vec<(Place, String, String)> {
    let mut out: Vec<(Place, String, String)> = list
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|d| {
            let number = |key: &str| d[key].as_u64().unwrap_or(u64::MAX);
            let text = |key: &str| d[key].as_str().unwrap_or("").to_string();
            (
                (number("lnum"), number("col"), text("code")),
                text("source"),
                text("message"),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn neovim_shows_what_check_reports_and_follows_unsaved_edits() {
    let Some(nvim) = nvim() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but nvim is missing"
        );
        eprintln!("NOTICE: nvim not found; skipping the Neovim editor test");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("mail-fleet");
    support::copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/mail-fleet"),
        &root,
    );
    let relative = "roles/dovecot/templates/dovecot.conf.j2";
    let template = root.join(relative);
    let before = std::fs::read(&template).expect("read template");

    // What `check` reports for the template.
    let json = support::mxlint_json(
        &root,
        &["check".as_ref(), "--format".as_ref(), "json".as_ref()],
    )
    .expect("mxlint check");
    let mut expected: Vec<(Place, String)> = json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["path"].as_str().map(|p| p.trim_start_matches("./")) == Some(relative))
        .map(|d| {
            let number = |key: &str| d[key].as_u64().expect("line and column") - 1;
            let code = d["code"].as_str().unwrap_or("").to_string();
            let message = d["message"].as_str().unwrap_or("").to_string();
            ((number("line"), number("column"), code), message)
        })
        .collect();
    expected.sort();
    assert!(
        expected.len() >= 2,
        "the example should have findings in {relative}: {json}"
    );

    let out = dir.path().join("neovim.json");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/nvim/diagnostics.lua");
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    let mut child = Command::new(nvim)
        .args(["--headless", "--clean", "-u", "NONE", "-i", "NONE", "-n"])
        .arg("-c")
        .arg(format!("luafile {}", script.display()))
        .current_dir(&root)
        .env("MXLINT_BIN", env!("CARGO_BIN_EXE_mxlint"))
        .env("MXLINT_NVIM_FILE", &template)
        .env("MXLINT_NVIM_ROOT", &root)
        .env("MXLINT_NVIM_OUT", &out)
        // Neovim's LSP log and state go to the temporary directory, not the user's.
        .env("HOME", &home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start nvim");
    // Read on the side so a chatty nvim never blocks on a full pipe.
    let mut pipe = child.stderr.take().expect("stderr");
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut pipe, &mut text);
        text
    });
    let deadline = Instant::now() + HARD_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for nvim") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("nvim did not finish within {HARD_TIMEOUT:?}; killed it");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stderr = stderr.join().unwrap_or_default();
    let result: Value = std::fs::read_to_string(&out)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_else(|| panic!("nvim wrote no result ({status}); stderr: {stderr}"));
    assert!(
        result.get("error").is_none() && status.success(),
        "nvim failed ({status}): {result}; stderr: {stderr}"
    );

    // On open: the same places and codes as `check`, from mxlint, with check's message first.
    let opened = neovim_places(&result["opened"]);
    let places: Vec<&Place> = opened.iter().map(|(place, _, _)| place).collect();
    let wanted: Vec<&Place> = expected.iter().map(|(place, _)| place).collect();
    assert_eq!(places, wanted, "Neovim: {opened:#?}\ncheck: {expected:#?}");
    for ((_, source, message), (_, check_message)) in opened.iter().zip(&expected) {
        assert_eq!(source, "mxlint");
        assert!(
            message.starts_with(check_message.as_str()),
            "{message:?} does not start with {check_message:?}"
        );
    }

    // After two unsaved lines at the top: everything two lines down, the file untouched.
    let edited = neovim_places(&result["edited"]);
    let moved: Vec<Place> = expected
        .iter()
        .map(|((line, column, code), _)| (line + 2, *column, code.clone()))
        .collect();
    let places: Vec<Place> = edited.into_iter().map(|(place, _, _)| place).collect();
    assert_eq!(places, moved);
    assert_eq!(result["modified"], true, "the buffer should be unsaved");
    assert_eq!(
        std::fs::read(&template).expect("read template"),
        before,
        "the template on disk changed"
    );
}
