//! `mynacert devices`: units attached to an adb server (or reached directly), with their identity and
//! the model profile each matches in `devices/models/`.

use super::commands::CliError;
use mynacert::adb::transport::{AdbEnv, AdbShellTransport, default_host_key, server_request};
use mynacert::lab::load_profiles;
use mynacert::phone::driver::parse_getprop;
use mynacert::profile::DeviceProfile;
use mynacert::transport::ShellTransport;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

/// Options of `mynacert devices`.
#[derive(Debug, clap::Args)]
pub struct DevicesArgs {
    /// Also (or only) query adbds straight over TCP, without a server; repeatable.
    #[arg(long = "direct", value_name = "HOST:PORT")]
    pub direct: Vec<SocketAddr>,
    /// Do not ask the adb server (only `--direct` units).
    #[arg(long)]
    pub no_server: bool,
}

/// One unit as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub serial: String,
    pub state: String,
    pub props: std::collections::BTreeMap<String, String>,
}

/// Which profile a unit's `ro.product.model` matches, or a note on what an unknown model needs.
pub fn match_profile(
    props: &std::collections::BTreeMap<String, String>,
    profiles: &[Arc<DeviceProfile>],
) -> String {
    let model = props.get("ro.product.model").cloned().unwrap_or_default();
    if let Some(p) = profiles.iter().find(|p| p.model_code == model) {
        return p.id.clone();
    }
    let g = |k: &str| props.get(k).cloned().unwrap_or_default();
    format!(
        "unknown model (profile needs maker: {}, model_code: {}, model_name: {}, android: {}, sdk: {})",
        g("ro.product.manufacturer"),
        model,
        g("ro.product.marketname"),
        g("ro.build.version.release"),
        g("ro.build.version.sdk"),
    )
}

fn props_of(
    t: &mut dyn ShellTransport,
) -> Result<std::collections::BTreeMap<String, String>, String> {
    let out = t.shell("getprop").map_err(|e| e.to_string())?;
    Ok(parse_getprop(&out.stdout_text()))
}

/// `mynacert devices`.
pub fn devices(root: &Path, args: &DevicesArgs) -> Result<i32, CliError> {
    let profiles = load_profiles(&root.join("devices").join("models"))
        .map_err(|e| super::commands::invalid_all(&e))?;
    let mut listed = Vec::new();
    if !args.no_server {
        let env = AdbEnv::from_process().map_err(CliError::Invalid)?;
        // Our own `host:devices`: adb_client's `ADBServer` runs `adb start-server` first, which would
        // start a server of its own (with this user's keys) where none was meant to run.
        let list = server_request(env.server, "host:devices").map_err(|e| {
            CliError::Infra(format!(
                "no adb server at {} ({e}); start one (`adb start-server`) or set ADB_SERVER_SOCKET",
                env.server
            ))
        })?;
        for line in list.lines() {
            let mut w = line.split_whitespace();
            let (Some(serial), Some(state)) = (w.next(), w.next()) else {
                continue;
            };
            let mut props = Default::default();
            if state == "device" {
                let mut t = AdbShellTransport::via_server(env.server, serial);
                props = props_of(&mut t).unwrap_or_default();
            }
            listed.push(Listed {
                serial: serial.to_string(),
                state: state.to_string(),
                props,
            });
        }
    }
    let key = default_host_key();
    for addr in &args.direct {
        let mut t = AdbShellTransport::direct(*addr, key.clone());
        let (state, props) = match props_of(&mut t) {
            Ok(p) => ("device".to_string(), p),
            Err(e) => (format!("offline ({e})"), Default::default()),
        };
        listed.push(Listed {
            serial: addr.to_string(),
            state,
            props,
        });
    }
    println!(
        "{:<24} {:<10} {:<10} {:<8} {:<24} FINGERPRINT",
        "SERIAL", "STATE", "MODEL", "ANDROID", "PROFILE"
    );
    for l in &listed {
        let g = |k: &str| l.props.get(k).cloned().unwrap_or_default();
        let profile = if l.props.is_empty() {
            "-".to_string()
        } else {
            match_profile(&l.props, &profiles)
        };
        println!(
            "{:<24} {:<10} {:<10} {:<8} {:<24} {}",
            l.serial,
            l.state,
            g("ro.product.model"),
            g("ro.build.version.release"),
            profile,
            g("ro.build.fingerprint")
        );
    }
    if listed.is_empty() {
        println!("(no devices attached)");
    }
    Ok(0)
}
