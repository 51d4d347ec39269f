//! The bench controller served by the virtual lab (`mynacert lab serve --control PORT`): a thread per
//! connection, each request executed under the lab's lock with its `Lab` methods, each answer one write.

use crate::lab::{Lab, LabError};
use crate::transport::TransportError;
use crate::virtual_lab::VirtualLab;
use mynacert_wire::control::encode_response;
use mynacert_wire::control::{LineFramer, PROTOCOL_VERSION, Request, Response, decode_request};
use std::collections::BTreeMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// A running controller. [`ControllerServer::stop`] (or dropping it) closes the port and every connection.
#[derive(Debug)]
pub struct ControllerServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<TcpStream>>>,
    accept: Option<JoinHandle<()>>,
}

/// What the server needs per request: the lab and the unit names.
struct Shared {
    lab: Arc<Mutex<VirtualLab>>,
    names: UnitNames,
}

/// Bench unit names (served adbd addresses) ↔ virtual serials.
#[derive(Debug, Default)]
pub struct UnitNames {
    /// Bench unit name → virtual serial.
    aliases: BTreeMap<String, String>,
    /// Virtual serial → bench unit name.
    reverse: BTreeMap<String, String>,
}

impl UnitNames {
    /// From bench name → virtual serial.
    pub fn new(aliases: BTreeMap<String, String>) -> UnitNames {
        let reverse = aliases
            .iter()
            .map(|(alias, serial)| (serial.clone(), alias.clone()))
            .collect();
        UnitNames { aliases, reverse }
    }

    /// The virtual serial of a bench unit name (the name itself when it has no alias).
    pub fn serial<'a>(&'a self, unit: &'a str) -> &'a str {
        self.aliases.get(unit).map(String::as_str).unwrap_or(unit)
    }

    /// The bench name of a virtual serial (the serial itself when it has no alias).
    pub fn alias<'a>(&'a self, serial: &'a str) -> &'a str {
        self.reverse
            .get(serial)
            .map(String::as_str)
            .unwrap_or(serial)
    }
}

/// Serves the controller for `lab` on `bind` (port 0 = any free port). `aliases` maps the unit names the
/// bench uses (e.g. the served adbd address `127.0.0.1:15100`) to virtual serials; other names are used
/// as they are.
pub fn serve_controller(
    bind: SocketAddr,
    lab: Arc<Mutex<VirtualLab>>,
    aliases: BTreeMap<String, String>,
) -> std::io::Result<ControllerServer> {
    serve_controller_tls(bind, lab, aliases, None)
}

/// [`serve_controller`], over TLS with pinned client keys when `tls` is given (`mynacert_wire::tls`).
/// Plain TCP is served on loopback only.
pub fn serve_controller_tls(
    bind: SocketAddr,
    lab: Arc<Mutex<VirtualLab>>,
    aliases: BTreeMap<String, String>,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> std::io::Result<ControllerServer> {
    if tls.is_none() && !bind.ip().is_loopback() {
        return Err(std::io::Error::new(
            ErrorKind::PermissionDenied,
            format!(
                "{bind}: the controller serves plain TCP on loopback only; give it a TLS key and its clients' public keys"
            ),
        ));
    }
    let listener = TcpListener::bind(bind)?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared {
        lab,
        names: UnitNames::new(aliases),
    });
    let stop = Arc::new(AtomicBool::new(false));
    let conns = Arc::new(Mutex::new(Vec::new()));
    let (s, c) = (stop.clone(), conns.clone());
    let accept = std::thread::Builder::new()
        .name(format!("controller {addr}"))
        .spawn(move || accept_loop(listener, shared, s, c, tls))?;
    Ok(ControllerServer {
        addr,
        stop,
        conns,
        accept: Some(accept),
    })
}

impl ControllerServer {
    /// Where the controller listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops listening and closes every connection.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
        if let Ok(mut conns) = self.conns.lock() {
            for c in conns.drain(..) {
                let _ = c.shutdown(Shutdown::Both);
            }
        }
    }
}

impl Drop for ControllerServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<TcpStream>>>,
    tls: Option<Arc<rustls::ServerConfig>>,
) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        let _ = stream.set_nodelay(true);
        if let (Ok(clone), Ok(mut list)) = (stream.try_clone(), conns.lock()) {
            list.push(clone);
        }
        let shared = shared.clone();
        let tls = tls.clone();
        // What a chaos cut shuts down (the connection's own handle may be wrapped in TLS).
        let raw = stream.try_clone().ok();
        let spawned = std::thread::Builder::new()
            .name("controller connection".into())
            .spawn(move || match tls {
                None => connection(stream, &shared, raw),
                // A client without a trusted key fails the handshake: its first read errs, and the
                // connection ends before any request is read.
                Some(cfg) => match rustls::ServerConnection::new(cfg) {
                    Ok(conn) => connection(rustls::StreamOwned::new(conn, stream), &shared, raw),
                    Err(e) => tracing::warn!("controller: TLS: {e}"),
                },
            });
        if let Err(e) = spawned {
            tracing::warn!("controller: cannot start a connection thread: {e}");
        }
    }
}

