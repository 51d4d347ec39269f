//! "Did you mean …?": the nearest candidate by edit distance, only when it is close enough.

/// The candidate nearest to `input` (case-insensitive Damerau–Levenshtein), if it is close enough to be a
/// plausible typo: about a third of the shorter word's length (rounded up), at least one edit.
pub fn nearest<'a, I>(input: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let needle = input.to_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for cand in candidates {
        let d = strsim::damerau_levenshtein(&needle, &cand.to_lowercase());
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, cand));
        }
    }
    let (d, cand) = best?;
    let len = needle.chars().count().min(cand.chars().count());
    let allowed = len.div_ceil(3).max(1);
    (d > 0 && d <= allowed || d == 0 && cand != input).then_some(cand)
}

/// `did you mean `x`?` for the nearest candidate, if any.
pub fn did_you_mean<'a, I>(input: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    nearest(input, candidates).map(|c| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("provison", Some("provision"))]
    #[case("identiy", Some("identity"))]
    #[case("Provision", Some("provision"))]
    #[case("expect-authorty", Some("expect-authority"))]
    #[case("zzzzzz", None)]
    #[case("on", None)]
    #[case("x", None)]
    #[case("fone", None)]
    fn nearest_only_when_close(#[case] input: &str, #[case] want: Option<&str>) {
        let cands = ["provision", "identity", "expect-authority", "on", "revoke"];
        assert_eq!(nearest(input, cands), want);
    }
}
