//! The byte transports under the drivers. Drivers (phone, card/SE, authority) speak the lab's real
//! languages over these traits; the virtual lab, PC/SC and ADB implement them.

use crate::types::{CertKind, IssuedRecord};
use thiserror::Error;

/// A transport failed: always an *infrastructure* problem, never a conformance failure.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// The unit or card went away (USB pulled, socket closed, card removed).
    #[error("{unit}: disconnected: {detail}")]
    Disconnected { unit: String, detail: String },
    /// No answer in time.
    #[error("{unit}: no answer within {millis} ms to {what}")]
    Timeout {
        unit: String,
        millis: u64,
        what: String,
    },
    /// The peer sent bytes that do not follow the protocol.
    #[error("{unit}: protocol error: {detail}")]
    Protocol { unit: String, detail: String },
    /// Any other I/O failure.
    #[error("{unit}: {detail}")]
    Io { unit: String, detail: String },
    /// The transport cannot do this (for example a power-on on a phone without a USB relay).
    #[error("{unit}: not supported by this lab: {what}")]
    Unsupported { unit: String, what: String },
}

/// What a shell command printed and how it ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShellOutput {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// `None` when the transport cannot report it (ADB shell v1).
    pub exit_code: Option<u8>,
}

impl ShellOutput {
    /// stdout as (lossy) UTF-8.
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    /// stderr as (lossy) UTF-8.
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
    /// True when the exit code is known and zero, or unknown and stderr is empty.
    pub fn success(&self) -> bool {
        match self.exit_code {
            Some(c) => c == 0,
            None => self.stderr.is_empty(),
        }
    }
}

/// ADB-level access to one phone: shell and sync services. Command lines arrive fully built and quoted
/// (see `phone::command`); a transport never builds command lines itself.
pub trait ShellTransport: Send {
    /// The unit's serial (ADB serial, or `host:port`).
    fn serial(&self) -> &str;
    /// Runs one shell command line (`shell,v2,raw:` on ADB).
    fn shell(&mut self, command: &str) -> Result<ShellOutput, TransportError>;
    /// Writes a file on the device (sync SEND).
    fn push(&mut self, data: &[u8], remote_path: &str, mode: u32) -> Result<(), TransportError>;
    /// Reads a file from the device (sync RECV).
    fn pull(&mut self, remote_path: &str) -> Result<Vec<u8>, TransportError>;
}

/// ISO 7816 APDU exchange with one card or secure element (PC/SC, vpcd, or in-process).
pub trait CardTransport: Send {
    /// Reader or unit name, for error messages.
    fn name(&self) -> &str;
    /// Sends one command APDU, returns response data followed by SW1 SW2.
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError>;
}

/// What the harness can ask of the certificate authority (J-LIS test environment): published status
/// (CA certificates, signed CRLs), the test-environment issuance ledger, and the hotline operator's
/// suspension actions.
pub trait AuthorityTransport: Send {
    /// DER CA certificate for one kind of certificate.
    fn ca_certificate(&mut self, kind: CertKind) -> Result<Vec<u8>, TransportError>;
    /// The current DER CRL published by the CA for `kind` (signed by that CA).
    fn crl(&mut self, kind: CertKind) -> Result<Vec<u8>, TransportError>;
    /// Smartphone certificates the authority issued to a person (test-environment ledger).
    fn issued(&mut self, person: &str) -> Result<Vec<IssuedRecord>, TransportError>;
    /// Whether the person's smartphone certificates are suspended (explicit suspension query).
    fn suspended(&mut self, person: &str) -> Result<bool, TransportError>;
    /// The hotline operator suspends (`true`) or lifts (`false`) a person's smartphone certificates.
    fn set_suspended(&mut self, person: &str, suspended: bool) -> Result<(), TransportError>;
    /// Test-environment clean-up: revoke every smartphone certificate of a person. Returns how many.
    fn revoke_all(&mut self, person: &str) -> Result<usize, TransportError>;
}

impl<T: ShellTransport + ?Sized> ShellTransport for Box<T> {
    fn serial(&self) -> &str {
        (**self).serial()
    }
    fn shell(&mut self, command: &str) -> Result<ShellOutput, TransportError> {
        (**self).shell(command)
    }
    fn push(&mut self, data: &[u8], remote_path: &str, mode: u32) -> Result<(), TransportError> {
        (**self).push(data, remote_path, mode)
    }
    fn pull(&mut self, remote_path: &str) -> Result<Vec<u8>, TransportError> {
        (**self).pull(remote_path)
    }
}

impl<T: CardTransport + ?Sized> CardTransport for Box<T> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transmit(command)
    }
}

impl<T: AuthorityTransport + ?Sized> AuthorityTransport for Box<T> {
    fn ca_certificate(&mut self, kind: CertKind) -> Result<Vec<u8>, TransportError> {
        (**self).ca_certificate(kind)
    }
    fn crl(&mut self, kind: CertKind) -> Result<Vec<u8>, TransportError> {
        (**self).crl(kind)
    }
    fn issued(&mut self, person: &str) -> Result<Vec<IssuedRecord>, TransportError> {
        (**self).issued(person)
    }
    fn suspended(&mut self, person: &str) -> Result<bool, TransportError> {
        (**self).suspended(person)
    }
    fn set_suspended(&mut self, person: &str, suspended: bool) -> Result<(), TransportError> {
        (**self).set_suspended(person, suspended)
    }
    fn revoke_all(&mut self, person: &str) -> Result<usize, TransportError> {
        (**self).revoke_all(person)
    }
}
