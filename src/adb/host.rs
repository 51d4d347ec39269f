//! A small host-side ADB client for the direct-TCP path (`adb connect`-style, no server): one persistent
//! connection per device, streams opened per command on the sans-IO message layer. It exists because
//! adb_client's direct-TCP device waits on read timeouts at every session end (~44 ms per command).

use super::auth;
use super::proto::{
    AUTH_RSAPUBLICKEY, AUTH_SIGNATURE, AUTH_TOKEN, Cmd, Decoder, MAX_PAYLOAD, Message, VERSION,
};
use super::shell_v2;
use super::sync::{self, Response, ResponseParser};
use crate::transport::{ShellOutput, TransportError};
use rsa::RsaPrivateKey;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Shortest read timeout once connected.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// Features this host announces.
const HOST_BANNER: &str = "host::features=shell_v2,cmd,stat_v2";

/// One open stream.
struct OpenStream {
    local: u32,
    remote: u32,
    inbox: Vec<Vec<u8>>,
    closed: bool,
}

/// A persistent connection to one device's adbd.
pub struct DirectConnection {
    unit: String,
    stream: TcpStream,
    decoder: Decoder,
    max: usize,
    next_local: u32,
    banner: String,
    buf: Vec<u8>,
}

impl std::fmt::Debug for DirectConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DirectConnection({})", self.unit)
    }
}

fn io_err(unit: &str, e: std::io::Error, what: &str, timeout: Duration) -> TransportError {
    match e.kind() {
        ErrorKind::WouldBlock | ErrorKind::TimedOut => TransportError::Timeout {
            unit: unit.to_string(),
            millis: timeout.as_millis() as u64,
            what: what.to_string(),
        },
        ErrorKind::UnexpectedEof
        | ErrorKind::ConnectionReset
        | ErrorKind::ConnectionAborted
        | ErrorKind::ConnectionRefused
        | ErrorKind::BrokenPipe
        | ErrorKind::NotConnected => TransportError::Disconnected {
            unit: unit.to_string(),
            detail: format!("{what}: {e}"),
        },
        _ => TransportError::Io {
            unit: unit.to_string(),
            detail: format!("{what}: {e}"),
        },
    }
}

impl DirectConnection {
    /// Connects, says CNXN and authenticates with `key` when the device asks.
    pub fn connect(
        addr: SocketAddr,
        key: Option<&RsaPrivateKey>,
        timeout: Duration,
    ) -> Result<Self, TransportError> {
        let unit = addr.to_string();
        let stream = TcpStream::connect_timeout(&addr, timeout)
            .map_err(|e| io_err(&unit, e, "connect", timeout))?;
        let _ = stream.set_nodelay(true);
        stream
            .set_read_timeout(Some(timeout))
            .map_err(|e| io_err(&unit, e, "set timeout", timeout))?;
        let mut c = DirectConnection {
            unit,
            stream,
            decoder: Decoder::new(MAX_PAYLOAD),
            max: MAX_PAYLOAD as usize,
            next_local: 1,
            banner: String::new(),
            buf: vec![0u8; 256 * 1024],
        };
        c.send(&Message::new(
            Cmd::CNXN,
            VERSION,
            MAX_PAYLOAD,
            format!("{HOST_BANNER}\0"),
        ))?;
        let mut signed = false;
        let mut offered = false;
        loop {
            let m = c.recv(timeout)?;
            match (m.cmd, m.arg0) {
                (Cmd::CNXN, _) => {
                    c.max = (m.arg1 as usize).clamp(4096, MAX_PAYLOAD as usize);
                    c.banner = m.payload_str();
                    // Commands may take longer than a handshake (`pm install` on a real phone).
                    c.stream
                        .set_read_timeout(Some(timeout.max(COMMAND_TIMEOUT)))
                        .map_err(|e| io_err(&c.unit, e, "set timeout", timeout))?;
                    return Ok(c);
                }
                (Cmd::AUTH, AUTH_TOKEN) => {
                    let Some(key) = key else {
                        return Err(c.unauthorized("no host key to sign the AUTH token"));
                    };
                    if !signed {
                        signed = true;
                        let sig = auth::sign_token(key, &m.payload).map_err(|e| c.proto(e))?;
                        c.send(&Message::new(Cmd::AUTH, AUTH_SIGNATURE, 0, sig))?;
                    } else if !offered {
                        offered = true;
                        let public = auth::encode_public_key(&key.to_public_key(), "mynacert@host")
                            .map_err(|e| c.proto(e))?;
                        let mut payload = public.into_bytes();
                        payload.push(0);
                        c.send(&Message::new(Cmd::AUTH, AUTH_RSAPUBLICKEY, 0, payload))?;
                    } else {
                        return Err(c.unauthorized("the device refused our key"));
                    }
                }
                _ => {}
            }
        }
    }

