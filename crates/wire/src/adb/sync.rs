//! The sync service's frames (`sync:` streams), sans-IO: requests are `id[4] + len u32 LE + data`;
//! `DATA`/`DONE` carry file bytes and mtime. Both the device side (request parsing, responses) and the
//! host side (request building, response parsing) live here.

/// A sync frame id.
pub type Id = [u8; 4];

/// A parsed host → device sync frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `STAT path` (v1).
    Stat(String),
    /// `STA2 path` / `LST2 path` (v2; 72-byte answer).
    Stat2 { path: String, lstat: bool },
    /// `LIST dir`.
    List(String),
    /// `SEND "path,mode"`, followed by DATA frames and DONE.
    Send { path: String, mode: u32 },
    /// `DATA` chunk of a SEND.
    Data(Vec<u8>),
    /// `DONE mtime` ends a SEND.
    Done(u32),
    /// `RECV path`.
    Recv(String),
    /// `QUIT`.
    Quit,
    /// Anything else (reported as FAIL).
    Unknown(Id),
}

/// Streaming parser of host → device sync frames (small pushes arrive packed in one WRTE).
#[derive(Debug, Default)]
pub struct RequestParser {
    buf: Vec<u8>,
}

/// Longest path or DATA chunk accepted.
pub const MAX_CHUNK: usize = 64 * 1024;

impl RequestParser {
    /// Appends stream bytes.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole request; `Err` when the host sent an over-long frame.
    pub fn next_request(&mut self) -> Result<Option<Request>, String> {
        if self.buf.len() < 8 {
            return Ok(None);
        }
        let id: Id = [self.buf[0], self.buf[1], self.buf[2], self.buf[3]];
        let arg = u32::from_le_bytes([self.buf[4], self.buf[5], self.buf[6], self.buf[7]]);
        let has_body = matches!(
            &id,
            b"STAT" | b"STA2" | b"LST2" | b"LSTA" | b"LIST" | b"SEND" | b"RECV" | b"DATA"
        );
        if !has_body {
            self.buf.drain(..8);
            return Ok(Some(match &id {
                b"DONE" => Request::Done(arg),
                b"QUIT" => Request::Quit,
                _ => Request::Unknown(id),
            }));
        }
        let len = arg as usize;
        if len > MAX_CHUNK {
            return Err(format!(
                "sync {} frame of {len} bytes is too long",
                String::from_utf8_lossy(&id)
            ));
        }
        if self.buf.len() < 8 + len {
            return Ok(None);
        }
        let body = self.buf[8..8 + len].to_vec();
        self.buf.drain(..8 + len);
        let text = || String::from_utf8_lossy(&body).into_owned();
        Ok(Some(match &id {
            b"STAT" => Request::Stat(text()),
            b"STA2" => Request::Stat2 {
                path: text(),
                lstat: false,
            },
            b"LST2" | b"LSTA" => Request::Stat2 {
                path: text(),
                lstat: true,
            },
            b"LIST" => Request::List(text()),
            b"RECV" => Request::Recv(text()),
            b"DATA" => Request::Data(body),
            _ => {
                // SEND "path,mode": the mode is the decimal after the last comma.
                let t = text();
                match t.rsplit_once(',') {
                    Some((p, m)) => Request::Send {
                        path: p.to_string(),
                        mode: m.parse().unwrap_or(0o644),
                    },
                    None => Request::Send {
                        path: t,
                        mode: 0o644,
                    },
                }
            }
        }))
    }
}

/// Appends a frame `id + len + data`.
pub fn frame_into(id: &Id, data: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(id);
    out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(data);
}

/// Appends a frame `id + u32 arg` (DONE, OKAY, QUIT).
pub fn word_into(id: &Id, arg: u32, out: &mut Vec<u8>) {
    out.extend_from_slice(id);
    out.extend_from_slice(&arg.to_le_bytes());
}

