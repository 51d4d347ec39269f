//! Shell protocol v2 packets, sans-IO: `[id u8][len u32 LE][data]` inside a stream's bytes.

/// Packet ids.
pub mod id {
    /// Host → device stdin.
    pub const STDIN: u8 = 0;
    /// Device → host stdout.
    pub const STDOUT: u8 = 1;
    /// Device → host stderr.
    pub const STDERR: u8 = 2;
    /// Device → host exit code (1 byte).
    pub const EXIT: u8 = 3;
    /// Host → device: stdin closed.
    pub const CLOSE_STDIN: u8 = 4;
    /// Host → device: window size change.
    pub const WINDOW_SIZE: u8 = 5;
}

/// One shell-v2 packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    pub id: u8,
    pub data: Vec<u8>,
}

/// Appends one packet to `out`.
pub fn encode_into(id: u8, data: &[u8], out: &mut Vec<u8>) {
    out.push(id);
    out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(data);
}

/// A whole command's answer as shell-v2 bytes: stdout, stderr, then the exit code.
pub fn encode_output(stdout: &[u8], stderr: &[u8], exit: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(stdout.len() + stderr.len() + 16);
    if !stdout.is_empty() {
        encode_into(id::STDOUT, stdout, &mut out);
    }
    if !stderr.is_empty() {
        encode_into(id::STDERR, stderr, &mut out);
    }
    encode_into(id::EXIT, &[exit], &mut out);
    out
}

/// Streaming packet decoder (packets may span stream writes).
#[derive(Debug, Default)]
pub struct PacketDecoder {
    buf: Vec<u8>,
}

impl PacketDecoder {
    /// Appends stream bytes.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole packet, if buffered.
    pub fn next_packet(&mut self) -> Option<Packet> {
        if self.buf.len() < 5 {
            return None;
        }
        let len = u32::from_le_bytes([self.buf[1], self.buf[2], self.buf[3], self.buf[4]]) as usize;
        if self.buf.len() < 5 + len {
            return None;
        }
        let id = self.buf[0];
        let data = self.buf[5..5 + len].to_vec();
        self.buf.drain(..5 + len);
        Some(Packet { id, data })
    }
}

/// Collects a shell-v2 stream into stdout, stderr and the exit code.
#[derive(Debug, Default)]
pub struct OutputCollector {
    decoder: PacketDecoder,
    out: crate::transport::ShellOutput,
}

impl OutputCollector {
    /// Feeds stream bytes; true once the exit packet has arrived.
    pub fn feed(&mut self, bytes: &[u8]) -> bool {
        self.decoder.feed(bytes);
        while let Some(p) = self.decoder.next_packet() {
            match p.id {
                id::STDOUT => self.out.stdout.extend_from_slice(&p.data),
                id::STDERR => self.out.stderr.extend_from_slice(&p.data),
                id::EXIT => self.out.exit_code = p.data.first().copied(),
                _ => {}
            }
        }
        self.out.exit_code.is_some()
    }

    /// What was collected.
    pub fn finish(self) -> crate::transport::ShellOutput {
        self.out
    }
}