    fn unauthorized(&self, why: &str) -> TransportError {
        TransportError::Disconnected {
            unit: self.unit.clone(),
            detail: format!("unauthorized: {why}"),
        }
    }

    fn proto(&self, e: impl std::fmt::Display) -> TransportError {
        TransportError::Protocol {
            unit: self.unit.clone(),
            detail: e.to_string(),
        }
    }

    /// The device's CNXN banner.
    pub fn banner(&self) -> &str {
        &self.banner
    }

    fn send(&mut self, m: &Message) -> Result<(), TransportError> {
        let bytes = m.encode();
        self.stream
            .write_all(&bytes)
            .map_err(|e| io_err(&self.unit, e, "write", Duration::ZERO))
    }

    fn recv(&mut self, timeout: Duration) -> Result<Message, TransportError> {
        loop {
            if let Some(m) = self.decoder.next_message().map_err(|e| self.proto(e))? {
                return Ok(m);
            }
            // A step's or scenario's deadline shortens the wait: a hung unit ends the step.
            let (wait, capped) = mynacert_wire::deadline::cap(timeout);
            if capped {
                self.stream
                    .set_read_timeout(Some(wait))
                    .map_err(|e| io_err(&self.unit, e, "set timeout", wait))?;
            }
            let read = self.stream.read(&mut self.buf);
            if capped {
                let _ = self.stream.set_read_timeout(Some(timeout));
            }
            let n = read.map_err(|e| {
                let what = if capped {
                    "read before the step's timeout"
                } else {
                    "read"
                };
                io_err(&self.unit, e, what, wait)
            })?;
            if n == 0 {
                return Err(TransportError::Disconnected {
                    unit: self.unit.clone(),
                    detail: "connection closed by the device".into(),
                });
            }
            self.decoder.feed(&self.buf[..n]);
        }
    }

    fn timeout(&self) -> Duration {
        self.stream
            .read_timeout()
            .ok()
            .flatten()
            .unwrap_or(Duration::from_secs(30))
    }

    fn open(&mut self, service: &str) -> Result<OpenStream, TransportError> {
        let local = self.next_local;
        self.next_local = self.next_local.wrapping_add(1).max(1);
        self.send(&Message::new(Cmd::OPEN, local, 0, format!("{service}\0")))?;
        let t = self.timeout();
        loop {
            let m = self.recv(t)?;
            if m.arg1 != local {
                continue;
            }
            match m.cmd {
                Cmd::OKAY => {
                    return Ok(OpenStream {
                        local,
                        remote: m.arg0,
                        inbox: Vec::new(),
                        closed: false,
                    });
                }
                Cmd::CLSE => {
                    return Err(TransportError::Protocol {
                        unit: self.unit.clone(),
                        // Only the service kind: the command line may carry a typed secret.
                        detail: format!(
                            "device refused service `{}`",
                            service.split(':').next().unwrap_or("")
                        ),
                    });
                }
                _ => {}
            }
        }
    }

    /// Handles one incoming message for stream `s`; returns true when it was an OKAY for our write.
    fn dispatch(&mut self, s: &mut OpenStream, m: Message) -> Result<bool, TransportError> {
        if m.arg1 != s.local {
            return Ok(false);
        }
        match m.cmd {
            Cmd::WRTE => {
                self.send(&Message::new(Cmd::OKAY, s.local, s.remote, Vec::new()))?;
                s.inbox.push(m.payload);
                Ok(false)
            }
            Cmd::CLSE => {
                s.closed = true;
                Ok(false)
            }
            Cmd::OKAY => Ok(true),
            _ => Ok(false),
        }
    }

