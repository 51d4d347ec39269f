//! ADB, both ends. The sans-IO core (`proto` message header and checksums, `shell_v2` packets, `sync`
//! frames, the device-side connection state machine in `device`, `auth` keys and signatures) is pure;
//! `services` answers shell/exec/sync/install/reboot over a virtual phone's in-process shell; `server`
//! serves virtual phones as adbds on loopback TCP ports; `host` is a small direct-TCP client;
//! `transport` is the driver's [`crate::transport::ShellTransport`] over an adb server (adb_client) or
//! direct TCP.

pub mod host;
pub mod link;
pub mod reconnect;
pub mod server_client;
pub mod transport;

pub use mynacert_wire::adb::{auth, device, drops_connection, proto, shell_v2, sync};

#[cfg(test)]
mod tests;

pub use transport::{AdbEnv, AdbShellTransport};
