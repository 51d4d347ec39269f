//! Known carriers (`devices/carriers.yaml`): the ids model profiles and lab files may name, with display
//! names for reports and the supported-device list.
//!
//! ```yaml
//! carriers:
//!   - { id: docomo, name: { ja: NTTドコモ, en: NTT docomo } }
//!   - { id: ahamo, name: { ja: ahamo, en: ahamo }, brand_of: docomo }   # a brand of another carrier
//! ```

use crate::scenario::parse::{self, pos_of};
use crate::scenario::suggest::did_you_mean;
use crate::scenario::{LoadError, Pos, help};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::path::{Path, PathBuf};

/// Where the carriers file lives, relative to the project directory.
pub const CARRIERS_FILE: &str = "devices/carriers.yaml";

/// A display language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ja,
    En,
}

/// Display names of a carrier.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Names {
    pub ja: String,
    pub en: String,
}

/// One carrier (or a brand of one).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Carrier {
    /// The id profiles and lab files use, e.g. `docomo`.
    pub id: String,
    pub name: Names,
    /// For a brand (an MVNO or sub-brand sold on another carrier's network): that carrier's id.
    #[serde(default)]
    pub brand_of: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CarriersFile {
    carriers: Vec<Carrier>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CarriersSpans {
    carriers: Vec<CarrierSpans>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CarrierSpans {
    id: Option<Spanned<String>>,
    brand_of: Option<Spanned<String>>,
}

/// The known carriers, never empty.
#[derive(Debug, Clone)]
pub struct Carriers {
    path: PathBuf,
    list: Vec<Carrier>,
}

impl Carriers {
    /// Loads `devices/carriers.yaml` under the project directory `root`.
    pub fn load(root: &Path) -> Result<Carriers, Vec<LoadError>> {
        Carriers::load_file(&root.join(CARRIERS_FILE))
    }

    /// Loads the carriers file next to a models directory (`devices/models` → `devices/carriers.yaml`).
    pub fn for_models_dir(models: &Path) -> Result<Carriers, Vec<LoadError>> {
        let devices = models.parent().unwrap_or(Path::new("."));
        Carriers::load_file(&devices.join("carriers.yaml"))
    }

    /// Loads and checks a carriers file: at least one carrier, ids unique and well-formed, brands of
    /// known carriers.
    pub fn load_file(path: &Path) -> Result<Carriers, Vec<LoadError>> {
        let source = std::fs::read_to_string(path).map_err(|e| {
            vec![LoadError::file(
                path,
                format!("cannot read the carriers file: {e} (model profiles and lab files name carriers from it)"),
            )]
        })?;
        Carriers::parse(path, &source)
    }

    /// Parses and checks the text of a carriers file.
    pub fn parse(path: &Path, source: &str) -> Result<Carriers, Vec<LoadError>> {
        let file: CarriersFile = parse::parse_all(path, source, &help::CARRIERS)?;
        let spans = parse::parse_lenient::<CarriersSpans>(source).unwrap_or_default();
        let mut errors = Vec::new();
        let err = |pos: Pos, message: String, hint: Option<String>| {
            LoadError::new(path, Some(source), pos, message, hint)
        };
        if file.carriers.is_empty() {
            errors.push(err(
                Pos::START,
                "no carrier listed: model profiles and lab files could name none".into(),
                Some(help::CARRIERS.example.into()),
            ));
        }
        for (i, c) in file.carriers.iter().enumerate() {
            let sp = spans.carriers.get(i);
            let id_pos = sp
                .and_then(|s| s.id.as_ref())
                .and_then(pos_of)
                .unwrap_or(Pos::START);
            let well_formed = !c.id.is_empty()
                && c.id
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-');
            if !well_formed {
                errors.push(err(
                    id_pos,
                    format!(
                        "carrier id `{}` is not lower-case letters, digits and `-`",
                        c.id
                    ),
                    None,
                ));
            }
            if let Some((j, _)) = file
                .carriers
                .iter()
                .enumerate()
                .take(i)
                .find(|(_, o)| o.id == c.id)
            {
                let first = spans
                    .carriers
                    .get(j)
                    .and_then(|s| s.id.as_ref())
                    .and_then(pos_of)
                    .unwrap_or(Pos::START);
                errors.push(err(
                    id_pos,
                    format!(
                        "duplicate carrier id `{}` (first at {}:{}:{})",
                        c.id,
                        path.display(),
                        first.line,
                        first.column
                    ),
                    None,
                ));
            }
            if let Some(owner) = &c.brand_of {
                let pos = sp
                    .and_then(|s| s.brand_of.as_ref())
                    .and_then(pos_of)
                    .unwrap_or(id_pos);
                let carriers = file.carriers.iter().filter(|o| o.brand_of.is_none());
                if !carriers.clone().any(|o| &o.id == owner) {
                    let hint = did_you_mean(owner, carriers.map(|o| o.id.as_str()));
                    errors.push(err(
                        pos,
                        format!("`brand_of: {owner}` is no carrier of this file (brands name a carrier, not a brand)"),
                        hint,
                    ));
                }
            }
        }
        if errors.is_empty() {
            Ok(Carriers {
                path: path.to_path_buf(),
                list: file.carriers,
            })
        } else {
            Err(errors)
        }
    }

    /// The file the carriers came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every carrier, in file order.
    pub fn all(&self) -> &[Carrier] {
        &self.list
    }

    /// Every id, in file order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.list.iter().map(|c| c.id.as_str())
    }

    /// The carrier with this id (exactly as written: ids are case-sensitive).
    pub fn get(&self, id: &str) -> Option<&Carrier> {
        self.list.iter().find(|c| c.id == id)
    }

    /// The display name of a carrier in a language, e.g. `display_name("docomo", Lang::Ja)` → `NTTドコモ`.
    pub fn display_name(&self, id: &str, lang: Lang) -> Option<&str> {
        self.get(id).map(|c| match lang {
            Lang::Ja => c.name.ja.as_str(),
            Lang::En => c.name.en.as_str(),
        })
    }

    /// `Ok` for a known id; else the message and a hint (the nearest id, or the known ones).
    pub fn check(&self, id: &str) -> Result<(), (String, Option<String>)> {
        if self.get(id).is_some() {
            return Ok(());
        }
        let hint = did_you_mean(id, self.ids()).or_else(|| {
            Some(format!(
                "known carriers ({}): {}",
                self.path.display(),
                self.ids().collect::<Vec<_>>().join(", ")
            ))
        });
        Err((format!("unknown carrier `{id}`"), hint))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> Carriers {
        Carriers::load(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    #[test]
    fn the_shipped_file_has_the_four_carriers_with_display_names() {
        let c = shipped();
        assert_eq!(c.display_name("docomo", Lang::Ja), Some("NTTドコモ"));
        assert_eq!(c.display_name("au", Lang::Ja), Some("au"));
        assert_eq!(c.display_name("softbank", Lang::Ja), Some("ソフトバンク"));
        assert_eq!(c.display_name("rakuten", Lang::Ja), Some("楽天モバイル"));
        assert_eq!(c.display_name("docomo", Lang::En), Some("NTT docomo"));
        assert_eq!(c.display_name("nope", Lang::En), None);
        assert!(
            c.all()
                .iter()
                .filter_map(|x| x.brand_of.as_deref())
                .all(|b| c.get(b).is_some_and(|o| o.brand_of.is_none()))
        );
    }

    #[test]
    fn unknown_ids_are_refused_with_the_nearest_one() {
        let c = shipped();
        assert!(c.check("docomo").is_ok());
        let (m, h) = c.check("docmo").unwrap_err();
        assert_eq!(m, "unknown carrier `docmo`");
        assert_eq!(h.as_deref(), Some("did you mean `docomo`?"));
        let (m, h) = c.check("Softbank ").unwrap_err();
        assert_eq!(m, "unknown carrier `Softbank `");
        assert_eq!(h.as_deref(), Some("did you mean `softbank`?"));
    }

    #[test]
    fn an_empty_or_blank_carriers_file_is_an_error() {
        let p = Path::new("carriers.yaml");
        let e = Carriers::parse(p, "carriers: []\n").unwrap_err();
        assert!(e[0].message.contains("no carrier listed"), "{e:?}");
        let e = Carriers::parse(p, "# nothing yet\n").unwrap_err();
        assert!(e[0].message.contains("empty file"), "{e:?}");
    }

    #[test]
    fn duplicate_ids_and_brands_of_unknown_carriers_are_errors() {
        let src = "carriers:\n  - { id: a, name: { ja: A, en: A } }\n  - { id: a, name: { ja: B, en: B } }\n  - { id: b, name: { ja: B, en: B }, brand_of: x }\n";
        let e = Carriers::parse(Path::new("c.yaml"), src).unwrap_err();
        let all = format!("{e:?}");
        assert!(
            all.contains("c.yaml:3:11: duplicate carrier id `a` (first at c.yaml:2:11)"),
            "{all}"
        );
        assert!(
            all.contains("c.yaml:4:48: `brand_of: x` is no carrier"),
            "{all}"
        );
    }
}
