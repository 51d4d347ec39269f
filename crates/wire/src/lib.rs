//! mynacert-wire: every sans-IO codec and pure type mynacert's harness and simulator share — APDUs, JPKI
//! constants and DER, ADB framing / shell v2 / sync / AUTH and the device-side connection state machine,
//! vpcd framing, bench-controller lines, shell quoting and splitting, uiautomator dumps — and the seam the
//! harness drives and the simulator implements ([`lab::Lab`], [`transport`]). No sockets, no threads, no
//! files: everything here is a function of its inputs, so every decoder can be fuzzed on its own.

pub mod adb;
pub mod apdu;
pub mod chaos;
pub mod clock;
pub mod control;
pub mod deadline;
pub mod identity;
pub mod jpki;
pub mod lab;
pub mod profile;
pub mod secret;
pub mod shell;
pub mod timing;
pub mod tls;
pub mod transport;
pub mod types;
pub mod ui;
pub mod vpcd;
