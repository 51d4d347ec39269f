//! The bench controller end to end: the virtual lab served as a controller on a loopback port, driven
//! through `Controller` and raw TCP; and `mynacert lab serve --control 0 --bench-file F`. No pcscd or adb
//! server needed.

use mynacert::authority::{parse_crl, verify_certificate};
use mynacert::control::Controller;
use mynacert::lab::Lab;
use mynacert::lab::provision::provision_vars;
use mynacert::scenario::model::NetworkMode;
use mynacert::transport::{AuthorityTransport, TransportError};
use mynacert::types::CertKind;
use mynacert_sim::VirtualLab;
use mynacert_sim::control::{ControllerServer, serve_controller};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The bench name of the docomo KM51A unit (as a served adbd address would be).
const ALIAS: &str = "127.0.0.1:15100";
const SERIAL: &str = "SIM-kumo-km51a-docomo-01";

/// The authority's person id of a lab identity (the ledger and suspension are keyed by it).
fn person(lab: &Mutex<VirtualLab>, identity: &str) -> String {
    let lab = lab.lock().expect("lab lock");
    lab.identities()
        .iter()
        .find(|i| i.id == identity)
        .map(|i| i.person_id.clone())
        .expect("identity")
}

fn served() -> (Arc<Mutex<VirtualLab>>, ControllerServer) {
    let lab = Arc::new(Mutex::new(crate::common::adb::fleet().lab));
    let aliases = BTreeMap::from([(ALIAS.to_string(), SERIAL.to_string())]);
    let server = serve_controller(SocketAddr::from(([127, 0, 0, 1], 0)), lab.clone(), aliases)
        .expect("serve controller");
    (lab, server)
}

/// Runs the app's provision flow on `serial` in process, without placing any card (the controller does).
fn provision_flow_completes(lab: &Mutex<VirtualLab>, serial: &str, identity: &str) -> bool {
    let mut lab = lab.lock().expect("lab lock");
    let id = lab
        .identities()
        .iter()
        .find(|i| i.id == identity)
        .cloned()
        .expect("identity");
    let apk = lab.app_apk().expect("apk");
    lab.power_on(serial).expect("power on");
    let mut d = mynacert::phone::PhoneDriver::new(
        lab.phone(serial).expect("phone"),
        crate::common::flows(),
    );
    d.set_network(NetworkMode::Online).expect("online");
    d.nfc(true).expect("nfc");
    if !d.app_installed().expect("installed?") {
        d.install_app(&apk).expect("install");
    }
    d.run_flow("provision", &provision_vars(&id))
        .expect("flow")
        .completed
}

#[test]
fn hello_names_the_lab() {
    let (_lab, server) = served();
    let mut c = Controller::new(server.addr());
    assert_eq!(c.addr(), server.addr());
    assert_eq!(c.hello().expect("hello"), "virtual-lab");
}

#[test]
fn suspension_round_trips_through_the_controller() {
    let (lab, server) = served();
    let (taro, hanako) = (person(&lab, "taro"), person(&lab, "hanako"));
    let mut c = Controller::new(server.addr());
    assert_eq!(c.issued(&taro).expect("issued"), vec![]);
    assert!(!c.suspended(&taro).expect("suspended"));
    c.set_suspended(&taro, true).expect("suspend");
    assert!(c.suspended(&taro).expect("suspended"));
    assert!(!c.suspended(&hanako).expect("suspended"), "only taro");
    c.set_suspended(&taro, false).expect("lift");
    assert!(!c.suspended(&taro).expect("suspended"));
}

#[test]
fn ca_certificates_and_crls_are_der_and_signed() {
    let (_lab, server) = served();
    let mut c = Controller::new(server.addr());
    for kind in CertKind::ALL {
        let ca = c.ca_certificate(kind).expect("ca");
        let (_, cert) = x509_parser::parse_x509_certificate(&ca).expect("CA is DER X.509");
        let crl = c.crl(kind).expect("crl");
        let info = parse_crl(&crl, &ca).expect("CRL parses and is signed by the CA");
        assert_eq!(info.issuer, cert.subject().to_string());
    }
}

