//! The virtual phone's shell, on its own.

use super::fake_env::{FakeEnv, apk, profile};
use super::*;
use crate::profile::{Listing, Quirk};
use crate::shell::quote::ShellCommand;
use crate::ui::{Selector, UiTree};
use proptest::prelude::*;
use rstest::rstest;

fn phone(quirks: &[Quirk]) -> (VirtualPhone, FakeEnv) {
    (
        VirtualPhone::new(
            profile(Listing::Supported, true, quirks),
            "SIM0001",
            "docomo",
        ),
        FakeEnv::new(),
    )
}

fn run(p: &mut VirtualPhone, env: &mut FakeEnv, line: &str) -> (String, String, Option<u8>) {
    let o = p.shell(line, env);
    (o.stdout_text(), o.stderr_text(), o.exit_code)
}

fn install(p: &mut VirtualPhone, env: &mut FakeEnv) {
    p.push("/data/local/tmp/a.apk", &apk()).unwrap();
    assert_eq!(
        run(p, env, "pm install -r /data/local/tmp/a.apk").0,
        "Success\n"
    );
}

#[test]
fn unknown_command_is_127_not_found() {
    let (mut p, mut env) = phone(&[]);
    let (out, err, code) = run(&mut p, &mut env, "frobnicate --now");
    assert_eq!((out.as_str(), code), ("", Some(127)));
    assert_eq!(err, "/system/bin/sh: frobnicate: not found\n");
}

#[test]
fn getprop_lists_and_answers_single_keys() {
    let (mut p, mut env) = phone(&[]);
    let (all, _, code) = run(&mut p, &mut env, "getprop");
    assert_eq!(code, Some(0));
    assert!(all.contains("[ro.product.model]: [KM-51A]\n"), "{all}");
    assert!(all.contains("[ro.serialno]: [SIM0001]\n"));
    assert!(all.contains("[ro.carrier]: [docomo]\n"));
    assert!(all.lines().all(|l| l.starts_with('[') && l.ends_with(']')));
    assert_eq!(
        run(&mut p, &mut env, "getprop ro.product.marketname").0,
        "Kumo Sora 5\n"
    );
    assert_eq!(run(&mut p, &mut env, "getprop no.such.prop").0, "\n");
    // The fingerprint is stable.
    let again = VirtualPhone::new(profile(Listing::Supported, true, &[]), "SIM0001", "docomo");
    assert_eq!(
        p.props()["ro.build.fingerprint"],
        again.props()["ro.build.fingerprint"]
    );
}

#[test]
fn every_virtual_phone_reports_a_fingerprint_recognised_as_simulated() {
    for listing in [Listing::Supported, Listing::Unsupported] {
        let (p, _) = phone(&[]);
        let fp = p.props()["ro.build.fingerprint"].clone();
        assert!(super::is_simulated_fingerprint(&fp), "{fp}");
        let other = VirtualPhone::new(profile(listing, false, &[]), "SIM0002", "au");
        let fp = other.props()["ro.build.fingerprint"].clone();
        assert!(super::is_simulated_fingerprint(&fp), "{fp}");
    }
    // Real builds, and near misses, are not.
    for real in [
        "google/husky/husky:14/UQ1A.240205.004/11269751:user/release-keys",
        "docomo/SO-51C/SO-51C:13/64.1.C.2.86/064001C002008602:user/release-keys",
        "kumo/kumo_km51a/km51a:14/SIM34/1:user/release-keys",
        "kumo/kumo_km51a/km51a:14/SIM34.abcdef01/1:user/release-keys",
        "no fingerprint",
        "",
    ] {
        assert!(!super::is_simulated_fingerprint(real), "{real}");
    }
}

#[test]
fn banner_props_are_banner_safe() {
    let (p, _) = phone(&[]);
    let b = p.banner_props();
    assert_eq!(b.len(), 3);
    assert_eq!(b[1], ("ro.product.model".to_string(), "KM-51A".to_string()));
    assert!(b.iter().all(|(_, v)| !v.contains([':', ';', '='])));
}

#[rstest]
#[case("echo a; echo b", "a\nb\n", Some(0))]
#[case("echo a && echo b", "a\nb\n", Some(0))]
#[case("nope && echo b", "", Some(127))]
#[case("nope; echo b", "b\n", Some(0))]
#[case("echo 'x; y'", "x; y\n", Some(0))]
#[case("echo 'unterminated", "", Some(2))]
#[case("echo $(id)", "", Some(2))]
fn separators_and_syntax_errors(#[case] line: &str, #[case] out: &str, #[case] code: Option<u8>) {
    let (mut p, mut env) = phone(&[]);
    let got = run(&mut p, &mut env, line);
    assert_eq!((got.0.as_str(), got.2), (out, code), "stderr: {}", got.1);
}

