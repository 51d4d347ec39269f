//! The virtual adbd's TCP edge: one loopback listener per virtual phone, one thread per connection,
//! bytes moved between the socket and a [`DeviceConn`]. `TCP_NODELAY` on every socket and each batch of
//! messages written with one `write` (DEPENDENCIES.md latency traps).

use super::services::{PhoneServices, SharedShell, banner};
use crate::transport::ShellTransport;
use mynacert_wire::adb::auth::AuthPolicy;
use mynacert_wire::adb::device::{DeviceConn, Flow};
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Opens a fresh in-process shell to the phone (one per connection).
pub type ShellFactory = Arc<dyn Fn() -> Box<dyn ShellTransport> + Send + Sync>;

/// How a served phone behaves.
#[derive(Debug, Clone)]
pub struct AdbdConfig {
    /// Who may connect.
    pub policy: AuthPolicy,
    /// After a reboot or factory reset the device refuses connections this long (it is "booting").
    pub boot_time: Duration,
    /// How long after answering a reboot or factory reset the device keeps its connections before
    /// it goes down (a real phone takes a moment too; a host that forgets the device in between sees
    /// a clean disconnect instead of a dropped connection).
    pub down_delay: Duration,
}

impl Default for AdbdConfig {
    fn default() -> Self {
        AdbdConfig {
            policy: AuthPolicy::Off,
            boot_time: Duration::from_millis(300),
            down_delay: Duration::from_millis(150),
        }
    }
}

struct Shared {
    serial: String,
    config: AdbdConfig,
    factory: ShellFactory,
    stop: AtomicBool,
    /// Hung: connections stay open and nothing is answered (a frozen phone).
    frozen: AtomicBool,
    booting_until: Mutex<Option<Instant>>,
    conns: Mutex<Vec<(u64, TcpStream)>>,
    next_conn: AtomicU64,
    /// The listening address, for waking the accept loop.
    addr: Mutex<Option<SocketAddr>>,
}

impl Shared {
    fn booting(&self) -> bool {
        match self.booting_until.lock() {
            Ok(g) => g.is_some_and(|t| Instant::now() < t),
            Err(_) => false,
        }
    }
    /// The device goes down for its boot time: the accept loop closes the port (connections are refused,
    /// as with a real phone that is rebooting) and opens it again once booted.
    fn go_down(&self) {
        if let Ok(mut b) = self.booting_until.lock() {
            *b = Some(Instant::now() + self.config.down_delay + self.config.boot_time);
        }
        // Wake the blocking accept so that it sees the device is down and closes the port.
        if let Ok(Some(addr)) = self.addr.lock().map(|a| *a) {
            let _ = TcpStream::connect_timeout(&addr, Duration::from_millis(200));
        }
    }

    /// True when the phone answers (it is powered): the banner's properties can be read.
    fn answers(&self) -> bool {
        let mut shell = (self.factory)();
        banner(shell.as_mut()).is_ok()
    }

    fn drop_all(&self) {
        if let Ok(mut conns) = self.conns.lock() {
            for (_, c) in conns.drain(..) {
                let _ = c.shutdown(Shutdown::Both);
            }
        }
    }
}

/// One virtual phone served as an adbd on a TCP port.
pub struct ServedPhone {
    shared: Arc<Shared>,
    addr: SocketAddr,
    accept: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for ServedPhone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ServedPhone({} at {})", self.shared.serial, self.addr)
    }
}

impl ServedPhone {
    /// Listens on `bind` (port 0 picks a free one) and serves the phone whose shell `factory` opens.
    pub fn serve(
        serial: &str,
        bind: SocketAddr,
        factory: ShellFactory,
        config: AdbdConfig,
    ) -> std::io::Result<ServedPhone> {
        let listener = TcpListener::bind(bind)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            serial: serial.to_string(),
            config,
            factory,
            stop: AtomicBool::new(false),
            frozen: AtomicBool::new(false),
            booting_until: Mutex::new(None),
            conns: Mutex::new(Vec::new()),
            next_conn: AtomicU64::new(1),
            addr: Mutex::new(Some(addr)),
        });
        let s = shared.clone();
        let accept = std::thread::Builder::new()
            .name(format!("adbd-{serial}"))
            .spawn(move || accept_loop(listener, addr, s))?;
        Ok(ServedPhone {
            shared,
            addr,
            accept: Some(accept),
        })
    }

    /// The listening address (`adb connect` target).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The phone's serial in the virtual lab.
    pub fn serial(&self) -> &str {
        &self.shared.serial
    }

    /// Connections currently open.
    pub fn connections(&self) -> usize {
        self.shared.conns.lock().map(|c| c.len()).unwrap_or(0)
    }

    /// Hangs the phone (`true`): it keeps its connections and accepts new ones, reads what the host
    /// sends and answers nothing, until thawed (`false`).
    pub fn freeze(&self, frozen: bool) {
        self.shared.frozen.store(frozen, Ordering::SeqCst);
    }

    /// Unplugs the phone: stops listening (connections are refused) and drops every connection.
    pub fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
        self.shared.drop_all();
    }
}

