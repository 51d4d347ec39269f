//! The bench-controller wire format, sans IO: JSON lines (one request line → one response line, UTF-8,
//! at most [`MAX_LINE`] bytes). Pure functions over byte lines plus a [`LineFramer`] that cuts a byte
//! stream into lines; sockets live in `client` and `server`.

use crate::types::{CertKind, IssuedRecord};
use base64::Engine;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Protocol version answered by `hello`.
pub const PROTOCOL_VERSION: u32 = 1;
/// Longest line (without its newline) either side accepts: 4 MiB.
pub const MAX_LINE: usize = 4 * 1024 * 1024;

/// Every op name, in wire spelling.
pub const OPS: [&str; 12] = [
    "hello",
    "place_card",
    "remove_card",
    "power_on",
    "reset_card",
    "wipe_se",
    "ca_certificate",
    "crl",
    "issued",
    "suspended",
    "set_suspended",
    "revoke_all",
];

/// One request to the bench controller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    /// Who are you: the lab id and protocol version.
    Hello,
    /// Hold an identity's card to a unit's NFC antenna.
    PlaceCard { identity: String, unit: String },
    /// Take an identity's card away from whatever unit holds it.
    RemoveCard { identity: String },
    /// Power a unit on.
    PowerOn { unit: String },
    /// Issuer service: unblock every PIN of an identity's card.
    ResetCard { identity: String },
    /// Test-SE service: wipe the JPKI data of a unit's SE.
    WipeSe { unit: String },
    /// The authority's DER CA certificate for one kind.
    CaCertificate { kind: CertKind },
    /// The authority's current DER CRL for one kind.
    Crl { kind: CertKind },
    /// The issuance ledger of a person.
    Issued { person: String },
    /// Whether a person's smartphone certificates are suspended.
    Suspended { person: String },
    /// The hotline suspends or lifts a person's smartphone certificates.
    SetSuspended { person: String, suspended: bool },
    /// Revoke every smartphone certificate of a person.
    RevokeAll { person: String },
}

impl Request {
    /// The op name (wire spelling), for messages.
    pub fn op(&self) -> &'static str {
        match self {
            Request::Hello => "hello",
            Request::PlaceCard { .. } => "place_card",
            Request::RemoveCard { .. } => "remove_card",
            Request::PowerOn { .. } => "power_on",
            Request::ResetCard { .. } => "reset_card",
            Request::WipeSe { .. } => "wipe_se",
            Request::CaCertificate { .. } => "ca_certificate",
            Request::Crl { .. } => "crl",
            Request::Issued { .. } => "issued",
            Request::Suspended { .. } => "suspended",
            Request::SetSuspended { .. } => "set_suspended",
            Request::RevokeAll { .. } => "revoke_all",
        }
    }
}

/// One answer of the bench controller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// `hello`: the lab id and protocol version.
    Hello { lab: String, protocol: u32 },
    /// Done, nothing to report.
    Done,
    /// A DER object (CA certificate or CRL).
    Der(Vec<u8>),
    /// The issuance ledger.
    Issued(Vec<IssuedRecord>),
    /// Suspension state.
    Suspended(bool),
    /// How many certificates were revoked.
    Count(usize),
    /// The controller could not do it: its error text.
    Error(String),
}

impl Response {
    /// What kind of answer this is, in a few words (never the payload).
    pub fn describe(&self) -> String {
        match self {
            Response::Hello { lab, protocol } => {
                format!("hello from `{lab}` (protocol {protocol})")
            }
            Response::Done => "plain ok".into(),
            Response::Der(der) => format!("{} DER bytes", der.len()),
            Response::Issued(r) => format!("{} ledger entries", r.len()),
            Response::Suspended(s) => format!("suspended = {s}"),
            Response::Count(n) => format!("count = {n}"),
            Response::Error(e) => format!("error: {e}"),
        }
    }
}