#[test]
fn a_card_placed_by_alias_provisions_that_phone_and_the_ledger_names_the_alias() {
    let (lab, server) = served();
    let mut c = Controller::new(server.addr());
    assert!(
        !provision_flow_completes(&lab, SERIAL, "taro"),
        "without the card on the phone the flow must not complete"
    );
    c.place_card("taro", ALIAS).expect("place by alias");
    assert!(provision_flow_completes(&lab, SERIAL, "taro"));
    c.remove_card("taro").expect("remove");
    let taro = person(&lab, "taro");
    let issued = c.issued(&taro).expect("issued");
    assert_eq!(issued.len(), 2, "{issued:?}");
    for r in &issued {
        assert_eq!(r.device, ALIAS, "device named by its bench alias");
        let ca = c.ca_certificate(r.kind).expect("ca");
        verify_certificate(&r.der, &ca).expect("issued certificate is signed by its CA");
    }
    assert_eq!(c.revoke_all(&taro).expect("revoke"), 2);
}

#[test]
fn unknown_units_and_cards_are_protocol_errors_naming_them() {
    let (_lab, server) = served();
    let mut c = Controller::new(server.addr());
    let unit = format!("controller {}", server.addr());
    match c.place_card("taro", "127.0.0.1:9") {
        Err(TransportError::Protocol { unit: u, detail }) => {
            assert_eq!(u, unit);
            assert!(detail.contains("127.0.0.1:9"), "{detail}");
        }
        other => panic!("want Protocol, got {other:?}"),
    }
    for r in [c.power_on("NOPE01"), c.wipe_se("NOPE01")] {
        assert!(
            matches!(&r, Err(TransportError::Protocol { detail, .. }) if detail.contains("NOPE01")),
            "{r:?}"
        );
    }
    assert!(
        matches!(c.reset_card("zz"), Err(TransportError::Protocol { detail, .. }) if detail.contains("zz"))
    );
    // Known names work: the alias and the plain virtual serial.
    c.power_on(ALIAS).expect("power on by alias");
    c.wipe_se(SERIAL).expect("wipe by serial");
    c.reset_card("hanako").expect("reset card");
}

#[test]
fn a_garbage_line_is_answered_and_the_connection_stays_open() {
    let (_lab, server) = served();
    let mut s = TcpStream::connect(server.addr()).expect("connect");
    let mut r = BufReader::new(s.try_clone().expect("clone"));
    let mut ask = |line: &[u8]| {
        s.write_all(line).expect("write");
        let mut answer = String::new();
        r.read_line(&mut answer).expect("read");
        answer
    };
    let a = ask(b"this is not json\n");
    assert!(
        a.starts_with(r#"{"ok":false,"error":"malformed request: not JSON"#),
        "{a}"
    );
    let a = ask(b"{\"op\":\"fly\"}\n");
    assert_eq!(
        a,
        "{\"ok\":false,\"error\":\"malformed request: unknown op `fly`\"}\n"
    );
    let a = ask(b"{\"op\":\"remove_card\"}\n");
    assert_eq!(
        a,
        "{\"ok\":false,\"error\":\"malformed request: missing field `identity`\"}\n"
    );
    let a = ask(b"{\"op\":\"hello\"}\n");
    assert_eq!(a, "{\"ok\":true,\"lab\":\"virtual-lab\",\"protocol\":1}\n");
}

#[test]
fn the_client_reconnects_once_after_the_controller_restarts() {
    let (lab, mut server) = served();
    let addr = server.addr();
    let mut c = Controller::new(addr);
    c.hello().expect("hello");
    server.stop();
    // Nobody listening: a fresh client gets an I/O error naming the controller.
    match Controller::new(addr).hello() {
        Err(TransportError::Io { unit, .. }) => assert_eq!(unit, format!("controller {addr}")),
        other => panic!("want Io, got {other:?}"),
    }
    let _again =
        serve_controller(addr, lab, BTreeMap::new()).expect("serve again on the same port");
    assert_eq!(
        c.hello()
            .expect("one call: the dead connection is noticed and reopened"),
        "virtual-lab"
    );
}

#[test]
fn a_silent_controller_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let hold = std::thread::spawn(move || {
        let conn = listener.accept();
        std::thread::sleep(Duration::from_millis(800));
        drop(conn);
    });
    let mut c = Controller::with_timeout(addr, Duration::from_millis(200));
    match c.hello() {
        Err(TransportError::Timeout { unit, millis, what }) => {
            assert_eq!(unit, format!("controller {addr}"));
            assert_eq!(millis, 200);
            assert_eq!(what, "hello");
        }
        other => panic!("want Timeout, got {other:?}"),
    }
    let _ = hold.join();
}

