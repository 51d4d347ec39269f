//! The phone driver: ADB-shell-level control of a phone and of the Mynaportal app through UI flows stored
//! as data (`fixtures/flows/mynaportal.yaml`).
//!
//! - [`quote`]: safe command-line building ([`ShellCommand`]); [`shlex`]: the matching POSIX tokenizer.
//! - [`ui`]: uiautomator dumps ([`UiTree`], [`Selector`]).
//! - [`flow`]: the flow data model ([`FlowBook`]); the engine runs it through [`PhoneDriver`].

pub mod driver;
mod engine;
pub mod flow;

pub use mynacert_wire::shell::{quote, shlex};
pub use mynacert_wire::ui;

pub use driver::{
    APK_STAGING_PATH, DeviceProps, DriverError, FlowOutcome, FlowValue, FlowVars, PhoneDriver,
};
pub use flow::{FlowBook, FlowError, FlowStep, WaitSettings};
pub use mynacert_wire::shell::ShellCommand;
pub use ui::{Selector, UiError, UiNode, UiTree};
