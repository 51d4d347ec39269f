//! Test-only PNG reader used to check the encoder from the outside: signature, chunk order, every chunk
//! CRC (table-driven, independent of the encoder's bitwise CRC), the zlib header, a real inflate
//! (miniz_oxide, checking the Adler-32 trailer), IHDR fields and the filter byte of each row. Also, when `python3` is
//! installed, a decode by the real zlib.

use super::png;
use std::io::Write;
use std::process::{Command, Stdio};

fn crc_table() -> [u32; 256] {
    let mut t = [0u32; 256];
    for (n, slot) in t.iter_mut().enumerate() {
        let mut c = n as u32;
        for _ in 0..8 {
            c = if c & 1 == 1 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
        *slot = c;
    }
    t
}

fn table_crc(data: &[u8]) -> u32 {
    let t = crc_table();
    !data.iter().fold(0xFFFF_FFFFu32, |c, &b| {
        t[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8)
    })
}

fn be32(b: &[u8], at: usize) -> Result<u32, String> {
    b.get(at..at + 4)
        .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or_else(|| format!("truncated at {at}"))
}

/// A decoded greyscale image.
#[derive(Debug)]
pub struct Decoded {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

/// Parses and checks a PNG as the encoder writes it (8-bit grey, one zlib stream in IDAT).
pub fn decode(data: &[u8]) -> Result<Decoded, String> {
    if data.get(..8) != Some(&png::SIGNATURE[..]) {
        return Err("bad signature".into());
    }
    let (mut at, mut kinds, mut ihdr, mut idat) = (8usize, Vec::new(), Vec::new(), Vec::new());
    while at < data.len() {
        let len = be32(data, at)? as usize;
        let body = data
            .get(at + 4..at + 8 + len)
            .ok_or_else(|| format!("chunk at {at} overruns the file"))?;
        let crc = be32(data, at + 8 + len)?;
        if table_crc(body) != crc {
            return Err(format!("bad CRC on chunk at {at}"));
        }
        let kind = String::from_utf8_lossy(&body[..4]).into_owned();
        match kind.as_str() {
            "IHDR" => ihdr = body[4..].to_vec(),
            "IDAT" => idat.extend_from_slice(&body[4..]),
            _ => {}
        }
        kinds.push(kind);
        at += 12 + len;
    }
    if kinds.first().map(String::as_str) != Some("IHDR")
        || kinds.last().map(String::as_str) != Some("IEND")
        || !kinds.iter().any(|k| k == "IDAT")
    {
        return Err(format!("chunk order {kinds:?}"));
    }
    let (width, height) = (be32(&ihdr, 0)?, be32(&ihdr, 4)?);
    if ihdr.get(8..13) != Some(&[8, 0, 0, 0, 0][..]) {
        return Err(format!("IHDR {ihdr:?}"));
    }
    if idat.len() < 6
        || (u32::from(idat[0]) * 256 + u32::from(idat[1])) % 31 != 0
        || idat[0] & 0x0F != 8
    {
        return Err("bad zlib header".into());
    }
    // A real inflate (checks the Adler-32 trailer), independent of the encoder.
    let raw = miniz_oxide::inflate::decompress_to_vec_zlib(&idat)
        .map_err(|e| format!("zlib stream does not inflate: {e:?}"))?;
    let row = width as usize + 1;
    if raw.len() != row * height as usize {
        return Err(format!(
            "{} bytes of image data for {width}x{height}",
            raw.len()
        ));
    }
    if raw.chunks(row).any(|r| r[0] != 0) {
        return Err("row filter other than None".into());
    }
    let pixels = raw.chunks(row).flat_map(|r| r[1..].to_vec()).collect();
    Ok(Decoded {
        width,
        height,
        pixels,
    })
}

const PY: &str = "import sys,zlib,struct\nd=sys.stdin.buffer.read()\nassert d[:8]==b'\\x89PNG\\r\\n\\x1a\\n'\ni=8;idat=b'';w=h=0\nwhile i<len(d):\n n,=struct.unpack('>I',d[i:i+4]);k=d[i+4:i+8];body=d[i+8:i+8+n]\n assert zlib.crc32(k+body)==struct.unpack('>I',d[i+8+n:i+12+n])[0],k\n if k==b'IHDR': w,h=struct.unpack('>II',body[:8])\n if k==b'IDAT': idat+=body\n i+=12+n\nraw=zlib.decompress(idat)\nassert len(raw)==(w+1)*h\nprint(w,h,sum(raw))\n";

/// Decodes with python3's zlib (a real inflate, checking Adler-32) and returns `width height sum`;
/// `None` when python3 is not installed.
pub fn python_decode(data: &[u8]) -> Option<Result<String, String>> {
    let child = Command::new("python3")
        .args(["-c", PY])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            eprintln!(
                "!!! SKIPPING the python3 zlib decode of the screenshot: python3 not runnable: {e}"
            );
            return None;
        }
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(data);
    }
    Some(match child.wait_with_output() {
        Ok(o) if o.status.success() => Ok(String::from_utf8_lossy(&o.stdout).trim().to_string()),
        Ok(o) => Err(String::from_utf8_lossy(&o.stderr).into_owned()),
        Err(e) => Err(e.to_string()),
    })
}

#[test]
fn crc_matches_the_published_check_value() {
    assert_eq!(png::crc32(&[b"123456789"]), 0xCBF4_3926);
    assert_eq!(table_crc(b"123456789"), 0xCBF4_3926);
    assert_eq!(png::crc32(&[b"1234", b"56789"]), 0xCBF4_3926);
}

#[test]
fn a_large_image_decodes_back() {
    let (w, h) = (300u32, 500u32);
    let pixels: Vec<u8> = (0..w * h).map(|i| (i % 251) as u8).collect();
    let file = png::encode_grey(w, h, &pixels);
    let d = decode(&file).expect("valid PNG");
    assert_eq!((d.width, d.height), (w, h));
    assert_eq!(d.pixels, pixels);
    let mut broken = file.clone();
    let last = broken.len() - 20;
    broken[last] ^= 1;
    assert!(decode(&broken).is_err(), "a flipped bit must fail a CRC");
    if let Some(r) = python_decode(&file) {
        let sum: u64 = pixels.iter().map(|&p| u64::from(p)).sum();
        assert_eq!(
            r.expect("python3 zlib decodes it"),
            format!("{w} {h} {sum}")
        );
    }
}
