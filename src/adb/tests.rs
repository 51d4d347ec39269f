//! The harness's ADB host side: where the adb server is, and when a unit counts as booted.

use super::transport::AdbEnv;

#[test]
fn adb_env_follows_adb_precedence() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    };
    let e = AdbEnv::from_vars(env(&[])).expect("default");
    assert_eq!(e.server.to_string(), "127.0.0.1:5037");
    assert_eq!(e.serial, None);
    let e = AdbEnv::from_vars(env(&[
        ("ADB_SERVER_SOCKET", "tcp:127.0.0.1:15037"),
        ("ANDROID_ADB_SERVER_PORT", "9999"),
        ("ANDROID_SERIAL", "R5CT1"),
    ]))
    .expect("socket");
    assert_eq!(e.server.to_string(), "127.0.0.1:15037");
    assert_eq!(e.serial.as_deref(), Some("R5CT1"));
    let e = AdbEnv::from_vars(env(&[
        ("ANDROID_ADB_SERVER_ADDRESS", "127.0.0.2"),
        ("ANDROID_ADB_SERVER_PORT", "6000"),
    ]))
    .expect("address/port");
    assert_eq!(e.server.to_string(), "127.0.0.2:6000");
    assert!(AdbEnv::from_vars(env(&[("ADB_SERVER_SOCKET", "localfilesystem:/x")])).is_err());
    assert!(AdbEnv::from_vars(env(&[("ANDROID_ADB_SERVER_PORT", "port")])).is_err());
}

#[test]
fn boot_check_requires_sys_boot_completed_to_be_exactly_1() {
    use super::transport::boot_completed;
    use crate::transport::ShellOutput;
    let out = |stdout: &str, stderr: &str, code: Option<u8>| ShellOutput {
        stdout: stdout.as_bytes().to_vec(),
        stderr: stderr.as_bytes().to_vec(),
        exit_code: code,
    };
    assert!(boot_completed(&out("1\n", "", Some(0))));
    assert!(boot_completed(&out("1\r\n", "", None)));
    assert!(
        !boot_completed(&out("\n", "", Some(0))),
        "empty: still booting"
    );
    assert!(!boot_completed(&out("0\n", "", Some(0))));
    assert!(!boot_completed(&out("1\n", "", Some(1))));
    assert!(!boot_completed(&out("", "error: device offline", None)));
}
