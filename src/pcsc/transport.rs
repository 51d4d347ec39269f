//! [`PcscTransport`]: one PC/SC session to the card on one reader.
//!
//! The `pcsc::Card` lives on a worker thread; the transport sends it commands over a channel and waits
//! at most the command's timeout (PC/SC itself has no per-command timeout: an RSA signature on a real
//! card can take 20 s). A PC/SC transaction borrows the card, so the worker holds it as a local for as
//! long as a multi-APDU operation lasts: for the whole session (`session_transaction`), or between
//! [`PcscTransport::begin_transaction`] and [`PcscTransport::end_transaction`].

use super::{PcscSettings, Share, transport_error, wait_for_card};
use crate::apdu::redact;
use crate::transport::{CardTransport, TransportError};
use pcsc::{Card, Context, Disposition, Protocols, Scope, ShareMode};
use std::ffi::CString;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

/// Most GET RESPONSE rounds followed for one command (`61xx` chains).
const MAX_GET_RESPONSE: usize = 64;

enum Req {
    Transmit(Vec<u8>),
    Begin,
    End,
    Close,
}

type Reply = Result<Vec<u8>, pcsc::Error>;

/// A session to the card on one PC/SC reader.
pub struct PcscTransport {
    reader: String,
    label: String,
    settings: PcscSettings,
    requests: Sender<(Req, Sender<Reply>)>,
    /// A command timed out: the worker may still be blocked in the reader; the session is unusable.
    stuck: bool,
    closed: Option<Receiver<()>>,
}

impl PcscTransport {
    /// Connects to the card on `reader` (an exact name; see [`super::resolve_reader`]), waiting up to
    /// `card_wait_ms` for one to be placed. With `session_transaction`, a transaction is begun at once.
    pub fn connect(reader: &str, settings: PcscSettings) -> Result<PcscTransport, TransportError> {
        let ctx = Context::establish(Scope::User)
            .map_err(|e| transport_error(reader, "establish context", e))?;
        let name = CString::new(reader).map_err(|_| TransportError::Io {
            unit: format!("reader `{reader}`"),
            detail: "reader name contains a NUL byte".into(),
        })?;
        wait_for_card(reader, true, Duration::from_millis(settings.card_wait_ms))?;
        let mode = match settings.share {
            Share::Shared => ShareMode::Shared,
            Share::Exclusive => ShareMode::Exclusive,
        };
        // SCardConnect can block (another application's transaction): connect on the worker and
        // wait no longer than the command timeout.
        let (tx, rx) = mpsc::channel();
        let (closed_tx, closed_rx) = mpsc::channel();
        let (ready_tx, ready_rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("pcsc-session".into())
            .spawn(move || {
                match ctx.connect(&name, mode, Protocols::ANY) {
                    Ok(card) => {
                        let _ = ready_tx.send(Ok(()));
                        worker(card, rx);
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
                let _ = closed_tx.send(());
            })
            .map_err(|e| TransportError::Io {
                unit: format!("reader `{reader}`"),
                detail: format!("cannot start the session thread: {e}"),
            })?;
        let limit = Duration::from_millis(settings.command_timeout_ms);
        match ready_rx.recv_timeout(limit) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(transport_error(reader, "connect", e)),
            Err(_) => {
                return Err(TransportError::Timeout {
                    unit: format!("reader `{reader}`"),
                    millis: settings.command_timeout_ms,
                    what: "connect (another application holds the card)".into(),
                });
            }
        }
        let mut t = PcscTransport {
            reader: reader.to_string(),
            label: format!("reader `{reader}`"),
            settings,
            requests: tx,
            stuck: false,
            closed: Some(closed_rx),
        };
        if t.settings.session_transaction {
            t.begin_transaction()?;
        }
        Ok(t)
    }

    /// The reader's name.
    pub fn reader(&self) -> &str {
        &self.reader
    }

    /// The settings in force.
    pub fn settings(&self) -> &PcscSettings {
        &self.settings
    }

    fn call(&mut self, req: Req, what: &str, timeout: Duration) -> Result<Vec<u8>, TransportError> {
        if self.stuck {
            return Err(TransportError::Disconnected {
                unit: self.label.clone(),
                detail: "session unusable after a timed-out command".into(),
            });
        }
        let (reply_tx, reply_rx) = mpsc::channel();
        self.requests
            .send((req, reply_tx))
            .map_err(|_| TransportError::Disconnected {
                unit: self.label.clone(),
                detail: format!("{what}: session thread ended"),
            })?;
        // A step's or scenario's deadline shortens the wait: a hung reader ends the step.
        let (timeout, capped) = mynacert_wire::deadline::cap(timeout);
        match reply_rx.recv_timeout(timeout) {
            Ok(Ok(bytes)) => Ok(bytes),
            Ok(Err(e)) => Err(transport_error(&self.reader, what, e)),
            Err(RecvTimeoutError::Timeout) => {
                self.stuck = true;
                Err(TransportError::Timeout {
                    unit: self.label.clone(),
                    millis: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
                    what: if capped {
                        format!("{what} before the step's timeout")
                    } else {
                        what.to_string()
                    },
                })
            }
            Err(RecvTimeoutError::Disconnected) => Err(TransportError::Disconnected {
                unit: self.label.clone(),
                detail: format!("{what}: session thread ended"),
            }),
        }
    }

    /// Begins a PC/SC transaction: no other application's command reaches the card until
    /// [`PcscTransport::end_transaction`] (or the end of the session).
    pub fn begin_transaction(&mut self) -> Result<(), TransportError> {
        let t = Duration::from_millis(self.settings.command_timeout_ms);
        self.call(Req::Begin, "begin transaction", t).map(|_| ())
    }

    /// Ends the transaction begun last (leaving the card as it is).
    pub fn end_transaction(&mut self) -> Result<(), TransportError> {
        let t = Duration::from_millis(self.settings.command_timeout_ms);
        self.call(Req::End, "end transaction", t).map(|_| ())
    }

    /// Runs a multi-APDU operation inside one transaction (a no-op wrapper when the session already
    /// holds one).
    pub fn transaction<R>(
        &mut self,
        f: impl FnOnce(&mut PcscTransport) -> R,
    ) -> Result<R, TransportError> {
        if self.settings.session_transaction {
            return Ok(f(self));
        }
        self.begin_transaction()?;
        let r = f(self);
        self.end_transaction()?;
        Ok(r)
    }
}

impl CardTransport for PcscTransport {
    fn name(&self) -> &str {
        &self.label
    }

    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let timeout = self.settings.timeout_for(command);
        let what = format!("command {}", short(&redact(command)));
        self.call(Req::Transmit(command.to_vec()), &what, timeout)
    }
}

fn short(hex: &str) -> String {
    if hex.len() > 40 {
        format!("{}…", &hex[..40])
    } else {
        hex.to_string()
    }
}

impl Drop for PcscTransport {
    fn drop(&mut self) {
        let (tx, _rx) = mpsc::channel();
        let _ = self.requests.send((Req::Close, tx));
        // Wait briefly for the disconnect (which resets the card), so that the next session starts
        // clean; a worker stuck longer in the reader is left behind.
        if let Some(closed) = self.closed.take() {
            let _ = closed.recv_timeout(Duration::from_secs(2));
        }
    }
}

/// Sends one command; follows `61xx` with GET RESPONSE (T=0 readers) and returns data + final SW.
fn exchange(card: &Card, command: &[u8]) -> Reply {
    let mut buf = vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED];
    let mut out = card.transmit(command, &mut buf)?.to_vec();
    for _ in 0..MAX_GET_RESPONSE {
        let n = out.len();
        if n < 2 || out[n - 2] != 0x61 {
            break;
        }
        let le = out[n - 1];
        out.truncate(n - 2);
        let cla = command.first().copied().unwrap_or(0) & 0x03;
        let more = card.transmit(&[cla, 0xC0, 0x00, 0x00, le], &mut buf)?;
        out.extend_from_slice(more);
    }
    Ok(out)
}

