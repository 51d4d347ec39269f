//! Every fuzz target as a short proptest smoke (`cargo test`): arbitrary bytes, and mutations of the
//! committed seed corpus (bytes replaced, inserted, the tail cut). A panic or a failed round trip fails
//! the test, and proptest shrinks the input to a small one to keep as a regression seed.

use proptest::prelude::*;

fn seeds(name: &str) -> Vec<Vec<u8>> {
    let dir = mynacert_fuzz::corpus_dir(name);
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e} (every target has a seed corpus)", dir.display()))
        .filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read(e.path()).ok())
        .collect();
    out.sort();
    assert!(
        !out.is_empty(),
        "{}: an empty corpus checks nothing",
        dir.display()
    );
    out
}

/// Inputs AFL++ found crashing or hanging once (`crates/fuzz/regressions/<name>/`, kept by scripts/fuzz).
fn regressions(name: &str) -> Vec<Vec<u8>> {
    let dir = mynacert_fuzz::corpus_dir(name)
        .parent()
        .and_then(|c| c.parent())
        .map(|d| d.join("regressions").join(name));
    dir.and_then(|d| std::fs::read_dir(d).ok())
        .map(|rd| {
            rd.filter_map(|e| std::fs::read(e.ok()?.path()).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// A seed with edits applied: (position, byte) replaced, then (position, byte) inserted, then cut.
fn mutate(seed: &[u8], replace: &[(usize, u8)], insert: &[(usize, u8)], cut: usize) -> Vec<u8> {
    let mut v = seed.to_vec();
    for &(at, b) in replace {
        if !v.is_empty() {
            let i = at % v.len();
            v[i] = b;
        }
    }
    for &(at, b) in insert {
        let i = at % (v.len() + 1);
        v.insert(i, b);
    }
    let keep = v.len().saturating_sub(cut % (v.len() + 1));
    v.truncate(keep);
    v
}

macro_rules! smoke {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use super::*;

            fn run(data: &[u8]) {
                let t = mynacert_fuzz::target(stringify!($name)).expect("target");
                (t.run)(data);
            }

            proptest! {
                #![proptest_config(ProptestConfig::with_cases(200))]
                #[test]
                fn arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..600)) {
                    run(&data);
                }

                #[test]
                fn mutated_seeds(
                    pick in any::<usize>(),
                    replace in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8),
                    insert in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4),
                    cut in any::<usize>(),
                ) {
                    let all = seeds(stringify!($name));
                    let seed = &all[pick % all.len()];
                    run(&mutate(seed, &replace, &insert, cut));
                }
            }

            #[test]
            fn every_seed_and_regression() {
                for s in seeds(stringify!($name)) {
                    run(&s);
                }
                for s in regressions(stringify!($name)) {
                    run(&s);
                }
            }
        }
    )*};
}

smoke!(
    apdu_command,
    apdu_response,
    der_length,
    jpki_client,
    jpki_applet,
    adb_frames,
    adb_shell_v2,
    adb_sync,
    adb_key,
    vpcd,
    controller,
    uiautomator,
    x509,
    scenario,
);

#[test]
fn every_target_has_a_smoke_and_a_corpus() {
    let names: Vec<&str> = mynacert_fuzz::TARGETS.iter().map(|t| t.name).collect();
    assert_eq!(
        names.len(),
        14,
        "a new target needs its smoke above: {names:?}"
    );
    for n in names {
        assert!(!seeds(n).is_empty());
    }
}
