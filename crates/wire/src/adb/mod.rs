//! ADB, the sans-IO half: the message header and checksums ([`proto`]), shell v2 packets ([`shell_v2`]),
//! sync frames ([`sync`]), AUTH keys and signatures ([`auth`]), and the device-side connection state machine
//! ([`device`]) that the virtual adbd drives.

pub mod auth;
pub mod device;
pub mod proto;
pub mod shell_v2;
pub mod sync;

/// True for command lines after which a real device goes down (reboot, factory reset).
pub fn drops_connection(command: &str) -> bool {
    let Ok(segments) = crate::shell::shlex::split_commands(command) else {
        return false;
    };
    segments.iter().any(|s| {
        let first = s.argv.first().map(String::as_str);
        first == Some("reboot")
            || (first == Some("recovery") && s.argv.iter().any(|a| a == "--wipe_data"))
            || s.argv
                .iter()
                .any(|a| a.contains("FACTORY_RESET") || a.contains("MASTER_CLEAR"))
    })
}

#[cfg(test)]
mod tests;