impl Drop for ServedPhone {
    fn drop(&mut self) {
        self.stop();
    }
}

fn accept_loop(listener: TcpListener, addr: SocketAddr, shared: Arc<Shared>) {
    let mut listener = Some(listener);
    while let Some(l) = listener.take() {
        for stream in l.incoming() {
            if shared.stop.load(Ordering::SeqCst) {
                return;
            }
            let Ok(stream) = stream else { continue };
            if shared.booting() {
                let _ = stream.shutdown(Shutdown::Both);
                break;
            }
            let s = shared.clone();
            let _ = std::thread::Builder::new()
                .name(format!("adbd-{}-conn", shared.serial))
                .spawn(move || serve_connection(stream, s));
        }
        // Down (rebooting, resetting, powered off): the port is closed — a host's connect is refused
        // rather than accepted and dropped, which is what a real phone does and what adb servers expect.
        drop(l);
        // Closed for the boot time, and for as long as the phone is powered off (its shell does not
        // answer): a host's reconnect attempts are refused until the phone is really back.
        while !shared.stop.load(Ordering::SeqCst) {
            if shared.booting() {
                std::thread::sleep(Duration::from_millis(20));
            } else if shared.answers() {
                break;
            } else {
                // Powered off: ask the phone (three property reads under the lab's lock) ten times a
                // second, not fifty.
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        for _ in 0..50 {
            match TcpListener::bind(addr) {
                Ok(l) => {
                    listener = Some(l);
                    break;
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }
}

fn serve_connection(mut stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let id = shared.next_conn.fetch_add(1, Ordering::SeqCst);
    match (stream.try_clone(), shared.conns.lock()) {
        (Ok(c), Ok(mut conns)) => conns.push((id, c)),
        _ => return,
    }
    let mut shell = (shared.factory)();
    let banner = match banner(shell.as_mut()) {
        Ok(b) => b,
        Err(_) => {
            // The phone does not answer (powered off): close the port for a while instead of
            // accepting and dropping every reconnect attempt.
            forget(&shared, id);
            let _ = stream.shutdown(Shutdown::Both);
            shared.go_down();
            return;
        }
    };
    let shell: SharedShell = Arc::new(Mutex::new(shell));
    let mut services = PhoneServices::new(shell);
    let mut conn = DeviceConn::new(banner, shared.config.policy.clone());
    let mut buf = vec![0u8; 256 * 1024];
    let mut out = Vec::new();
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        // A hung phone reads and never answers.
        while shared.frozen.load(Ordering::SeqCst) && !shared.stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(20));
        }
        out.clear();
        let flow = conn.on_bytes(&buf[..n], &mut services, &mut out);
        if flow == Ok(Flow::Disconnect) {
            // Reboot / factory reset: the device goes down (no new connection from here on, so a host
            // that reacts to the answer below cannot slip in), then comes back after its boot time.
            shared.go_down();
        }
        if !out.is_empty() && stream.write_all(&out).is_err() {
            break;
        }
        match flow {
            Ok(Flow::Continue) => {}
            Ok(Flow::Disconnect) => {
                std::thread::sleep(shared.config.down_delay);
                shared.drop_all();
                break;
            }
            Err(_) => break, // framing error: adbd drops the connection
        }
    }
    forget(&shared, id);
    let _ = stream.shutdown(Shutdown::Both);
}

fn forget(shared: &Shared, id: u64) {
    if let Ok(mut conns) = shared.conns.lock() {
        conns.retain(|(i, _)| *i != id);
    }
}