enum Flow {
    Begin(Sender<Reply>),
    End(Sender<Reply>),
    Close,
}

/// Answers transmits until a Begin, End or Close arrives.
fn serve(card: &Card, rx: &Receiver<(Req, Sender<Reply>)>) -> Flow {
    while let Ok((req, reply)) = rx.recv() {
        match req {
            Req::Transmit(c) => {
                let _ = reply.send(exchange(card, &c));
            }
            Req::Begin => return Flow::Begin(reply),
            Req::End => return Flow::End(reply),
            Req::Close => return Flow::Close,
        }
    }
    Flow::Close
}

fn worker(mut card: Card, rx: Receiver<(Req, Sender<Reply>)>) {
    loop {
        match serve(&card, &rx) {
            Flow::Close => break,
            Flow::End(reply) => {
                let _ = reply.send(Err(pcsc::Error::NotTransacted));
            }
            Flow::Begin(reply) => match card.transaction() {
                Err(e) => {
                    let _ = reply.send(Err(e));
                }
                Ok(txn) => {
                    let _ = reply.send(Ok(Vec::new()));
                    let flow = serve(&txn, &rx);
                    let ended = txn.end(Disposition::LeaveCard).map_err(|(_, e)| e);
                    match flow {
                        Flow::Close => break,
                        Flow::End(reply) => {
                            let _ = reply.send(ended.map(|_| Vec::new()));
                        }
                        Flow::Begin(reply) => {
                            let _ = reply.send(Err(pcsc::Error::InvalidValue));
                        }
                    }
                }
            },
        }
    }
    let _ = card.disconnect(Disposition::ResetCard);
}
