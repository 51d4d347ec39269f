//! The device side of one ADB connection, sans-IO: CNXN/AUTH handshake, streams (OPEN/OKAY/WRTE/CLSE)
//! with one WRTE in flight per stream, and services behind a [`ServiceHost`]. Bytes in, bytes out; the
//! TCP edge (`server.rs`) only moves them.

use super::auth::{self, AuthPolicy, TOKEN_LEN};
use super::proto::{
    AUTH_RSAPUBLICKEY, AUTH_SIGNATURE, AUTH_TOKEN, Cmd, Decoder, FrameError, MAX_PAYLOAD, Message,
    VERSION,
};
use std::collections::BTreeMap;

/// What a service produced after an event.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ServiceOutput {
    /// Bytes to send to the host on this stream.
    pub data: Vec<u8>,
    /// Close the stream once `data` is delivered.
    pub close: bool,
    /// Drop the whole connection once `data` is queued (reboot, factory reset).
    pub drop_connection: bool,
}

/// One open service stream.
pub trait Service: Send {
    /// Called once right after the stream opened.
    fn on_open(&mut self) -> ServiceOutput;
    /// Bytes the host wrote on the stream.
    fn on_data(&mut self, data: &[u8]) -> ServiceOutput;
}

/// Opens services by name (`shell,v2,raw:getprop`, `sync:`, `exec:…`, `reboot:`).
pub trait ServiceHost {
    /// A service, or `None` to refuse the OPEN.
    fn open(&mut self, service: &str) -> Option<Box<dyn Service>>;
}

/// Handshake state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnState {
    /// Waiting for the host's CNXN.
    Offline,
    /// Token sent, waiting for a signature or a public key.
    Unauthorized { token: [u8; TOKEN_LEN] },
    /// CNXN sent: services may be opened.
    Online,
}

struct Stream {
    remote: u32,
    service: Box<dyn Service>,
    queue: Vec<u8>,
    in_flight: bool,
    close_when_flushed: bool,
}

/// What the edge should do after feeding bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Keep the connection.
    Continue,
    /// Write the output, then close the socket.
    Disconnect,
}

/// Device side of one connection.
pub struct DeviceConn {
    decoder: Decoder,
    state: ConnState,
    policy: AuthPolicy,
    banner: String,
    host_max: u32,
    streams: BTreeMap<u32, Stream>,
    next_id: u32,
    token_source: Box<dyn FnMut() -> [u8; TOKEN_LEN] + Send>,
}

impl DeviceConn {
    /// A connection answering with `banner` (`device::ro.product.name=…;…;features=…`).
    pub fn new(banner: String, policy: AuthPolicy) -> Self {
        DeviceConn {
            decoder: Decoder::new(MAX_PAYLOAD),
            state: ConnState::Offline,
            policy,
            banner,
            host_max: MAX_PAYLOAD,
            streams: BTreeMap::new(),
            next_id: 1,
            token_source: Box::new(rand::random),
        }
    }

    /// Replaces the random AUTH token source (tests).
    pub fn with_token_source(mut self, source: Box<dyn FnMut() -> [u8; TOKEN_LEN] + Send>) -> Self {
        self.token_source = source;
        self
    }

    /// The handshake state.
    pub fn state(&self) -> &ConnState {
        &self.state
    }

    /// The authorization policy (with keys accepted so far).
    pub fn policy(&self) -> &AuthPolicy {
        &self.policy
    }

    /// Open streams.
    pub fn open_streams(&self) -> usize {
        self.streams.len()
    }

    /// Feeds received bytes; appends whatever must be sent to `out`.
    pub fn on_bytes(
        &mut self,
        bytes: &[u8],
        host: &mut dyn ServiceHost,
        out: &mut Vec<u8>,
    ) -> Result<Flow, FrameError> {
        self.decoder.feed(bytes);
        let mut flow = Flow::Continue;
        while let Some(msg) = self.decoder.next_message()? {
            if self.on_message(msg, host, out) == Flow::Disconnect {
                flow = Flow::Disconnect;
            }
        }
        Ok(flow)
    }

    fn online(&mut self, out: &mut Vec<u8>) {
        self.state = ConnState::Online;
        Message::new(Cmd::CNXN, VERSION, MAX_PAYLOAD, self.banner.as_bytes()).encode_into(out);
    }

    fn challenge(&mut self, out: &mut Vec<u8>) {
        let token = (self.token_source)();
        self.state = ConnState::Unauthorized { token };
        Message::new(Cmd::AUTH, AUTH_TOKEN, 0, token.to_vec()).encode_into(out);
    }

