//! The bench-controller client: one lazily opened, persistent TCP connection (TCP_NODELAY), each request
//! one write, each answer one line; a broken connection is reopened once per request.

use super::proto::{LineFramer, Request, Response, decode_response, encode_request};
use crate::transport::{AuthorityTransport, TransportError};
use crate::types::{CertKind, IssuedRecord};
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

/// How long to wait for a connection and for each answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// A client of the lab's bench controller (card placement, power, services, the authority).
#[derive(Debug)]
pub struct Controller {
    addr: SocketAddr,
    timeout: Duration,
    conn: Option<Conn>,
    /// TLS with pinned keys (`controller_tls:`); plain TCP only to a loopback controller.
    tls: Option<Arc<rustls::ClientConfig>>,
}

/// A byte stream to the controller: plain TCP or TLS over it.
trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

struct Conn {
    stream: Box<dyn Stream>,
    framer: LineFramer,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Conn")
    }
}

/// Why one exchange failed.
enum Failure {
    /// The connection broke (worth one reconnect).
    Broken(TransportError),
    /// Anything else (returned as is).
    Final(TransportError),
}

impl Controller {
    /// A controller at `addr`; nothing is connected until the first request.
    pub fn new(addr: SocketAddr) -> Controller {
        Controller {
            addr,
            timeout: TIMEOUT,
            conn: None,
            tls: None,
        }
    }

    /// Another client of the same controller (same address, timeout and TLS), not yet connected.
    pub fn fresh(&self) -> Controller {
        Controller {
            addr: self.addr,
            timeout: self.timeout,
            conn: None,
            tls: self.tls.clone(),
        }
    }

    /// The same controller over TLS (mutual, pinned keys: [`mynacert_wire::tls`]).
    pub fn with_tls(mut self, config: Arc<rustls::ClientConfig>) -> Controller {
        self.tls = Some(config);
        self
    }

    /// Same, with another answer timeout (tests).
    pub fn with_timeout(addr: SocketAddr, timeout: Duration) -> Controller {
        Controller {
            addr,
            timeout,
            conn: None,
            tls: None,
        }
    }

    /// The controller's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The lab id the controller serves.
    pub fn hello(&mut self) -> Result<String, TransportError> {
        match self.call(&Request::Hello)? {
            Response::Hello { lab, .. } => Ok(lab),
            other => Err(self.unexpected("hello", &other)),
        }
    }

    /// Hold an identity's card to a unit.
    pub fn place_card(&mut self, identity: &str, unit: &str) -> Result<(), TransportError> {
        self.done(&Request::PlaceCard {
            identity: identity.into(),
            unit: unit.into(),
        })
    }

    /// Take an identity's card away.
    pub fn remove_card(&mut self, identity: &str) -> Result<(), TransportError> {
        self.done(&Request::RemoveCard {
            identity: identity.into(),
        })
    }

    /// Power a unit on.
    pub fn power_on(&mut self, unit: &str) -> Result<(), TransportError> {
        self.done(&Request::PowerOn { unit: unit.into() })
    }

    /// Issuer service: unblock every PIN of an identity's card.
    pub fn reset_card(&mut self, identity: &str) -> Result<(), TransportError> {
        self.done(&Request::ResetCard {
            identity: identity.into(),
        })
    }

    /// Test-SE service: wipe a unit's JPKI data.
    pub fn wipe_se(&mut self, unit: &str) -> Result<(), TransportError> {
        self.done(&Request::WipeSe { unit: unit.into() })
    }

    fn unit(&self) -> String {
        format!("controller {}", self.addr)
    }

    fn unexpected(&self, op: &str, got: &Response) -> TransportError {
        TransportError::Protocol {
            unit: self.unit(),
            detail: format!("unexpected answer to `{op}`: {}", got.describe()),
        }
    }

    fn done(&mut self, request: &Request) -> Result<(), TransportError> {
        match self.call(request)? {
            Response::Done => Ok(()),
            other => Err(self.unexpected(request.op(), &other)),
        }
    }

    /// Sends one request and reads its answer; `{"ok":false}` becomes `Protocol` with the controller's text.
    fn call(&mut self, request: &Request) -> Result<Response, TransportError> {
        let line = encode_request(request);
        let mut last = None;
        for _ in 0..2 {
            match self.exchange(&line, request.op()) {
                Ok(Response::Error(detail)) => {
                    return Err(TransportError::Protocol {
                        unit: self.unit(),
                        detail,
                    });
                }
                Ok(r) => return Ok(r),
                Err(Failure::Broken(e)) => {
                    self.conn = None;
                    last = Some(e);
                }
                Err(Failure::Final(e)) => {
                    self.conn = None;
                    return Err(e);
                }
            }
        }
        Err(last.unwrap_or_else(|| TransportError::Disconnected {
            unit: self.unit(),
            detail: "connection lost".into(),
        }))
    }