/// A line that is not a valid request or response. Never carries the line itself (it may hold anything).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProtoError {
    /// Longer than [`MAX_LINE`].
    #[error("line of {len} bytes is over the {max}-byte limit")]
    TooLong { len: usize, max: usize },
    /// Empty line.
    #[error("empty line")]
    Empty,
    /// Not UTF-8.
    #[error("not UTF-8 (invalid byte at offset {offset})")]
    NotUtf8 { offset: usize },
    /// JSON that stops early.
    #[error("truncated JSON: {0}")]
    Truncated(String),
    /// Not JSON at all.
    #[error("not JSON: {0}")]
    NotJson(String),
    /// JSON, but not an object.
    #[error("not a JSON object")]
    NotObject,
    /// A required field is absent.
    #[error("missing field `{0}`")]
    MissingField(String),
    /// An op nobody knows.
    #[error("unknown op `{0}`")]
    UnknownOp(String),
    /// A field has the wrong type or value.
    #[error("bad field: {0}")]
    BadField(String),
}

/// One `issued` ledger entry on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireIssued {
    pub kind: CertKind,
    pub device: String,
    /// DER, standard base64.
    pub der: String,
}

/// A response line as it appears on the wire (every field optional but `ok`).
#[derive(Debug, Default, Serialize, Deserialize)]
struct WireResponse {
    ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lab: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    protocol: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    der: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    issued: Option<Vec<WireIssued>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    suspended: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    count: Option<usize>,
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

fn to_line<T: Serialize>(value: &T) -> Vec<u8> {
    // Serializing these plain structs (strings, bools, numbers, unit enums) cannot fail.
    let mut line = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    line.push(b'\n');
    line
}

/// A request as one line, newline included.
pub fn encode_request(request: &Request) -> Vec<u8> {
    to_line(request)
}

/// A response as one line, newline included.
pub fn encode_response(response: &Response) -> Vec<u8> {
    let mut w = WireResponse {
        ok: true,
        ..WireResponse::default()
    };
    match response {
        Response::Hello { lab, protocol } => {
            w.lab = Some(lab.clone());
            w.protocol = Some(*protocol);
        }
        Response::Done => {}
        Response::Der(der) => w.der = Some(b64().encode(der)),
        Response::Issued(records) => {
            w.issued = Some(
                records
                    .iter()
                    .map(|r| WireIssued {
                        kind: r.kind,
                        device: r.device.clone(),
                        der: b64().encode(&r.der),
                    })
                    .collect(),
            )
        }
        Response::Suspended(s) => w.suspended = Some(*s),
        Response::Count(n) => w.count = Some(*n),
        Response::Error(text) => {
            w.ok = false;
            w.error = Some(text.clone());
        }
    }
    to_line(&w)
}

/// Checks length and encoding, strips the line end; returns the parsed JSON object.
fn parse_object(line: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>, ProtoError> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.len() > MAX_LINE {
        return Err(ProtoError::TooLong {
            len: line.len(),
            max: MAX_LINE,
        });
    }
    let text = std::str::from_utf8(line).map_err(|e| ProtoError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    if text.trim().is_empty() {
        return Err(ProtoError::Empty);
    }
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        if e.is_eof() {
            ProtoError::Truncated(e.to_string())
        } else {
            ProtoError::NotJson(e.to_string())
        }
    })?;
    match value {
        serde_json::Value::Object(map) => Ok(map),
        _ => Err(ProtoError::NotObject),
    }
}

/// Names what serde found wrong in a well-formed object.
fn field_error(e: serde_json::Error) -> ProtoError {
    let text = e.to_string();
    if let Some(rest) = text.strip_prefix("missing field `")
        && let Some((name, _)) = rest.split_once('`')
    {
        return ProtoError::MissingField(name.to_string());
    }
    ProtoError::BadField(text)
}

