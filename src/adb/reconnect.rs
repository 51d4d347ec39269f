//! Bringing a network (`HOST:PORT`) unit back on an adb server after it went away: a reboot, a factory
//! reset, a power cycle, or the adb server itself restarting and forgetting every unit it had connected.
//!
//! The decision is sans-IO ([`ReturnPlan`]): from what the server lists for the unit and whether the
//! unit's own port accepts a TCP connection, it says what to do next. The I/O loop ([`bring_back`]) asks
//! the server for its list (`host:devices`, which connects to nothing), probes the unit's port itself, and
//! sends `host:connect` only once the unit accepts connections — one connect per return, instead of the
//! server's own reconnect churn (or ours) against a closed port, in which Debian's adb 29 server has
//! aborted (`fdevent_epoll.cpp:88 failed to unregister fd`).

use super::server_client::server_request;
use crate::transport::TransportError;
use std::net::{SocketAddr, SocketAddrV4, TcpStream};
use std::time::{Duration, Instant};

/// What the adb server says of a unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listed {
    /// Online (`device`): commands reach it.
    Device,
    /// Not in the server's list.
    Absent,
    /// Listed in another state: `offline`, `connecting`, `authorizing`, `unauthorized`, …
    Other(String),
    /// The server does not answer (restarting, dead).
    ServerDown(String),
}

impl Listed {
    /// The unit's state in a `host:devices` answer (`SERIAL\tSTATE` lines).
    pub fn from_devices(list: &str, serial: &str) -> Listed {
        for line in list.lines() {
            let mut w = line.split_whitespace();
            if w.next() == Some(serial) {
                return match w.next() {
                    Some("device") => Listed::Device,
                    Some(state) => Listed::Other(state.to_string()),
                    None => Listed::Other("unknown".into()),
                };
            }
        }
        Listed::Absent
    }
}

/// What to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The unit is online.
    Done,
    /// Look again after a pause.
    Wait,
    /// The server does not know the unit: see whether the unit's port accepts a connection.
    ProbePort,
    /// The unit accepts connections: `host:connect` it.
    Connect,
    /// A stale entry (offline too long): `host:disconnect` it, then start over.
    Disconnect,
    /// The unit is not coming back (its port is closed and no return is expected).
    GiveUp(String),
}

/// How long a listed-but-not-online unit may stay so before its entry counts as stale: a TCP handshake
/// and AUTH take milliseconds; an `offline` entry that lasts this long is a dead connection the server
/// keeps for its own reconnect schedule.
pub const SETTLE: Duration = Duration::from_secs(3);

/// The decision state of one return.
#[derive(Debug, Clone)]
pub struct ReturnPlan {
    /// A return is expected (after a reboot, a reset, a power cycle): a closed port means "not yet".
    /// Otherwise a closed port means the unit is gone.
    pub expected: bool,
    /// Since when the unit has been listed in a state other than `device`.
    other_since: Option<Instant>,
}

impl ReturnPlan {
    pub fn new(expected: bool) -> Self {
        ReturnPlan {
            expected,
            other_since: None,
        }
    }

    /// The next step, from what the server lists.
    pub fn on_listed(&mut self, now: Instant, listed: &Listed) -> Step {
        match listed {
            Listed::Device => Step::Done,
            Listed::ServerDown(_) => Step::Wait,
            Listed::Absent => {
                self.other_since = None;
                Step::ProbePort
            }
            Listed::Other(state) => {
                let since = *self.other_since.get_or_insert(now);
                // `unauthorized` waits for a person to accept the key: never drop it.
                if state != "unauthorized" && now.duration_since(since) >= SETTLE {
                    self.other_since = None;
                    Step::Disconnect
                } else {
                    Step::Wait
                }
            }
        }
    }

    /// The next step, from whether the unit's port accepted a TCP connection.
    pub fn on_probe(&mut self, accepts: bool) -> Step {
        match (accepts, self.expected) {
            (true, _) => Step::Connect,
            (false, true) => Step::Wait,
            (false, false) => {
                Step::GiveUp("the adb server does not list it and it refuses connections".into())
            }
        }
    }
}

/// What the server lists for `addr`.
pub fn listed(server: SocketAddrV4, addr: SocketAddrV4) -> Listed {
    match server_request(server, "host:devices") {
        Ok(list) => Listed::from_devices(&list, &addr.to_string()),
        Err(e) => Listed::ServerDown(e),
    }
}

/// True when `addr` accepts a TCP connection (closed at once).
fn accepts(addr: SocketAddrV4) -> bool {
    TcpStream::connect_timeout(&SocketAddr::V4(addr), Duration::from_millis(500)).is_ok()
}

