//! ADB, both ends. The sans-IO core (`proto` message header and checksums, `shell_v2` packets, `sync`
//! frames, the device-side connection state machine in `device`, `auth` keys and signatures) is pure;
//! `services` answers shell/exec/sync/install/reboot over a virtual phone's in-process shell; `server`
//! serves virtual phones as adbds on loopback TCP ports; `host` is a small direct-TCP client;
//! `transport` is the driver's [`crate::transport::ShellTransport`] over an adb server (adb_client) or
//! direct TCP.

pub mod auth;
pub mod device;
pub mod fleet;
pub mod host;
pub mod proto;
pub mod reconnect;
pub mod server;
pub mod server_client;
pub mod services;
pub mod shell_v2;
pub mod sync;
pub mod transport;

#[cfg(test)]
mod tests;

pub use server::{AdbdConfig, ServedPhone};
pub use transport::{AdbEnv, AdbShellTransport};