/// Parses one request line (with or without its newline).
pub fn decode_request(line: &[u8]) -> Result<Request, ProtoError> {
    let map = parse_object(line)?;
    match map.get("op") {
        None => return Err(ProtoError::MissingField("op".into())),
        Some(serde_json::Value::String(op)) if !OPS.contains(&op.as_str()) => {
            return Err(ProtoError::UnknownOp(op.clone()));
        }
        Some(serde_json::Value::String(_)) => {}
        Some(_) => return Err(ProtoError::BadField("`op` must be a string".into())),
    }
    serde_json::from_value(serde_json::Value::Object(map)).map_err(field_error)
}

/// Parses one response line (with or without its newline).
pub fn decode_response(line: &[u8]) -> Result<Response, ProtoError> {
    let map = parse_object(line)?;
    if !map.contains_key("ok") {
        return Err(ProtoError::MissingField("ok".into()));
    }
    let w: WireResponse =
        serde_json::from_value(serde_json::Value::Object(map)).map_err(field_error)?;
    if !w.ok {
        return w
            .error
            .map(Response::Error)
            .ok_or_else(|| ProtoError::MissingField("error".into()));
    }
    let unb64 = |field: &str, s: &str| {
        b64()
            .decode(s)
            .map_err(|e| ProtoError::BadField(format!("`{field}` is not base64: {e}")))
    };
    if let Some(lab) = w.lab {
        let protocol = w
            .protocol
            .ok_or_else(|| ProtoError::MissingField("protocol".into()))?;
        return Ok(Response::Hello { lab, protocol });
    }
    if let Some(der) = w.der {
        return Ok(Response::Der(unb64("der", &der)?));
    }
    if let Some(issued) = w.issued {
        let mut out = Vec::with_capacity(issued.len());
        for r in issued {
            out.push(IssuedRecord {
                kind: r.kind,
                device: r.device,
                der: unb64("issued[].der", &r.der)?,
            });
        }
        return Ok(Response::Issued(out));
    }
    if let Some(s) = w.suspended {
        return Ok(Response::Suspended(s));
    }
    if let Some(n) = w.count {
        return Ok(Response::Count(n));
    }
    Ok(Response::Done)
}

/// Cuts a byte stream into lines of at most `max` bytes. An over-long line is reported once
/// ([`ProtoError::TooLong`]) and its bytes are skipped up to its newline, so the stream stays usable.
#[derive(Debug)]
pub struct LineFramer {
    buf: Vec<u8>,
    max: usize,
    /// Inside an over-long line: bytes dropped so far.
    skipping: Option<usize>,
}

impl Default for LineFramer {
    fn default() -> Self {
        LineFramer::new(MAX_LINE)
    }
}

impl LineFramer {
    /// A framer for lines of at most `max` bytes (newline excluded).
    pub fn new(max: usize) -> LineFramer {
        LineFramer {
            buf: Vec::new(),
            max,
            skipping: None,
        }
    }

    /// Adds received bytes.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes held that are not yet a full line.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// The next complete line (without its newline), an over-long line error, or `None` (need more).
    pub fn next_line(&mut self) -> Option<Result<Vec<u8>, ProtoError>> {
        loop {
            let newline = self.buf.iter().position(|&b| b == b'\n');
            if let Some(dropped) = self.skipping {
                match newline {
                    Some(i) => {
                        self.buf.drain(..=i);
                        self.skipping = None;
                        return Some(Err(ProtoError::TooLong {
                            len: dropped + i,
                            max: self.max,
                        }));
                    }
                    None => {
                        self.skipping = Some(dropped + self.buf.len());
                        self.buf.clear();
                        return None;
                    }
                }
            }
            match newline {
                Some(i) if i <= self.max => {
                    let mut line: Vec<u8> = self.buf.drain(..=i).collect();
                    line.pop();
                    return Some(Ok(line));
                }
                Some(_) => self.skipping = Some(0),
                None if self.buf.len() > self.max => self.skipping = Some(0),
                None => return None,
            }
        }
    }
}

#[cfg(test)]
#[path = "control_tests.rs"]
mod tests;
