//! The units of a lab file, checked where they are written: each serial once, each carrier a known one.

use super::LabFile;
use crate::carrier::Carriers;
use crate::profile::DeviceProfile;
use crate::scenario::parse::{self, pos_of};
use crate::scenario::{LoadError, Pos};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LabSpans {
    units: Vec<UnitSpans>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct UnitSpans {
    serial: Option<Spanned<String>>,
    carrier: Option<Spanned<String>>,
}

/// Every problem of a parsed lab file beyond its shape: [`LabFile::problems`] (at the top of the file),
/// units with an unknown carrier, serials listed twice (naming both places).
pub fn check_units(
    path: &Path,
    source: &str,
    file: &LabFile,
    profiles: &[Arc<DeviceProfile>],
    carriers: &Carriers,
) -> Vec<LoadError> {
    let spans = parse::parse_lenient::<LabSpans>(source).unwrap_or_default();
    let mut errors: Vec<LoadError> = file
        .problems(profiles)
        .into_iter()
        .map(|p| LoadError::new(path, Some(source), Pos::START, p, None))
        .collect();
    let at = |i: usize, field: fn(&UnitSpans) -> &Option<Spanned<String>>| {
        spans
            .units
            .get(i)
            .and_then(|u| field(u).as_ref())
            .and_then(pos_of)
            .unwrap_or(Pos::START)
    };
    for (i, unit) in file.units.iter().enumerate() {
        if let Err((message, hint)) = carriers.check(&unit.carrier) {
            errors.push(LoadError::new(
                path,
                Some(source),
                at(i, |u| &u.carrier),
                format!("unit `{}`: {message}", unit.serial),
                hint,
            ));
        }
        if let Some(first) = file
            .units
            .iter()
            .take(i)
            .position(|u| u.serial == unit.serial)
        {
            let p = at(first, |u| &u.serial);
            errors.push(LoadError::new(
                path,
                Some(source),
                at(i, |u| &u.serial),
                format!(
                    "unit serial `{}` is listed twice (first at {}:{}:{}): one entry per unit",
                    unit.serial,
                    path.display(),
                    p.line,
                    p.column
                ),
                None,
            ));
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR"))
    }

    fn check(text: &str) -> String {
        let path = Path::new("bench.yaml");
        let file: LabFile = parse::parse(path, text).unwrap();
        let profiles = super::super::load_profiles(&root().join("devices/models")).unwrap();
        let carriers = Carriers::load(root()).unwrap();
        format!("{:?}", check_units(path, text, &file, &profiles, &carriers))
    }

    const HEAD: &str =
        "lab: b\nkind: bench\nreference_model: kumo-km51a\nidentities: [taro]\nunits:\n";

    #[test]
    fn a_good_unit_list_has_no_problem() {
        let text = format!(
            "{HEAD}  - {{ serial: A1, profile: kumo-km51a, carrier: docomo }}\n  - {{ serial: A2, profile: kumo-km51a, carrier: au }}\n"
        );
        assert_eq!(check(&text), "[]");
    }

    #[test]
    fn unknown_carriers_are_refused_with_suggestions() {
        let text = format!(
            "{HEAD}  - {{ serial: A1, profile: kumo-km51a, carrier: docmo }}\n  - {{ serial: A2, profile: hoshi-hx22b, carrier: \"Softbank \" }}\n"
        );
        let all = check(&text);
        assert!(
            all.contains("bench.yaml:6:49: unit `A1`: unknown carrier `docmo`"),
            "{all}"
        );
        assert!(all.contains("did you mean `docomo`?"), "{all}");
        assert!(
            all.contains("bench.yaml:7:50: unit `A2`: unknown carrier `Softbank `"),
            "{all}"
        );
        assert!(all.contains("did you mean `softbank`?"), "{all}");
    }

    #[test]
    fn a_serial_listed_twice_is_refused_naming_both() {
        let text = format!(
            "{HEAD}  - {{ serial: A1, profile: kumo-km51a, carrier: docomo }}\n  - {{ serial: A1, profile: kumo-km51a, carrier: au }}\n"
        );
        let all = check(&text);
        assert!(
            all.contains(
                "bench.yaml:7:15: unit serial `A1` is listed twice (first at bench.yaml:6:15)"
            ),
            "{all}"
        );
    }
}
