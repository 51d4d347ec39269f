//! `screencap -p` through the driver, answered by the virtual phone in process.

use super::*;
use mynacert::transport::{ShellOutput, ShellTransport};
use mynacert_sim::phone::labels as l;
use mynacert_sim::phone::png_check::{decode, python_decode};

#[test]
fn screencap_round_trip_gives_a_decodable_png_of_the_current_screen() {
    let rig = Rig::new();
    let mut d = rig.phone(A, supported(&[]));
    let home = d.screencap().expect("launcher screenshot");
    let h = decode(&home).expect("launcher PNG decodes");
    assert_eq!((h.width, h.height), (270, 600));
    assert!(d.commands().iter().any(|c| c == "screencap -p"));

    let comp = format!("{}/{}", l::PACKAGE, l::ACTIVITY);
    d.run_ok(&ShellCommand::new("am").arg("start").arg("-n").arg(&comp))
        .expect("app starts");
    let app = d.screencap().expect("app screenshot");
    let a = decode(&app).expect("app PNG decodes");
    assert_ne!(
        a.pixels, h.pixels,
        "the app screen looks different from home"
    );
    assert!(
        a.pixels.contains(&0x60),
        "the app screen shows at least one button"
    );
    if let Some(r) = python_decode(&app) {
        let sum: u64 = a.pixels.iter().map(|&p| u64::from(p)).sum::<u64>();
        assert_eq!(
            r.expect("python3 zlib decodes it"),
            format!("270 600 {sum}")
        );
    }
}

struct Says(Vec<u8>, u8);

impl ShellTransport for Says {
    fn serial(&self) -> &str {
        "FAKE"
    }
    fn shell(&mut self, _: &str) -> Result<ShellOutput, TransportError> {
        Ok(ShellOutput {
            stdout: self.0.clone(),
            stderr: Vec::new(),
            exit_code: Some(self.1),
        })
    }
    fn push(&mut self, _: &[u8], _: &str, _: u32) -> Result<(), TransportError> {
        Ok(())
    }
    fn pull(&mut self, _: &str) -> Result<Vec<u8>, TransportError> {
        Ok(Vec::new())
    }
}

#[test]
fn screencap_that_is_not_a_png_names_what_came_back() {
    let mut d = PhoneDriver::new(
        Box::new(Says(
            b"/system/bin/sh: screencap: inaccessible\n".to_vec(),
            0,
        )),
        flow_book(),
    );
    match d.screencap() {
        Err(DriverError::Command { command, detail }) => {
            assert_eq!(command, "screencap -p");
            assert!(detail.contains("not a PNG"), "{detail}");
            assert!(detail.contains("screencap: inaccessible"), "{detail}");
        }
        other => panic!("expected a command error, got {other:?}"),
    }
    let mut raw = PhoneDriver::new(
        Box::new(Says(vec![0x38, 0x04, 0, 0, 0x60, 9], 0)),
        flow_book(),
    );
    let err = raw.screencap().expect_err("raw framebuffer is not PNG");
    assert!(
        err.to_string()
            .contains("6 bytes starting with 380400006009"),
        "{err}"
    );
    let mut empty = PhoneDriver::new(Box::new(Says(Vec::new(), 0)), flow_book());
    let err = empty.screencap().expect_err("empty");
    assert!(err.to_string().contains("empty output"), "{err}");
}
