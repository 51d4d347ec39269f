//! The AFL++ harness: `MYNACERT_FUZZ_TARGET=<name>` picks the target (`scripts/fuzz` sets it).

fn main() {
    let name = std::env::var("MYNACERT_FUZZ_TARGET").unwrap_or_default();
    let Some(target) = mynacert_fuzz::target(&name) else {
        let names: Vec<&str> = mynacert_fuzz::TARGETS.iter().map(|t| t.name).collect();
        eprintln!(
            "MYNACERT_FUZZ_TARGET={name:?}: not a target; one of {}",
            names.join(", ")
        );
        std::process::exit(2);
    };
    afl::fuzz!(|data: &[u8]| {
        (target.run)(data);
    });
}