/// File metadata as STAT/STA2 report it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileStat {
    /// 0 when found, else an errno (2 = ENOENT).
    pub errno: u32,
    pub mode: u32,
    pub size: u64,
    pub mtime: i64,
}

/// Regular-file mode bits.
pub const S_IFREG: u32 = 0o100_000;
/// Directory mode bits.
pub const S_IFDIR: u32 = 0o040_000;
/// errno for "no such file".
pub const ENOENT: u32 = 2;

/// `STAT mode size mtime` (v1; all zero when absent).
pub fn stat_v1_into(st: &FileStat, out: &mut Vec<u8>) {
    out.extend_from_slice(b"STAT");
    out.extend_from_slice(&st.mode.to_le_bytes());
    out.extend_from_slice(&u32::try_from(st.size).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(
        &u32::try_from(st.mtime.max(0))
            .unwrap_or(u32::MAX)
            .to_le_bytes(),
    );
}

/// The 72-byte STA2/LST2 answer.
pub fn stat_v2_into(id: &Id, st: &FileStat, out: &mut Vec<u8>) {
    out.extend_from_slice(id);
    out.extend_from_slice(&st.errno.to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes()); // dev
    out.extend_from_slice(&0u64.to_le_bytes()); // ino
    out.extend_from_slice(&st.mode.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes()); // nlink
    out.extend_from_slice(&2000u32.to_le_bytes()); // uid shell
    out.extend_from_slice(&2000u32.to_le_bytes()); // gid shell
    out.extend_from_slice(&st.size.to_le_bytes());
    for _ in 0..3 {
        out.extend_from_slice(&st.mtime.to_le_bytes()); // atime, mtime, ctime
    }
}

/// A parsed device → host sync answer (host side).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// `OKAY 0` after a SEND's DONE.
    Okay,
    /// `FAIL len message`.
    Fail(String),
    /// `DATA` chunk of a RECV.
    Data(Vec<u8>),
    /// `DONE` ends a RECV.
    Done,
    /// `STAT mode size mtime`.
    Stat(FileStat),
}

/// Streaming parser of device → host sync answers.
#[derive(Debug, Default)]
pub struct ResponseParser {
    buf: Vec<u8>,
}

impl ResponseParser {
    /// Appends stream bytes.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole answer.
    pub fn next_response(&mut self) -> Result<Option<Response>, String> {
        if self.buf.len() < 8 {
            return Ok(None);
        }
        let id: Id = [self.buf[0], self.buf[1], self.buf[2], self.buf[3]];
        let word = |i: usize| {
            u32::from_le_bytes([
                self.buf[i],
                self.buf[i + 1],
                self.buf[i + 2],
                self.buf[i + 3],
            ])
        };
        let arg = word(4);
        match &id {
            b"OKAY" => {
                self.buf.drain(..8);
                Ok(Some(Response::Okay))
            }
            b"DONE" => {
                self.buf.drain(..8);
                Ok(Some(Response::Done))
            }
            b"STAT" => {
                if self.buf.len() < 16 {
                    return Ok(None);
                }
                let st = FileStat {
                    errno: 0,
                    mode: arg,
                    size: u64::from(word(8)),
                    mtime: i64::from(word(12)),
                };
                self.buf.drain(..16);
                Ok(Some(Response::Stat(st)))
            }
            b"DATA" | b"FAIL" => {
                let len = arg as usize;
                if len > MAX_CHUNK {
                    return Err(format!("sync frame of {len} bytes is too long"));
                }
                if self.buf.len() < 8 + len {
                    return Ok(None);
                }
                let body = self.buf[8..8 + len].to_vec();
                self.buf.drain(..8 + len);
                Ok(Some(if &id == b"DATA" {
                    Response::Data(body)
                } else {
                    Response::Fail(String::from_utf8_lossy(&body).into_owned())
                }))
            }
            other => Err(format!(
                "unknown sync answer `{}`",
                String::from_utf8_lossy(other)
            )),
        }
    }
}
