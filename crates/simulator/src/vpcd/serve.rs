//! Serving virtual cards and phone SEs on vpcd slots: one thread per slot connects to vpcd (pcscd's
//! virtual reader driver) and relays its requests to an in-process APDU session. Connecting is inserting
//! the card into the reader; closing the socket is removing it.

use super::card::{SessionOpener, VpcdCard};
use super::codec::{FrameDecoder, Request, encode_frame};
use crate::card::JpkiApplet;
use crate::lab::ApduTarget;
use crate::transport::CardTransport;
use crate::virtual_lab::VirtualLab;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub use mynacert_wire::vpcd::{VPCD_PORT, VPCD_SLOTS, reader_name};

/// How often a slot thread looks at its control channel while waiting for vpcd.
const POLL: Duration = Duration::from_millis(50);

/// One slot to serve: which virtual card or SE, and where vpcd listens for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardSlot {
    /// The virtual card or SE behind the slot.
    pub target: ApduTarget,
    /// vpcd's address for this slot (e.g. `127.0.0.1:35963`).
    pub vpcd: SocketAddr,
}

impl CardSlot {
    /// A slot on the local vpcd: `index` 0 → port 35963, 1 → 35964.
    pub fn local(target: ApduTarget, index: u16) -> CardSlot {
        CardSlot {
            target,
            vpcd: SocketAddr::from(([127, 0, 0, 1], VPCD_PORT + index)),
        }
    }
}

enum Control {
    Insert,
    Remove,
    Stop,
}

/// What a slot thread reports.
#[derive(Default)]
struct SlotStatus {
    connected: AtomicBool,
    /// Hung: the card reads commands and answers nothing until thawed.
    frozen: AtomicBool,
    apdus: AtomicU64,
    last_error: Mutex<Option<String>>,
}

struct SlotHandle {
    slot: CardSlot,
    control: Sender<Control>,
    status: Arc<SlotStatus>,
    thread: Option<JoinHandle<()>>,
}

/// A served card session that takes device time: a reader session (`se_read` in the timing) starts
/// with the SELECT of an application, which answers once that time × the lab's time scale has passed.
struct Timed {
    inner: Box<dyn CardTransport>,
    clock: crate::device_time::DeviceClock,
}

impl CardTransport for Timed {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, crate::transport::TransportError> {
        if command.get(1..3) == Some(&[0xA4, 0x04]) {
            self.clock
                .charge(mynacert_wire::timing::Action::SeRead, 1.0);
            crate::device_time::settle();
        }
        self.inner.transmit(command)
    }
}

/// Virtual cards being served on vpcd slots. Dropping it removes every card and stops the threads.
pub struct CardServer {
    slots: Vec<SlotHandle>,
}

/// Starts serving each slot's card (inserted at once). The threads keep re-connecting while vpcd is not
/// reachable, so the server may start before pcscd.
pub fn serve_cards(lab: &VirtualLab, slots: &[CardSlot]) -> CardServer {
    let sessions = lab.apdu_sessions();
    let clock = lab.device_clock().clone();
    let mut handles = Vec::new();
    for slot in slots {
        let (tx, rx) = mpsc::channel();
        let status = Arc::new(SlotStatus::default());
        let target = slot.target.clone();
        let s = sessions.clone();
        let c = clock.clone();
        let opener: SessionOpener = Box::new(move || {
            s.open(&target)
                .map(|inner| {
                    Box::new(Timed {
                        inner,
                        clock: c.clone(),
                    }) as Box<dyn CardTransport>
                })
                .map_err(|e| e.to_string())
        });
        let card = VpcdCard::new(JpkiApplet::CARD_ATR.to_vec(), opener);
        let addr = slot.vpcd;
        let st = status.clone();
        let thread = std::thread::Builder::new()
            .name(format!("vpcd-{}", addr.port()))
            .spawn(move || run_slot(addr, card, rx, st))
            .ok();
        if thread.is_none()
            && let Ok(mut e) = status.last_error.lock()
        {
            *e = Some("cannot start the slot thread".into());
        }
        handles.push(SlotHandle {
            slot: slot.clone(),
            control: tx,
            status,
            thread,
        });
    }
    CardServer { slots: handles }
}

impl CardServer {
    /// The served slots, in order.
    pub fn slots(&self) -> Vec<CardSlot> {
        self.slots.iter().map(|s| s.slot.clone()).collect()
    }

    /// Whether slot `index` is connected to vpcd (its card is in the reader).
    pub fn connected(&self, index: usize) -> bool {
        self.slots
            .get(index)
            .is_some_and(|s| s.status.connected.load(Ordering::SeqCst))
    }

    /// APDUs relayed on slot `index` so far.
    pub fn apdus(&self, index: usize) -> u64 {
        self.slots
            .get(index)
            .map_or(0, |s| s.status.apdus.load(Ordering::SeqCst))
    }

    /// The last error a slot met (vpcd unreachable, session failure), if any.
    pub fn last_error(&self, index: usize) -> Option<String> {
        self.slots
            .get(index)
            .and_then(|s| s.status.last_error.lock().ok().and_then(|e| e.clone()))
    }