#[test]
fn lab_serve_writes_a_bench_file_naming_the_controller_and_every_unit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bench = dir.path().join("bench.yaml");
    let (mut child, lines) = crate::common::lab_serve(&bench, 5, &[]);
    let mut served = Vec::new();
    let mut controller = None;
    for line in lines {
        if let Some(addr) = line.strip_prefix("controller on ") {
            controller = Some(addr.to_string());
        } else if let Some((_serial, addr)) = line.split_once(' ') {
            served.push(addr.to_string());
        }
    }
    let controller = controller.expect("`controller on` line");
    let mut c = Controller::new(controller.parse().expect("controller address"));
    assert_eq!(
        c.hello().expect("hello the served controller"),
        "virtual-lab"
    );
    let text = std::fs::read_to_string(&bench).expect("bench file");
    let yaml: serde_json::Value = serde_saphyr::from_str(&text).expect("bench file is YAML");
    assert_eq!(yaml["kind"], "bench");
    assert_eq!(yaml["lab"], "virtual-lab-bench");
    assert_eq!(yaml["reference_model"], "kumo-km51a");
    assert_eq!(yaml["controller"], controller.as_str());
    let units = yaml["units"].as_array().expect("units");
    let serials: Vec<&str> = units.iter().filter_map(|u| u["serial"].as_str()).collect();
    let lab_units = crate::common::adb::fleet().lab.units().len();
    assert_eq!(served.len(), lab_units, "one served adbd per unit");
    assert_eq!(serials.len(), lab_units, "{text}");
    for addr in &served {
        assert!(serials.contains(&addr.as_str()), "{addr} missing:\n{text}");
    }
    assert_eq!(
        units.iter().filter(|u| u["reference"] == true).count(),
        2,
        "{text}"
    );
    let status = child.wait().expect("wait");
    assert!(status.success(), "{status:?}");
}

/// Chaos on the served controller: connections are cut before a request runs or after (its answer
/// lost). The client reconnects once; what reaches the caller is the right answer or a transport error
/// (an infrastructure error), never a wrong answer, and what it asked for is what the lab did.
#[test]
fn cut_controller_connections_give_right_answers_or_transport_errors() {
    let (lab, server) = served();
    let none: mynacert::chaos::ChaosRates = serde_saphyr::from_str(
        "{drop_off: 0, adb_restart: 0, slow: 0, card_removed: 0, reader_unplugged: 0, \
         truncated: 0, oversized: 0, lost_selection: 0, controller_cut: 0.15}",
    )
    .expect("rates");
    lab.lock().expect("lab lock").set_chaos(2026, none);
    let taro = person(&lab, "taro");
    let mut c = Controller::new(server.addr());
    let (mut ok, mut cut) = (0, 0);
    for i in 0..200 {
        let want = i % 2 == 0;
        match c.set_suspended(&taro, want) {
            Ok(()) => {
                ok += 1;
                let mut lab = lab.lock().expect("lab lock");
                let mut t = lab.authority().expect("authority");
                // The lab's own view (its in-process authority is under chaos too: ask again).
                let seen = (0..20).find_map(|_| t.suspended(&taro).ok());
                assert_eq!(seen, Some(want), "call {i}: asked {want}");
            }
            Err(e) => {
                // A cut connection, or the controller reporting its own lab's fault.
                assert!(
                    matches!(
                        e,
                        TransportError::Disconnected { .. } | TransportError::Io { .. }
                    ) || e.to_string().contains("(chaos)"),
                    "call {i}: {e}"
                );
                cut += 1;
            }
        }
    }
    println!("controller under chaos: {ok} answered, {cut} transport errors of 200");
    assert!(ok > 100, "the client's reconnect rides out most cuts: {ok}");
    assert!(cut > 0, "with a cut rate of 0.15 some call must fail twice");
}
