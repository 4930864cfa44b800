#[test]
#[ignore]
fn speed() {
    for f in ["/tmp/bench-dovecot.conf", "/tmp/big.conf"] {
        let text = std::fs::read_to_string(f).unwrap();
        let mut best = f64::MAX;
        for _ in 0..3 {
            let mut db = mxlint::source::SourceDb::new();
            let id = db.add(f, text.clone());
            let t = std::time::Instant::now();
            let doc = mxlint::parse::dovecot::parse_loaded(
                &mut db,
                id,
                mxlint::model::dovecot::DovecotVersion::V2_3,
            );
            drop(doc);
            best = best.min(t.elapsed().as_secs_f64());
        }
        eprintln!("{f}: parse {:.1} MB/s", text.len() as f64 / 1e6 / best);
    }
}