#[test]
fn unquoted_separator_really_runs_the_second_command() {
    // The negative control of the injection tests: without quoting, `reboot -p` would run.
    let (mut p, mut env) = phone(&[]);
    run(&mut p, &mut env, "echo x; reboot -p");
    assert!(!p.powered());
    let (mut p, mut env) = phone(&[]);
    let quoted = ShellCommand::new("echo").arg("x; reboot -p").render();
    assert_eq!(run(&mut p, &mut env, &quoted).0, "x; reboot -p\n");
    assert!(p.powered());
}

#[test]
fn uiautomator_dump_to_tty_parses_and_to_file_is_pullable() {
    let (mut p, mut env) = phone(&[]);
    let (home, _, _) = run(&mut p, &mut env, "uiautomator dump /dev/tty");
    assert!(home.ends_with("UI hierchary dumped to: /dev/tty\n"));
    assert!(
        UiTree::parse_dump_output(&home)
            .unwrap()
            .find(&Selector::text("ホーム"))
            .is_some()
    );
    install(&mut p, &mut env);
    run(
        &mut p,
        &mut env,
        "am start -n jp.go.digital.mynaportal/.MainActivity",
    );
    let (app, _, _) = run(&mut p, &mut env, "uiautomator dump /dev/tty");
    let tree = UiTree::parse_dump_output(&app).unwrap();
    let menu = tree.find(&Selector::text(labels::SETTINGS)).unwrap();
    assert!(menu.clickable && menu.enabled);
    assert_eq!(menu.package, labels::PACKAGE);
    assert!(tree.find(&Selector::text(labels::APPLY_BANNER)).is_some());
    let (said, _, _) = run(&mut p, &mut env, "uiautomator dump /sdcard/d.xml");
    assert_eq!(said, "UI hierchary dumped to: /sdcard/d.xml\n");
    let file = String::from_utf8(p.pull("/sdcard/d.xml").unwrap()).unwrap();
    assert_eq!(UiTree::parse(&file).unwrap(), tree);
}

#[test]
fn taps_hit_nodes_by_bounds_and_back_returns() {
    let (mut p, mut env) = phone(&[]);
    install(&mut p, &mut env);
    run(
        &mut p,
        &mut env,
        "am start -n jp.go.digital.mynaportal/.MainActivity",
    );
    let tree =
        UiTree::parse_dump_output(&run(&mut p, &mut env, "uiautomator dump /dev/tty").0).unwrap();
    let (x, y) = tree
        .find(&Selector::text(labels::MY_PAGE))
        .unwrap()
        .bounds
        .center();
    run(&mut p, &mut env, &format!("input tap {x} {y}"));
    let dump = run(&mut p, &mut env, "uiautomator dump /dev/tty").0;
    assert!(dump.contains(labels::LOGIN_PROMPT));
    run(&mut p, &mut env, "input keyevent 4");
    let dump = run(&mut p, &mut env, "uiautomator dump /dev/tty").0;
    assert!(dump.contains(labels::APPLY_BANNER));
    run(&mut p, &mut env, "input keyevent 4");
    assert!(
        run(&mut p, &mut env, "uiautomator dump /dev/tty")
            .0
            .contains("ホーム")
    );
}

#[test]
fn password_fields_never_show_their_value() {
    let (mut p, mut env) = phone(&[]);
    install(&mut p, &mut env);
    run(
        &mut p,
        &mut env,
        "am start -n jp.go.digital.mynaportal/.MainActivity",
    );
    let tap = |p: &mut VirtualPhone, env: &mut FakeEnv, sel: Selector| {
        let t = UiTree::parse_dump_output(&run(p, env, "uiautomator dump /dev/tty").0).unwrap();
        let (x, y) = t.find(&sel).unwrap().bounds.center();
        run(p, env, &format!("input tap {x} {y}"));
    };
    tap(&mut p, &mut env, Selector::text(labels::MY_PAGE));
    tap(
        &mut p,
        &mut env,
        Selector {
            resource_id: Some(format!("{}:id/login_pin", labels::PACKAGE)),
            ..Selector::default()
        },
    );
    run(&mut p, &mut env, "input text 9876");
    let dump = run(&mut p, &mut env, "uiautomator dump /dev/tty").0;
    assert!(!dump.contains("9876"));
    assert!(dump.contains("text=\"••••\""), "{dump}");
}

