//! fuzz_corpus: every file of the fuzz corpora (`fuzz/corpus/<target>/`) fed to the same entry
//! the cargo-fuzz target runs (`mxlint::fuzzing`), on stable and in every `cargo test`. A crash
//! the fuzzer once found stays fixed because its input is kept in the corpus.

use std::path::Path;

#[test]
fn every_corpus_file_runs_without_panicking() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut failures = Vec::new();
    for (target, entry) in mxlint::fuzzing::TARGETS {
        let dir = root.join(target);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("directory entry").path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{}: empty corpus", dir.display());
        for file in files {
            let data = std::fs::read(&file).expect("read corpus file");
            if std::panic::catch_unwind(|| entry(&data)).is_err() {
                failures.push(file.display().to_string());
            }
        }
    }
    assert!(failures.is_empty(), "panicked on:\n{}", failures.join("\n"));
}

/// Every target has a corpus directory and a cargo-fuzz source, and nothing else does, so a new target
/// cannot be added without seeds and a renamed one cannot leave its seeds unreplayed.
#[test]
fn corpus_directories_match_the_targets() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut dirs: Vec<String> = std::fs::read_dir(&root)
        .expect("fuzz/corpus")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    let mut targets: Vec<String> = mxlint::fuzzing::TARGETS
        .iter()
        .map(|(name, _)| name.to_string())
        .collect();
    targets.sort();
    assert_eq!(dirs, targets);
    let mut sources: Vec<String> = std::fs::read_dir(root.with_file_name("fuzz_targets"))
        .expect("fuzz/fuzz_targets")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter_map(|name| name.strip_suffix(".rs").map(str::to_string))
        .collect();
    sources.sort();
    assert_eq!(sources, targets);
}