/// Waits until the server lists the network unit `addr` as `device`, connecting it once it accepts
/// connections, until `deadline`. `unit` names it in errors.
pub fn bring_back(
    server: SocketAddrV4,
    addr: SocketAddrV4,
    unit: &str,
    expected: bool,
    deadline: Instant,
) -> Result<(), TransportError> {
    let mut plan = ReturnPlan::new(expected);
    let mut last;
    let started = Instant::now();
    loop {
        last = listed(server, addr);
        let mut step = plan.on_listed(Instant::now(), &last);
        if step == Step::ProbePort {
            step = plan.on_probe(accepts(addr));
        }
        match step {
            Step::Done => return Ok(()),
            Step::Connect => {
                let _ = server_request(server, &format!("host:connect:{addr}"));
            }
            Step::Disconnect => {
                let _ = server_request(server, &format!("host:disconnect:{addr}"));
            }
            Step::GiveUp(why) => {
                return Err(TransportError::Disconnected {
                    unit: unit.to_string(),
                    detail: why,
                });
            }
            Step::Wait | Step::ProbePort => {}
        }
        if Instant::now() >= deadline {
            let state = match &last {
                Listed::Device => "online".to_string(),
                Listed::Absent => "not listed, port closed".to_string(),
                Listed::Other(s) => format!("listed as `{s}`"),
                Listed::ServerDown(e) => format!("adb server not answering: {e}"),
            };
            return Err(TransportError::Timeout {
                unit: unit.to_string(),
                millis: started.elapsed().as_millis() as u64,
                what: format!("{addr} to come back on the adb server ({state})"),
            });
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// After a reboot, reset or power-off reached the unit: waits (up to `limit`) until it is seen going
/// down — its port refuses connections (a network unit) or the server no longer lists it online — so
/// that a unit still shutting down is never taken for one already back. A unit never seen down within
/// `limit` is left to the wait for its return, which then finds it up.
pub fn wait_down(server: SocketAddrV4, serial: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        let down = match serial.parse::<SocketAddr>() {
            Ok(SocketAddr::V4(addr)) => !accepts(addr),
            _ => match server_request(server, "host:devices") {
                Ok(list) => Listed::from_devices(&list, serial) != Listed::Device,
                Err(_) => true,
            },
        };
        if down {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_devices_list_gives_each_units_state() {
        let list = "127.0.0.1:40001\tdevice\n127.0.0.1:40002\toffline\nR5CT1\tunauthorized\n";
        assert_eq!(
            Listed::from_devices(list, "127.0.0.1:40001"),
            Listed::Device
        );
        assert_eq!(
            Listed::from_devices(list, "127.0.0.1:40002"),
            Listed::Other("offline".into())
        );
        assert_eq!(
            Listed::from_devices(list, "127.0.0.1:4000"),
            Listed::Absent,
            "a prefix of another serial is not that serial"
        );
        assert_eq!(Listed::from_devices("", "R5CT1"), Listed::Absent);
    }

    #[test]
    fn a_forgotten_unit_is_connected_only_once_its_port_accepts() {
        let mut p = ReturnPlan::new(true);
        let t = Instant::now();
        assert_eq!(p.on_listed(t, &Listed::Absent), Step::ProbePort);
        assert_eq!(p.on_probe(false), Step::Wait, "booting: wait, no connect");
        assert_eq!(p.on_listed(t, &Listed::Absent), Step::ProbePort);
        assert_eq!(p.on_probe(true), Step::Connect);
        assert_eq!(
            p.on_listed(t, &Listed::Other("connecting".into())),
            Step::Wait
        );
        assert_eq!(p.on_listed(t, &Listed::Device), Step::Done);
    }

    #[test]
    fn a_closed_port_without_an_expected_return_is_a_gone_unit() {
        let mut p = ReturnPlan::new(false);
        assert_eq!(
            p.on_listed(Instant::now(), &Listed::Absent),
            Step::ProbePort
        );
        assert!(matches!(p.on_probe(false), Step::GiveUp(_)));
        // A unit the server forgot (a restarted server) but that accepts: connect it again.
        assert_eq!(p.on_probe(true), Step::Connect);
    }

    #[test]
    fn a_stale_offline_entry_is_dropped_after_settling_but_unauthorized_waits() {
        let mut p = ReturnPlan::new(true);
        let t = Instant::now();
        let offline = Listed::Other("offline".into());
        assert_eq!(p.on_listed(t, &offline), Step::Wait);
        assert_eq!(p.on_listed(t + SETTLE / 2, &offline), Step::Wait);
        assert_eq!(p.on_listed(t + SETTLE, &offline), Step::Disconnect);
        // Starts over: a new entry gets its own settling time.
        assert_eq!(p.on_listed(t + SETTLE * 2, &offline), Step::Wait);
        let mut q = ReturnPlan::new(true);
        let unauthorized = Listed::Other("unauthorized".into());
        assert_eq!(q.on_listed(t, &unauthorized), Step::Wait);
        assert_eq!(q.on_listed(t + SETTLE * 10, &unauthorized), Step::Wait);
    }

    #[test]
    fn a_server_that_does_not_answer_is_waited_for() {
        let mut p = ReturnPlan::new(false);
        assert_eq!(
            p.on_listed(Instant::now(), &Listed::ServerDown("refused".into())),
            Step::Wait
        );
    }
}
