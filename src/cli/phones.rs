//! `mynacert run --phones …`: how the runner reaches the virtual lab's phones. In process (the default),
//! or over real ADB: every phone served as an adbd on loopback (as `mynacert lab serve` does) and driven
//! straight over TCP, or through an adb server that `adb connect`s them (and forgets them after the run).

use super::commands::CliError;
use crate::adb::AdbdConfig;
use crate::adb::fleet::{
    Route, ServedFleet, connect_lab, connect_through_server, disconnect_through_server,
};
use crate::adb::transport::AdbEnv;
use crate::lab::Lab;
use crate::lab::virtual_lab::VirtualLab;
use std::net::{SocketAddr, SocketAddrV4};
use std::time::Duration;

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

/// The served phones, kept for the run; dropping it disconnects them from the server and stops them.
#[derive(Debug)]
pub struct PhoneLink {
    /// What the run's header line says about the path.
    pub description: String,
    served: Option<ServedFleet>,
    server: Option<(SocketAddrV4, Vec<SocketAddr>)>,
}

impl Drop for PhoneLink {
    fn drop(&mut self) {
        if let Some((server, addrs)) = self.server.take() {
            disconnect_through_server(server, &addrs);
        }
        self.served.take();
    }
}

/// Wires `lab`'s phone drivers to the chosen path.
pub fn link(
    lab: &mut VirtualLab,
    path: PhonePath,
    port_base: u16,
    boot_timeout: Duration,
) -> Result<PhoneLink, CliError> {
    if path == PhonePath::InProcess {
        return Ok(PhoneLink {
            description: "phones: in process".into(),
            served: None,
            server: None,
        });
    }
    let served = ServedFleet::serve(lab, port_base, &AdbdConfig::default()).map_err(|e| {
        CliError::Infra(format!(
            "cannot serve the virtual phones from port {port_base}: {e} (choose another --adb-port-base, 0 = any)"
        ))
    })?;
    let addrs: Vec<SocketAddr> = served.addresses().values().copied().collect();
    let first = addrs.first().map(|a| a.to_string()).unwrap_or_default();
    if path == PhonePath::AdbDirect {
        connect_lab(lab, served.addresses(), Route::Direct, boot_timeout);
        return Ok(PhoneLink {
            description: served_description(lab, addrs.len(), &first),
            served: Some(served),
            server: None,
        });
    }
    let env = AdbEnv::from_process().map_err(CliError::Invalid)?;
    connect_through_server(env.server, &addrs, "device", Duration::from_secs(20)).map_err(|e| {
        CliError::Infra(format!(
            "{e}\nstart one (`adb start-server`, or `adb -P PORT nodaemon server` with \
             ADB_SERVER_SOCKET=tcp:127.0.0.1:PORT), or use --phones adb-direct"
        ))
    })?;
    connect_lab(
        lab,
        served.addresses(),
        Route::Server(env.server),
        boot_timeout,
    );
    Ok(PhoneLink {
        description: served_description(lab, addrs.len(), &first),
        served: Some(served),
        server: Some((env.server, addrs)),
    })
}

fn served_description(lab: &VirtualLab, n: usize, first: &str) -> String {
    format!(
        "phones: {n} virtual phones served as adbds (first at {first}); {}",
        lab.phone_path()
    )
}