    fn on_message(&mut self, msg: Message, host: &mut dyn ServiceHost, out: &mut Vec<u8>) -> Flow {
        match msg.cmd {
            Cmd::CNXN => {
                self.host_max = msg.arg1.clamp(4096, MAX_PAYLOAD);
                self.streams.clear();
                if self.policy.is_off() {
                    self.online(out);
                } else {
                    self.challenge(out);
                }
                Flow::Continue
            }
            Cmd::AUTH => {
                self.on_auth(msg, out);
                Flow::Continue
            }
            _ if self.state != ConnState::Online => Flow::Continue,
            Cmd::OPEN => self.on_open(msg, host, out),
            Cmd::WRTE => self.on_write(msg, out),
            Cmd::OKAY => {
                if let Some(s) = self.streams.get_mut(&msg.arg1)
                    && s.remote == msg.arg0
                {
                    s.in_flight = false;
                }
                self.pump(msg.arg1, out);
                Flow::Continue
            }
            Cmd::CLSE => {
                if let Some(s) = self.streams.remove(&msg.arg1) {
                    Message::new(Cmd::CLSE, msg.arg1, s.remote, Vec::new()).encode_into(out);
                }
                Flow::Continue
            }
            // STLS and unknown commands: ignored, as adbd does for packets it does not expect.
            _ => Flow::Continue,
        }
    }

    fn on_auth(&mut self, msg: Message, out: &mut Vec<u8>) {
        let ConnState::Unauthorized { token } = self.state.clone() else {
            return;
        };
        let AuthPolicy::Keys {
            authorized,
            accept_new,
        } = &mut self.policy
        else {
            return;
        };
        match msg.arg0 {
            AUTH_SIGNATURE => {
                if authorized
                    .iter()
                    .any(|k| auth::verify_token(k, &token, &msg.payload))
                {
                    self.online(out);
                } else {
                    self.challenge(out);
                }
            }
            AUTH_RSAPUBLICKEY => {
                if *accept_new && let Ok(key) = auth::parse_public_key(&msg.payload) {
                    authorized.push(key);
                    self.online(out);
                }
            }
            _ => {}
        }
    }

    fn on_open(&mut self, msg: Message, host: &mut dyn ServiceHost, out: &mut Vec<u8>) -> Flow {
        let remote = msg.arg0;
        let name = msg.payload_str();
        let Some(mut service) = host.open(&name) else {
            Message::new(Cmd::CLSE, 0, remote, Vec::new()).encode_into(out);
            return Flow::Continue;
        };
        let local = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        Message::new(Cmd::OKAY, local, remote, Vec::new()).encode_into(out);
        let first = service.on_open();
        self.streams.insert(
            local,
            Stream {
                remote,
                service,
                queue: Vec::new(),
                in_flight: false,
                close_when_flushed: false,
            },
        );
        self.apply(local, first, out)
    }

    fn on_write(&mut self, msg: Message, out: &mut Vec<u8>) -> Flow {
        let local = msg.arg1;
        let Some(s) = self.streams.get_mut(&local) else {
            return Flow::Continue;
        };
        Message::new(Cmd::OKAY, local, s.remote, Vec::new()).encode_into(out);
        let produced = s.service.on_data(&msg.payload);
        self.apply(local, produced, out)
    }

    fn apply(&mut self, local: u32, produced: ServiceOutput, out: &mut Vec<u8>) -> Flow {
        if let Some(s) = self.streams.get_mut(&local) {
            s.queue.extend_from_slice(&produced.data);
            s.close_when_flushed |= produced.close;
        }
        self.pump(local, out);
        if produced.drop_connection {
            Flow::Disconnect
        } else {
            Flow::Continue
        }
    }

    /// Sends the next chunk of a stream when nothing is in flight; closes it when drained.
    fn pump(&mut self, local: u32, out: &mut Vec<u8>) {
        let max = self.host_max as usize;
        let Some(s) = self.streams.get_mut(&local) else {
            return;
        };
        if s.in_flight {
            return;
        }
        if !s.queue.is_empty() {
            let n = s.queue.len().min(max);
            let chunk: Vec<u8> = s.queue.drain(..n).collect();
            Message::new(Cmd::WRTE, local, s.remote, chunk).encode_into(out);
            s.in_flight = true;
            return;
        }
        if s.close_when_flushed {
            let remote = s.remote;
            self.streams.remove(&local);
            Message::new(Cmd::CLSE, local, remote, Vec::new()).encode_into(out);
        }
    }
}
