//! Fuzz targets: one function per decoder that reads bytes from outside the harness. Each must never
//! panic, whatever the bytes; where a decoder has an encoder, what decodes must encode back to the same
//! value. The same functions run under AFL++ (`scripts/fuzz`) and as proptest smokes (`cargo test`).

mod targets;

pub use targets::TARGETS;

/// A named fuzz target.
pub struct Target {
    pub name: &'static str,
    /// What it feeds the bytes to.
    pub what: &'static str,
    pub run: fn(&[u8]),
}

/// The target called `name`.
pub fn target(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.name == name)
}

/// The committed seed corpus of a target (`crates/fuzz/corpus/<name>/`).
pub fn corpus_dir(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(name)
}

/// Splits fuzz input into chunks: each chunk is a length byte then that many bytes (for decoders fed
/// in pieces, and for sequences of commands).
pub fn chunks(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while let Some((&n, tail)) = rest.split_first() {
        let n = (n as usize).min(tail.len());
        out.push(&tail[..n]);
        rest = &tail[n..];
    }
    out
}