    /// Waits until slot `index` is connected (true) or `timeout` passes (false).
    pub fn wait_connected(&self, index: usize, connected: bool, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.connected(index) == connected {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Puts the card of slot `index` (back) on its reader: connects to vpcd.
    pub fn insert(&self, index: usize) {
        if let Some(s) = self.slots.get(index) {
            let _ = s.control.send(Control::Insert);
        }
    }

    /// Hangs the card of slot `index` (`true`: it takes commands and answers nothing) or thaws it.
    pub fn freeze(&self, index: usize, frozen: bool) {
        if let Some(s) = self.slots.get(index) {
            s.status.frozen.store(frozen, Ordering::SeqCst);
        }
    }

    /// Takes the card of slot `index` off its reader: closes the socket (what killing the card does).
    pub fn remove(&self, index: usize) {
        if let Some(s) = self.slots.get(index) {
            let _ = s.control.send(Control::Remove);
        }
    }

    /// Removes every card and joins the threads.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        for s in &self.slots {
            let _ = s.control.send(Control::Stop);
        }
        for s in &mut self.slots {
            if let Some(t) = s.thread.take() {
                let _ = t.join();
            }
        }
    }
}

impl Drop for CardServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn note(status: &SlotStatus, e: impl ToString) {
    if let Ok(mut slot) = status.last_error.lock() {
        *slot = Some(e.to_string());
    }
}

/// What made a connected session end.
enum Ended {
    Removed,
    Stopped,
    Lost,
}

/// Whether the slot was told to stop or to take its card out (a session ends then).
fn told_to_end(control: &Receiver<Control>) -> Option<Ended> {
    match control.try_recv() {
        Ok(Control::Stop) | Err(TryRecvError::Disconnected) => Some(Ended::Stopped),
        Ok(Control::Remove) => Some(Ended::Removed),
        Ok(Control::Insert) | Err(TryRecvError::Empty) => None,
    }
}

fn run_slot(
    addr: SocketAddr,
    mut card: VpcdCard,
    control: Receiver<Control>,
    status: Arc<SlotStatus>,
) {
    let mut inserted = true;
    loop {
        match control.try_recv() {
            Ok(Control::Stop) | Err(TryRecvError::Disconnected) => return,
            Ok(Control::Insert) => inserted = true,
            Ok(Control::Remove) => inserted = false,
            Err(TryRecvError::Empty) => {}
        }
        if !inserted {
            std::thread::sleep(POLL);
            continue;
        }
        let stream = match TcpStream::connect_timeout(&addr, Duration::from_millis(500)) {
            Ok(s) => s,
            Err(e) => {
                note(&status, format!("vpcd at {addr}: {e}"));
                std::thread::sleep(Duration::from_millis(200));
                continue;
            }
        };
        status.connected.store(true, Ordering::SeqCst);
        let ended = relay(&stream, &mut card, &control, &status);
        let _ = stream.shutdown(Shutdown::Both);
        drop(stream);
        status.connected.store(false, Ordering::SeqCst);
        let _ = card.handle(Request::PowerOff);
        match ended {
            Ended::Stopped => return,
            Ended::Removed => inserted = false,
            Ended::Lost => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

fn relay(
    stream: &TcpStream,
    card: &mut VpcdCard,
    control: &Receiver<Control>,
    status: &SlotStatus,
) -> Ended {
    if stream.set_nodelay(true).is_err() || stream.set_read_timeout(Some(POLL)).is_err() {
        note(status, "cannot configure the vpcd socket");
        return Ended::Lost;
    }
    quick_ack(stream);
    let mut reader = stream;
    let mut writer = stream;
    let mut decoder = FrameDecoder::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = told_to_end(control) {
            return end;
        }
        match reader.read(&mut buf) {
            Ok(0) => {
                note(status, "vpcd closed the connection");
                return Ended::Lost;
            }
            Ok(n) => {
                decoder.push(&buf[..n]);
                quick_ack(stream);
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                note(status, format!("vpcd socket: {e}"));
                return Ended::Lost;
            }
        }
        // A hung card: what it was sent waits, unanswered, until it is thawed (or leaves).
        while status.frozen.load(Ordering::SeqCst) {
            if let Some(end) = told_to_end(control) {
                return end;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        while let Some(payload) = decoder.next_payload() {
            let answer = Request::decode(&payload)
                .map_err(|e| e.to_string())
                .and_then(|r| {
                    let apdu = matches!(r, Request::Apdu(_));
                    let a = card.handle(r).map_err(|e| e.to_string());
                    if apdu {
                        status.apdus.fetch_add(1, Ordering::SeqCst);
                    }
                    a
                });
            match answer {
                Ok(None) => {}
                Ok(Some(bytes)) => {
                    let frame = match encode_frame(&bytes) {
                        Ok(f) => f,
                        Err(e) => {
                            note(status, e);
                            return Ended::Lost;
                        }
                    };
                    if let Err(e) = writer.write_all(&frame) {
                        note(status, format!("vpcd socket: {e}"));
                        return Ended::Lost;
                    }
                }
                Err(e) => {
                    // The card cannot answer: it leaves the reader rather than answering garbage.
                    note(status, e);
                    return Ended::Removed;
                }
            }
        }
    }
}

/// vpcd's driver writes the length and the payload of a frame in two sends without `TCP_NODELAY`:
/// acknowledging at once keeps its second send from waiting for our delayed ACK (~40 ms per APDU).
/// Linux resets the flag after each receive, so it is set again after every read.
fn quick_ack(stream: &TcpStream) {
    #[cfg(target_os = "linux")]
    {
        use std::os::linux::net::TcpStreamExt as _;
        let _ = stream.set_quickack(true);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = stream;
}

/// The slots `mynacert lab serve` uses by default: the first identity's card on slot 0 and the first
/// unit's SE on slot 1 of the local vpcd.
pub fn default_slots(identity: Option<&str>, serial: Option<&str>) -> Vec<CardSlot> {
    let mut out = Vec::new();
    if let Some(id) = identity {
        out.push(CardSlot::local(ApduTarget::Card(id.to_string()), 0));
    }
    if let Some(s) = serial {
        out.push(CardSlot::local(ApduTarget::SecureElement(s.to_string()), 1));
    }
    out
}