    fn write_stream(&mut self, s: &mut OpenStream, data: &[u8]) -> Result<(), TransportError> {
        let t = self.timeout();
        for chunk in data.chunks(self.max) {
            self.send(&Message::new(Cmd::WRTE, s.local, s.remote, chunk))?;
            loop {
                if s.closed {
                    return Err(self.proto("device closed the stream while we were writing"));
                }
                let m = self.recv(t)?;
                if self.dispatch(s, m)? {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Next bytes on the stream, `None` once the device closed it.
    fn read_stream(&mut self, s: &mut OpenStream) -> Result<Option<Vec<u8>>, TransportError> {
        let t = self.timeout();
        loop {
            if !s.inbox.is_empty() {
                return Ok(Some(s.inbox.remove(0)));
            }
            if s.closed {
                return Ok(None);
            }
            let m = self.recv(t)?;
            self.dispatch(s, m)?;
        }
    }

    fn close(&mut self, s: &OpenStream) -> Result<(), TransportError> {
        // Sent whether or not the device closed first (then it acknowledges its close).
        self.send(&Message::new(Cmd::CLSE, s.local, s.remote, Vec::new()))
    }

    /// Runs a command with shell v2 (stdout, stderr, exit code).
    pub fn shell(&mut self, command: &str) -> Result<ShellOutput, TransportError> {
        let mut s = self.open(&format!("shell,v2,raw:{command}"))?;
        let mut collector = shell_v2::OutputCollector::default();
        while let Some(bytes) = self.read_stream(&mut s)? {
            if collector.feed(&bytes) {
                break;
            }
        }
        self.close(&s)?;
        Ok(collector.finish())
    }

    /// Runs `exec:` (raw stdout, no exit code).
    pub fn exec(&mut self, command: &str) -> Result<Vec<u8>, TransportError> {
        let mut s = self.open(&format!("exec:{command}"))?;
        let mut out = Vec::new();
        while let Some(bytes) = self.read_stream(&mut s)? {
            out.extend_from_slice(&bytes);
        }
        self.close(&s)?;
        Ok(out)
    }

    fn sync_answer(
        &mut self,
        s: &mut OpenStream,
        parser: &mut ResponseParser,
    ) -> Result<Response, TransportError> {
        loop {
            if let Some(r) = parser.next_response().map_err(|e| self.proto(e))? {
                return Ok(r);
            }
            match self.read_stream(s)? {
                Some(bytes) => parser.feed(&bytes),
                None => return Err(self.proto("sync stream closed before the answer")),
            }
        }
    }

    /// Writes a file (sync SEND/DATA/DONE).
    pub fn push(&mut self, data: &[u8], path: &str, mode: u32) -> Result<(), TransportError> {
        let mut s = self.open("sync:")?;
        let mut req = Vec::with_capacity(data.len() + 64);
        sync::frame_into(b"SEND", format!("{path},{mode}").as_bytes(), &mut req);
        for chunk in data.chunks(sync::MAX_CHUNK) {
            sync::frame_into(b"DATA", chunk, &mut req);
        }
        sync::word_into(b"DONE", 0, &mut req);
        self.write_stream(&mut s, &req)?;
        let mut parser = ResponseParser::default();
        let answer = self.sync_answer(&mut s, &mut parser)?;
        let mut quit = Vec::new();
        sync::word_into(b"QUIT", 0, &mut quit);
        let _ = self.write_stream(&mut s, &quit);
        self.close(&s)?;
        match answer {
            Response::Okay => Ok(()),
            Response::Fail(m) => Err(TransportError::Io {
                unit: self.unit.clone(),
                detail: format!("push {path}: {m}"),
            }),
            other => Err(self.proto(format!("unexpected answer to SEND: {other:?}"))),
        }
    }

    /// Reads a file (sync RECV).
    pub fn pull(&mut self, path: &str) -> Result<Vec<u8>, TransportError> {
        let mut s = self.open("sync:")?;
        let mut req = Vec::new();
        sync::frame_into(b"RECV", path.as_bytes(), &mut req);
        self.write_stream(&mut s, &req)?;
        let mut parser = ResponseParser::default();
        let mut data = Vec::new();
        let result = loop {
            match self.sync_answer(&mut s, &mut parser)? {
                Response::Data(d) => data.extend_from_slice(&d),
                Response::Done => break Ok(data),
                Response::Fail(m) => {
                    break Err(TransportError::Io {
                        unit: self.unit.clone(),
                        detail: format!("pull {path}: {m}"),
                    });
                }
                other => break Err(self.proto(format!("unexpected answer to RECV: {other:?}"))),
            }
        };
        let mut quit = Vec::new();
        sync::word_into(b"QUIT", 0, &mut quit);
        let _ = self.write_stream(&mut s, &quit);
        self.close(&s)?;
        result
    }
}
