//! Shell command lines for `adb shell`: quoting every value that reaches a command line ([`quote`]) and
//! splitting one back into its words and commands ([`shlex`]), as Android's `sh` (mksh) reads it.

pub mod quote;
pub mod shlex;

pub use quote::{ShellCommand, quote};