#[test]
fn powered_off_phone_answers_device_offline() {
    let (mut p, mut env) = phone(&[]);
    run(&mut p, &mut env, "reboot -p");
    let o = p.shell("getprop", &mut env);
    assert_eq!(o.exit_code, Some(255));
    assert_eq!(o.stderr_text(), "error: device offline");
    assert!(p.push("/data/local/tmp/x", b"x").is_err());
    assert!(!p.online());
    p.power_on();
    assert_eq!(run(&mut p, &mut env, "echo up").0, "up\n");
}

#[test]
fn factory_reset_clears_apps_data_and_logs_but_keeps_the_se_by_default() {
    for (quirks, wiped) in [(vec![], false), (vec![Quirk::ResetWipesSe], true)] {
        let (mut p, mut env) = phone(&quirks);
        install(&mut p, &mut env);
        run(
            &mut p,
            &mut env,
            "am start -n jp.go.digital.mynaportal/.MainActivity",
        );
        assert!(!run(&mut p, &mut env, "logcat -d").0.is_empty());
        let reset = p.profile().factory_reset[0].clone();
        let (out, _, code) = run(&mut p, &mut env, &reset);
        assert_eq!(code, Some(0));
        assert!(out.contains("Broadcast completed"));
        assert_eq!(run(&mut p, &mut env, "pm list packages jp.go").0, "");
        assert_eq!(run(&mut p, &mut env, "logcat -d").0, "");
        assert_eq!(env.calls.contains(&"se_wipe".to_string()), wiped);
    }
}

#[test]
fn logcat_lines_are_threadtime_shaped() {
    let (mut p, mut env) = phone(&[]);
    install(&mut p, &mut env);
    run(
        &mut p,
        &mut env,
        "am start -n jp.go.digital.mynaportal/.MainActivity",
    );
    let log = run(&mut p, &mut env, "logcat -d").0;
    let line = log.lines().find(|l| l.contains("Mynaportal:")).unwrap();
    // "11-22 10:00:00.014  4242  4242 I Mynaportal: app started"
    let words: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(words[0], "11-22");
    assert_eq!(words[1].len(), 12);
    assert_eq!(words[4], "I");
    assert_eq!(words[5], "Mynaportal:");
    run(&mut p, &mut env, "logcat -c");
    assert_eq!(run(&mut p, &mut env, "logcat -d").0, "");
}

#[test]
fn am_start_without_the_app_says_error() {
    let (mut p, mut env) = phone(&[]);
    let (_, err, _) = run(
        &mut p,
        &mut env,
        "am start -n jp.go.digital.mynaportal/.MainActivity",
    );
    assert!(err.contains("Error: Activity class"), "{err}");
    install(&mut p, &mut env);
    let (_, err, _) = run(
        &mut p,
        &mut env,
        "am start -n jp.go.digital.mynaportal/.Other",
    );
    assert!(err.contains("does not exist"));
}

#[test]
fn radios_and_airplane_mode() {
    let (mut p, mut env) = phone(&[]);
    assert!(p.online());
    run(&mut p, &mut env, "svc wifi disable; svc data disable");
    assert!(!p.online());
    run(&mut p, &mut env, "svc data enable");
    assert!(p.online());
    run(&mut p, &mut env, "cmd connectivity airplane-mode enable");
    assert!(!p.online());
    assert_eq!(
        run(&mut p, &mut env, "settings get global airplane_mode_on").0,
        "1\n"
    );
    assert_eq!(
        run(&mut p, &mut env, "cmd connectivity airplane-mode").0,
        "enabled\n"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn shell_never_panics(line in "[ -~\\n]{0,60}") {
        let (mut p, mut env) = phone(&[]);
        install(&mut p, &mut env);
        run(&mut p, &mut env, "am start -n jp.go.digital.mynaportal/.MainActivity");
        let _ = p.shell(&line, &mut env);
        let _ = p.shell("uiautomator dump /dev/tty", &mut env);
    }

    #[test]
    fn random_taps_never_panic(taps in proptest::collection::vec((0i32..1100, 0i32..2500), 0..30)) {
        let (mut p, mut env) = phone(&[]);
        env.card_on = Some("SIM0001".into());
        install(&mut p, &mut env);
        run(&mut p, &mut env, "am start -n jp.go.digital.mynaportal/.MainActivity");
        for (x, y) in taps {
            let _ = p.shell(&format!("input tap {x} {y}"), &mut env);
            let _ = p.shell("input text 1234", &mut env);
        }
        let dump = p.shell("uiautomator dump /dev/tty", &mut env).stdout_text();
        prop_assert!(UiTree::parse_dump_output(&dump).is_ok());
    }
}

#[test]
fn booted_phone_reports_sys_boot_completed_1() {
    let (mut p, mut env) = phone(&[]);
    assert_eq!(run(&mut p, &mut env, "getprop sys.boot_completed").0, "1\n");
}