    fn connect(&self) -> Result<Conn, TransportError> {
        let io = |what: &str, e: std::io::Error| TransportError::Io {
            unit: self.unit(),
            detail: format!("{what}: {e}"),
        };
        let stream = TcpStream::connect_timeout(&self.addr, self.timeout).map_err(|e| {
            if matches!(e.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock) {
                self.timeout_error("connect")
            } else {
                io("connect", e)
            }
        })?;
        stream.set_nodelay(true).map_err(|e| io("TCP_NODELAY", e))?;
        stream
            .set_read_timeout(Some(self.timeout))
            .map_err(|e| io("read timeout", e))?;
        stream
            .set_write_timeout(Some(self.timeout))
            .map_err(|e| io("write timeout", e))?;
        let stream: Box<dyn Stream> = match &self.tls {
            None => Box::new(stream),
            Some(cfg) => {
                let mut conn =
                    rustls::ClientConnection::new(cfg.clone(), mynacert_wire::tls::server_name())
                        .map_err(|e| TransportError::Protocol {
                        unit: self.unit(),
                        detail: format!("TLS: {e}"),
                    })?;
                let mut stream = stream;
                // The handshake now, so that a refused key is named here, not as a broken request.
                while conn.is_handshaking() {
                    conn.complete_io(&mut stream)
                        .map_err(|e| TransportError::Protocol {
                            unit: self.unit(),
                            detail: format!("TLS handshake: {e}"),
                        })?;
                }
                Box::new(rustls::StreamOwned::new(conn, stream))
            }
        };
        Ok(Conn {
            stream,
            framer: LineFramer::default(),
        })
    }

    fn timeout_error(&self, what: &str) -> TransportError {
        TransportError::Timeout {
            unit: self.unit(),
            millis: u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX),
            what: what.to_string(),
        }
    }

    fn exchange(&mut self, line: &[u8], op: &str) -> Result<Response, Failure> {
        if self.conn.is_none() {
            // A refused or failed connect is final: reconnecting at once would not help.
            self.conn = Some(self.connect().map_err(Failure::Final)?);
        }
        let unit = self.unit();
        let timeout = self.timeout_error(op);
        let Some(conn) = self.conn.as_mut() else {
            return Err(Failure::Final(TransportError::Io {
                unit,
                detail: "no connection".into(),
            }));
        };
        let broken = |e: std::io::Error| {
            // TLS 1.3: a controller that refuses this lab's key says so after the handshake, on the
            // first read. Final: reconnecting with the same key cannot help.
            if let Some(tls) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                return Failure::Final(TransportError::Protocol {
                    unit: unit.clone(),
                    detail: format!(
                        "TLS: `{op}`: {tls} (does the controller trust this lab's key?)"
                    ),
                });
            }
            if matches!(e.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock) {
                Failure::Final(timeout.clone())
            } else {
                Failure::Broken(TransportError::Disconnected {
                    unit: unit.clone(),
                    detail: format!("`{op}`: {e}"),
                })
            }
        };
        conn.stream.write_all(line).map_err(broken)?;
        let mut chunk = [0u8; 16 * 1024];
        loop {
            if let Some(next) = conn.framer.next_line() {
                let line = next.map_err(|e| {
                    Failure::Final(TransportError::Protocol {
                        unit: unit.clone(),
                        detail: format!("answer to `{op}`: {e}"),
                    })
                })?;
                return decode_response(&line).map_err(|e| {
                    Failure::Final(TransportError::Protocol {
                        unit: unit.clone(),
                        detail: format!("answer to `{op}`: {e}"),
                    })
                });
            }
            let n = match conn.stream.read(&mut chunk) {
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(broken(e)),
            };
            if n == 0 {
                return Err(Failure::Broken(TransportError::Disconnected {
                    unit: unit.clone(),
                    detail: format!("connection closed before the answer to `{op}`"),
                }));
            }
            conn.framer.feed(&chunk[..n]);
        }
    }
}

impl AuthorityTransport for Controller {
    fn ca_certificate(&mut self, kind: CertKind) -> Result<Vec<u8>, TransportError> {
        match self.call(&Request::CaCertificate { kind })? {
            Response::Der(der) => Ok(der),
            other => Err(self.unexpected("ca_certificate", &other)),
        }
    }
    fn crl(&mut self, kind: CertKind) -> Result<Vec<u8>, TransportError> {
        match self.call(&Request::Crl { kind })? {
            Response::Der(der) => Ok(der),
            other => Err(self.unexpected("crl", &other)),
        }
    }
    fn issued(&mut self, person: &str) -> Result<Vec<IssuedRecord>, TransportError> {
        match self.call(&Request::Issued {
            person: person.into(),
        })? {
            Response::Issued(records) => Ok(records),
            other => Err(self.unexpected("issued", &other)),
        }
    }
    fn suspended(&mut self, person: &str) -> Result<bool, TransportError> {
        match self.call(&Request::Suspended {
            person: person.into(),
        })? {
            Response::Suspended(s) => Ok(s),
            other => Err(self.unexpected("suspended", &other)),
        }
    }
    fn set_suspended(&mut self, person: &str, suspended: bool) -> Result<(), TransportError> {
        self.done(&Request::SetSuspended {
            person: person.into(),
            suspended,
        })
    }
    fn revoke_all(&mut self, person: &str) -> Result<usize, TransportError> {
        match self.call(&Request::RevokeAll {
            person: person.into(),
        })? {
            Response::Count(n) => Ok(n),
            other => Err(self.unexpected("revoke_all", &other)),
        }
    }
}
