//! The bench lab file `mynacert lab serve --bench-file` writes: the served virtual lab described as a
//! `kind: bench` lab (units by served adbd address, readers on vpcd, the controller's address).

use std::fmt::Write;
use std::net::SocketAddr;

/// One unit as the bench sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchUnit {
    /// The served adbd address (`127.0.0.1:15100`), the bench's ADB serial.
    pub serial: String,
    pub profile: String,
    pub carrier: String,
    pub reference: bool,
}

/// What lies on one reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BenchReaderRole {
    /// An identity's card.
    Card(String),
    /// A unit's SE, by the bench's unit name.
    Se(String),
}

/// One PC/SC reader of the bench.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchReader {
    pub reader: String,
    pub role: BenchReaderRole,
}

/// Everything the bench lab file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchFile {
    pub lab: String,
    pub reference_model: String,
    pub identities: Vec<String>,
    pub app_apk: String,
    pub controller: Option<SocketAddr>,
    /// The lab's private key and the controller's public key, when the controller speaks TLS.
    pub controller_tls: Option<(String, String)>,
    pub units: Vec<BenchUnit>,
    pub readers: Vec<BenchReader>,
}

/// A YAML double-quoted scalar (JSON string syntax is a subset of YAML's double-quoted style).
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

pub use crate::vpcd::reader_name as vpcd_reader_name;

impl BenchFile {
    /// The file's YAML text.
    pub fn render(&self) -> String {
        let mut y = String::new();
        let _ = writeln!(
            y,
            "# written by `mynacert lab serve`: the served virtual lab as a bench"
        );
        let _ = writeln!(y, "lab: {}", q(&self.lab));
        let _ = writeln!(y, "kind: bench");
        let _ = writeln!(y, "reference_model: {}", q(&self.reference_model));
        let ids: Vec<String> = self.identities.iter().map(|i| q(i)).collect();
        let _ = writeln!(y, "identities: [{}]", ids.join(", "));
        // The served cards are virtual and the controller's issuer service resets them: wrong-password
        // scenarios may run them down (a real bench lists only cards its issuer service can reset).
        let _ = writeln!(y, "card_safety: {{ allow_lock: [{}] }}", ids.join(", "));
        let _ = writeln!(y, "app_apk: {}", q(&self.app_apk));
        if let Some(c) = self.controller {
            let _ = writeln!(y, "controller: {}", q(&c.to_string()));
        }
        if let Some((key, server)) = &self.controller_tls {
            let _ = writeln!(
                y,
                "controller_tls: {{ key: {}, server: {} }}",
                q(key),
                q(server)
            );
        }
        let _ = writeln!(y, "units:");
        for u in &self.units {
            let _ = write!(
                y,
                "  - {{ serial: {}, profile: {}, carrier: {}",
                q(&u.serial),
                q(&u.profile),
                q(&u.carrier)
            );
            if u.reference {
                y.push_str(", reference: true");
            }
            y.push_str(" }\n");
        }
        if self.readers.is_empty() {
            y.push_str("readers: []\n");
        } else {
            y.push_str("readers:\n");
            for r in &self.readers {
                let (key, value) = match &r.role {
                    BenchReaderRole::Card(id) => ("card", id),
                    BenchReaderRole::Se(unit) => ("se", unit),
                };
                let _ = writeln!(y, "  - {{ reader: {}, {key}: {} }}", q(&r.reader), q(value));
            }
        }
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Unit {
        serial: String,
        profile: String,
        carrier: String,
        #[serde(default)]
        reference: bool,
    }
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Reader {
        reader: String,
        se: Option<String>,
        card: Option<String>,
    }
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Parsed {
        lab: String,
        kind: String,
        reference_model: String,
        identities: Vec<String>,
        card_safety: CardSafety,
        app_apk: String,
        controller: Option<String>,
        units: Vec<Unit>,
        readers: Vec<Reader>,
    }
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct CardSafety {
        allow_lock: Vec<String>,
    }

    fn sample(controller: Option<SocketAddr>) -> BenchFile {
        BenchFile {
            lab: "virtual-lab-bench".into(),
            reference_model: "kumo-km51a".into(),
            identities: vec!["taro".into(), "hanako".into()],
            app_apk: "fixtures/app/mynaportal-sim.apk".into(),
            controller,
            controller_tls: None,
            units: vec![
                BenchUnit {
                    serial: "127.0.0.1:15100".into(),
                    profile: "kumo-km51a".into(),
                    carrier: "docomo".into(),
                    reference: false,
                },
                BenchUnit {
                    serial: "127.0.0.1:15107".into(),
                    profile: "kumo-km51a".into(),
                    carrier: "a \"quoted\": # carrier".into(),
                    reference: true,
                },
            ],
            readers: vec![
                BenchReader {
                    reader: vpcd_reader_name(0),
                    role: BenchReaderRole::Card("taro".into()),
                },
                BenchReader {
                    reader: vpcd_reader_name(1),
                    role: BenchReaderRole::Se("127.0.0.1:15100".into()),
                },
            ],
        }
    }

    #[test]
    fn rendered_file_parses_back_with_every_field() {
        let text = sample(Some(SocketAddr::from(([127, 0, 0, 1], 15200)))).render();
        let p: Parsed = serde_saphyr::from_str(&text).expect("YAML");
        assert_eq!(p.lab, "virtual-lab-bench");
        assert_eq!(p.kind, "bench");
        assert_eq!(p.reference_model, "kumo-km51a");
        assert_eq!(p.identities, ["taro", "hanako"]);
        assert_eq!(p.card_safety.allow_lock, ["taro", "hanako"]);
        assert_eq!(p.app_apk, "fixtures/app/mynaportal-sim.apk");
        assert_eq!(p.controller.as_deref(), Some("127.0.0.1:15200"));
        assert_eq!(p.units.len(), 2);
        assert_eq!(p.units[0].serial, "127.0.0.1:15100");
        assert_eq!(p.units[0].profile, "kumo-km51a");
        assert!(!p.units[0].reference);
        assert_eq!(p.units[1].carrier, "a \"quoted\": # carrier");
        assert!(p.units[1].reference);
        assert_eq!(p.readers[0].reader, "Virtual PCD 00 00");
        assert_eq!(p.readers[0].card.as_deref(), Some("taro"));
        assert_eq!(p.readers[1].se.as_deref(), Some("127.0.0.1:15100"));
    }

    #[test]
    fn controller_line_only_when_served() {
        let text = sample(None).render();
        assert!(!text.contains("controller"));
        let p: Parsed = serde_saphyr::from_str(&text).expect("YAML");
        assert_eq!(p.controller, None);
    }
}
