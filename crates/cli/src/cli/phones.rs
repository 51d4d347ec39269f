//! `mynacert run --phones …`: how the runner reaches the virtual lab's phones — in process (the default),
//! or over real ADB to each phone served as an adbd, straight over TCP or through an adb server. The
//! harness's lab factory does the wiring ([`mynacert::lab::PhonePath`]).

/// The path from the phone driver to the virtual phones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum PhonePath {
    /// Shell commands reach the virtual phones in process.
    #[default]
    InProcess,
    /// Each phone served as an adbd on 127.0.0.1; the driver speaks the ADB protocol to it over TCP.
    AdbDirect,
    /// Each phone served as an adbd; the driver goes through the adb server named by
    /// `ADB_SERVER_SOCKET` / `ANDROID_ADB_SERVER_ADDRESS` / `ANDROID_ADB_SERVER_PORT` (default
    /// 127.0.0.1:5037), which `adb connect`s every phone.
    AdbServer,
}

impl From<PhonePath> for mynacert::lab::PhonePath {
    fn from(p: PhonePath) -> Self {
        match p {
            PhonePath::InProcess => mynacert::lab::PhonePath::InProcess,
            PhonePath::AdbDirect => mynacert::lab::PhonePath::AdbDirect,
            PhonePath::AdbServer => mynacert::lab::PhonePath::AdbServer,
        }
    }
}