/// Serves one connection until the peer closes it.
fn connection(mut stream: impl Read + Write, shared: &Shared, raw: Option<TcpStream>) {
    let cut_now = || {
        let now = cut(shared);
        if now && let Some(r) = &raw {
            let _ = r.shutdown(Shutdown::Both);
        }
        now
    };
    let mut framer = LineFramer::default();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        while let Some(line) = framer.next_line() {
            // Chaos: the connection is cut before the request runs, or after (its answer lost).
            if cut_now() {
                return;
            }
            let response = match line.and_then(|l| decode_request(&l)) {
                Ok(request) => execute(shared, &request),
                Err(e) => Response::Error(format!("malformed request: {e}")),
            };
            if cut_now() {
                return;
            }
            if stream.write_all(&encode_response(&response)).is_err() {
                return;
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => framer.feed(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

fn cut(shared: &Shared) -> bool {
    shared.lab.lock().is_ok_and(|lab| lab.controller_cut())
}

/// Runs one request under the lab's lock.
fn execute(shared: &Shared, request: &Request) -> Response {
    match shared.lab.lock() {
        Ok(mut lab) => execute_on(&mut lab, &shared.names, request),
        Err(_) => Response::Error("virtual lab state poisoned".into()),
    }
}

/// The virtual serial of `unit`, or an error naming the unit as the bench gave it.
fn known_unit(lab: &VirtualLab, names: &UnitNames, unit: &str) -> Result<String, LabError> {
    let serial = names.serial(unit);
    if lab.units().iter().any(|u| u.serial == serial) {
        return Ok(serial.to_string());
    }
    let name = if serial == unit {
        unit.to_string()
    } else {
        format!("{unit} (virtual {serial})")
    };
    Err(LabError::Unknown { what: "unit", name })
}

/// Runs one request on the lab (the caller holds its lock); any failure becomes `Response::Error`.
pub fn execute_on(lab: &mut VirtualLab, names: &UnitNames, request: &Request) -> Response {
    match run(lab, names, request) {
        Ok(r) => r,
        Err(e) => Response::Error(e.to_string()),
    }
}

fn run(lab: &mut VirtualLab, names: &UnitNames, request: &Request) -> Result<Response, LabError> {
    let t = |e: TransportError| LabError::Transport(e);
    Ok(match request {
        Request::Hello => Response::Hello {
            lab: lab.id().to_string(),
            protocol: PROTOCOL_VERSION,
        },
        Request::PlaceCard { identity, unit } => {
            let serial = known_unit(lab, names, unit)?;
            lab.place_card(identity, &serial)?;
            Response::Done
        }
        Request::RemoveCard { identity } => {
            if !lab.identities().iter().any(|i| &i.id == identity) {
                return Err(LabError::Unknown {
                    what: "card",
                    name: identity.clone(),
                });
            }
            lab.remove_card(identity)?;
            Response::Done
        }
        Request::PowerOn { unit } => {
            let serial = known_unit(lab, names, unit)?;
            lab.power_on(&serial)?;
            Response::Done
        }
        Request::ResetCard { identity } => {
            lab.service_reset_card(identity)?;
            Response::Done
        }
        Request::WipeSe { unit } => {
            let serial = known_unit(lab, names, unit)?;
            lab.service_wipe_se(&serial)?;
            Response::Done
        }
        Request::CaCertificate { kind } => {
            Response::Der(lab.authority()?.ca_certificate(*kind).map_err(t)?)
        }
        Request::Crl { kind } => Response::Der(lab.authority()?.crl(*kind).map_err(t)?),
        Request::Issued { person } => {
            let mut records = lab.authority()?.issued(person).map_err(t)?;
            for r in &mut records {
                r.device = names.alias(&r.device).to_string();
            }
            Response::Issued(records)
        }
        Request::Suspended { person } => {
            Response::Suspended(lab.authority()?.suspended(person).map_err(t)?)
        }
        Request::SetSuspended { person, suspended } => {
            lab.authority()?
                .set_suspended(person, *suspended)
                .map_err(t)?;
            Response::Done
        }
        Request::RevokeAll { person } => {
            Response::Count(lab.authority()?.revoke_all(person).map_err(t)?)
        }
    })
}
