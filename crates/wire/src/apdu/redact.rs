//! Hex rendering of command APDUs for traces, with PIN data removed.

use super::Command;

/// INS of VERIFY.
const INS_VERIFY: u8 = 0x20;
/// INS of CHANGE REFERENCE DATA.
const INS_CHANGE: u8 = 0x24;

fn hex_upper(bytes: &[u8]) -> String {
    hex::encode_upper(bytes)
}

fn carries_secret(ins: u8) -> bool {
    ins == INS_VERIFY || ins == INS_CHANGE
}

/// Renders a command for traces as `CLA INS P1 P2 [Lc DATA] [Le]` in hex. The data field of VERIFY
/// (INS 20) and CHANGE REFERENCE DATA (INS 24) becomes `<redacted N bytes>` (and their Le, if any, `+Le`). Malformed bytes are shown
/// as `malformed: HEX`, except that everything after the header of a VERIFY/CHANGE is redacted. Never panics.
pub fn redact(command: &[u8]) -> String {
    match Command::decode(command) {
        Ok(cmd) => render(command, &cmd),
        Err(_) => match command {
            [_, ins, _, _, rest @ ..] if carries_secret(*ins) && !rest.is_empty() => format!(
                "malformed: {} <redacted {} bytes>",
                hex_upper(&command[..4]),
                rest.len()
            ),
            _ => format!("malformed: {}", hex_upper(command)),
        },
    }
}

fn render(raw: &[u8], cmd: &Command) -> String {
    let mut parts = vec![format!(
        "{:02X} {:02X} {:02X} {:02X}",
        cmd.cla, cmd.ins, cmd.p1, cmd.p2
    )];
    // Length fields are re-read from the raw bytes so the trace shows what was sent.
    let extended = raw.len() > 5 && raw.get(4) == Some(&0);
    if !cmd.data.is_empty() {
        let lc = if extended {
            format!("00{:04X}", cmd.data.len())
        } else {
            format!("{:02X}", cmd.data.len())
        };
        parts.push(lc);
        if carries_secret(cmd.ins) {
            parts.push(format!("<redacted {} bytes>", cmd.data.len()));
        } else {
            parts.push(hex_upper(&cmd.data));
        }
    }
    if cmd.le.is_some() && carries_secret(cmd.ins) && !cmd.data.is_empty() {
        // A misframed PIN command could carry a PIN byte in its Le position: never print it.
        parts.push("+Le".to_string());
    } else if cmd.le.is_some() {
        // Extended case 2 shows the 00 marker with Le; extended case 4 shows the 2-byte Le.
        let width = match (extended, cmd.data.is_empty()) {
            (true, true) => 3,
            (true, false) => 2,
            (false, _) => 1,
        };
        let body = raw
            .get(raw.len().saturating_sub(width)..)
            .unwrap_or_default();
        parts.push(hex_upper(body));
    }
    parts.join(" ")
}
