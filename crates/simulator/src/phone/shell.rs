//! The virtual phone's `sh`: tokenised with the harness's own POSIX tokenizer (so an injection through a
//! badly quoted value would really run a second command), answering the commands a phone driver uses.

use super::PhoneEnv;
use super::app::{self, AppData, Ctx, Session};
use super::device::{VirtualPhone, offline};
use super::labels as l;
use super::screencap;
use super::xml;
use crate::profile::Quirk;
use crate::shell::quote::input_text_unescape;
use crate::shell::shlex::{self, Connector};
use crate::transport::ShellOutput;
use mynacert_wire::timing::Action;

/// Output of one simple command.
struct Out {
    stdout: Vec<u8>,
    stderr: String,
    code: u8,
}

fn ok(stdout: impl Into<String>) -> Out {
    Out {
        stdout: stdout.into().into_bytes(),
        stderr: String::new(),
        code: 0,
    }
}

fn fail(code: u8, stderr: impl Into<String>) -> Out {
    Out {
        stdout: Vec::new(),
        stderr: stderr.into(),
        code,
    }
}

const DUMP_PATH_DEFAULT: &str = "/sdcard/window_dump.xml";

impl VirtualPhone {
    pub(super) fn run_line(&mut self, line: &str, env: &mut dyn PhoneEnv) -> ShellOutput {
        let segments = match shlex::split_commands(line) {
            Ok(s) => s,
            Err(e) => {
                return ShellOutput {
                    stdout: Vec::new(),
                    stderr: format!("/system/bin/sh: syntax error: {e}\n").into_bytes(),
                    exit_code: Some(2),
                };
            }
        };
        let mut result = ShellOutput {
            exit_code: Some(0),
            ..ShellOutput::default()
        };
        for seg in segments {
            if !self.powered {
                return offline();
            }
            if seg.connector == Connector::IfSuccess && result.exit_code != Some(0) {
                continue;
            }
            let out = self.exec(&seg.argv, env);
            result.stdout.extend_from_slice(&out.stdout);
            result.stderr.extend_from_slice(out.stderr.as_bytes());
            result.exit_code = Some(out.code);
        }
        result
    }

    fn ctx<'a>(
        &'a mut self,
        env: &'a mut dyn PhoneEnv,
    ) -> (Ctx<'a>, &'a mut Option<AppData>, &'a mut Option<Session>) {
        let online = self.online();
        (
            Ctx {
                profile: &self.profile,
                clock: &self.clock,
                serial: &self.serial,
                online,
                nfc: self.nfc,
                log: &mut self.logcat,
                env,
            },
            &mut self.app,
            &mut self.session,
        )
    }

    fn is_factory_reset(&self, argv: &[String]) -> bool {
        self.profile.factory_reset.iter().any(|line| {
            shlex::split_commands(line)
                .map(|segs| segs.iter().any(|s| s.argv == argv))
                .unwrap_or(false)
        })
    }

    /// What a command costs in device time (a tap costs nothing of its own: the dump that follows it
    /// is the UI step).
    fn charge_for(&self, argv: &[String]) {
        let c = &self.clock;
        if self.is_factory_reset(argv) {
            c.charge(Action::FactoryReset, 1.0);
            c.charge(Action::BootCompletedWait, 1.0);
            return;
        }
        let a: Vec<&str> = argv.iter().map(String::as_str).collect();
        match a.as_slice() {
            ["reboot"] => {
                c.charge(Action::Reboot, 1.0);
                c.charge(Action::BootCompletedWait, 1.0);
            }
            ["reboot", "-p"] | ["uiautomator", "dump", ..] => c.charge(Action::UiStep, 1.0),
            ["pm", "install", ..] => c.charge(Action::AppInstall, 1.0),
            ["pm", "uninstall", ..] => c.charge(Action::AppUninstall, 1.0),
            ["input", "text", ..] => c.charge(Action::PinEntry, 1.0),
            _ => {}
        }
    }

    fn exec(&mut self, argv: &[String], env: &mut dyn PhoneEnv) -> Out {
        self.charge_for(argv);
        if self.is_factory_reset(argv) {
            return self.factory_reset(env);
        }
        let args: Vec<&str> = argv.iter().map(String::as_str).collect();
        match args.as_slice() {
            [] => ok(""),
            ["getprop"] => ok(self
                .props()
                .iter()
                .map(|(k, v)| format!("[{k}]: [{v}]\n"))
                .collect::<String>()),
            ["getprop", key] => ok(format!(
                "{}\n",
                self.props().get(*key).cloned().unwrap_or_default()
            )),
            ["echo", rest @ ..] => ok(format!("{}\n", rest.join(" "))),
            ["cat", path] => match self.files.get(*path) {
                Some(d) => ok(String::from_utf8_lossy(d).into_owned()),
                None => fail(1, format!("cat: {path}: No such file or directory\n")),
            },
            ["rm", rest @ ..] => {
                let force = rest.contains(&"-f");
                for p in rest.iter().filter(|a| !a.starts_with('-')) {
                    if self.files.remove(*p).is_none() && !force {
                        return fail(1, format!("rm: {p}: No such file or directory\n"));
                    }
                }
                ok("")
            }
            ["pm", rest @ ..] => self.pm(rest, env),
            ["am", rest @ ..] => self.am(rest),
            ["input", rest @ ..] => self.input(rest, env),
            ["uiautomator", "dump", rest @ ..] => self.uiautomator(rest, env),
            ["screencap", rest @ ..] => self.screencap(rest, env),
            ["cmd", "connectivity", "airplane-mode"] => ok(if self.airplane {
                "enabled\n"
            } else {
                "disabled\n"
            }),
            [
                "cmd",
                "connectivity",
                "airplane-mode",
                on @ ("enable" | "disable"),
            ] => {
                self.airplane = *on == "enable";
                ok("")
            }
            ["settings", "get", "global", "airplane_mode_on"] => {
                ok(if self.airplane { "1\n" } else { "0\n" })
            }
            [
                "settings",
                "put",
                "global",
                "airplane_mode_on",
                v @ ("0" | "1"),
            ] => {
                self.airplane = *v == "1";
                ok("")
            }
            ["settings", "get", _, _] => ok("null\n"),
            [
                "svc",
                what @ ("wifi" | "data" | "nfc"),
                on @ ("enable" | "disable"),
            ] => {
                let on = *on == "enable";
                match *what {
                    "wifi" => self.wifi = on,
                    "data" => self.data = on,
                    _ => self.nfc = on,
                }
                ok("")
            }
            ["reboot"] => {
                self.session = None;
                self.logcat.clear();
                ok("")
            }
            ["reboot", "-p"] => {
                self.session = None;
                self.powered = false;
                ok("")
            }
            ["logcat", rest @ ..] => {
                if rest.contains(&"-c") {
                    self.logcat.clear();
                    ok("")
                } else if rest.contains(&"-d") {
                    ok(self.logcat.dump())
                } else {
                    fail(1, "logcat: streaming is not supported here; use -d\n")
                }
            }
            [prog, ..] => fail(127, format!("/system/bin/sh: {prog}: not found\n")),
        }
    }

    fn factory_reset(&mut self, env: &mut dyn PhoneEnv) -> Out {
        self.app = None;
        self.session = None;
        self.files.clear();
        self.logcat.clear();
        self.airplane = false;
        self.wifi = true;
        self.data = true;
        self.nfc = true;
        if self.profile.has(Quirk::ResetWipesSe) || !self.profile.open_points.reset_keeps_se {
            env.se_wipe(&self.serial);
        }
        ok(
            "Broadcasting: Intent { act=android.intent.action.FACTORY_RESET flg=0x10000000 pkg=android }\nBroadcast completed: result=0\n",
        )
    }

    fn pm(&mut self, args: &[&str], env: &mut dyn PhoneEnv) -> Out {
        match args {
            ["list", "packages", filter @ ..] => {
                let mut pkgs = vec!["android", "com.android.settings", "com.android.launcher3"];
                if self.app.is_some() {
                    pkgs.push(l::PACKAGE);
                }
                let f = filter
                    .iter()
                    .find(|a| !a.starts_with('-'))
                    .copied()
                    .unwrap_or("");
                ok(pkgs
                    .iter()
                    .filter(|p| p.contains(f))
                    .map(|p| format!("package:{p}\n"))
                    .collect::<String>())
            }
            ["path", pkg] if *pkg == l::PACKAGE && self.app.is_some() => {
                ok(format!("package:/data/app/{}-1/base.apk\n", l::PACKAGE))
            }
            ["path", _] => fail(1, ""),
            ["install", rest @ ..] => {
                let Some(path) = rest.iter().rev().find(|a| !a.starts_with('-')) else {
                    return fail(1, "Error: no package specified\n");
                };
                let Some(bytes) = self.files.get(*path) else {
                    return fail(1, format!("Error: Unable to open file: {path}\n"));
                };
                let text = String::from_utf8_lossy(bytes);
                let manifest = |k: &str| {
                    text.lines()
                        .find_map(|line| line.trim().strip_prefix(k)?.strip_prefix('='))
                        .map(str::to_string)
                };
                if manifest("package").as_deref() != Some(l::PACKAGE) {
                    return Out {
                        stdout: "Failure [INSTALL_FAILED_INVALID_APK]\n".into(),
                        stderr: String::new(),
                        code: 1,
                    };
                }
                let version = manifest("versionName").unwrap_or_default();
                match &mut self.app {
                    Some(a) => a.version = version,
                    None => {
                        self.app = Some(AppData {
                            version,
                            registration: None,
                        })
                    }
                }
                self.logcat
                    .log('I', "PackageManager", "installed jp.go.digital.mynaportal");
                ok("Success\n")
            }
            ["uninstall", pkg] => {
                if *pkg != l::PACKAGE || self.app.is_none() {
                    return Out {
                        stdout: "Failure [DELETE_FAILED_INTERNAL_ERROR]\n".into(),
                        stderr: String::new(),
                        code: 1,
                    };
                }
                let (mut ctx, app, session) = self.ctx(env);
                app::on_uninstall(&mut ctx);
                *app = None;
                *session = None;
                self.logcat
                    .log('I', "PackageManager", "removed jp.go.digital.mynaportal");
                ok("Success\n")
            }
            _ => fail(1, format!("Unknown pm command: {}\n", args.join(" "))),
        }
    }

    fn am(&mut self, args: &[&str]) -> Out {
        match args {
            ["force-stop", pkg] => {
                if *pkg == l::PACKAGE {
                    self.session = None;
                }
                ok("")
            }
            ["start", rest @ ..] => {
                let comp = rest
                    .iter()
                    .position(|a| *a == "-n")
                    .and_then(|i| rest.get(i + 1))
                    .copied()
                    .unwrap_or("");
                let starting = format!("Starting: Intent {{ cmp={comp} }}\n");
                let full = format!("{}/{}{}", l::PACKAGE, l::PACKAGE, l::ACTIVITY);
                let short = format!("{}/{}", l::PACKAGE, l::ACTIVITY);
                if self.app.is_none() || (comp != full && comp != short) {
                    return Out {
                        stdout: starting.into_bytes(),
                        stderr: format!(
                            "Error type 3\nError: Activity class {{{comp}}} does not exist.\n"
                        ),
                        code: 0,
                    };
                }
                if self.session.is_none() {
                    self.session = Some(Session::new());
                    self.logcat.log('I', l::TAG, "app started");
                }
                ok(starting)
            }
            _ => fail(1, format!("Unknown am command: {}\n", args.join(" "))),
        }
    }

    fn input(&mut self, args: &[&str], env: &mut dyn PhoneEnv) -> Out {
        match args {
            ["tap", x, y] => {
                let (Ok(x), Ok(y)) = (x.parse::<i32>(), y.parse::<i32>()) else {
                    return fail(1, "Error: coordinates must be numbers\n");
                };
                let (mut ctx, app, session) = self.ctx(env);
                if let (Some(app), Some(s)) = (app.as_mut(), session.as_mut()) {
                    app::tap(app, s, &mut ctx, x, y);
                }
                ok("")
            }
            ["text", value] => {
                if let Some(s) = self.session.as_mut() {
                    s.type_text(&input_text_unescape(value));
                }
                ok("")
            }
            ["keyevent", key] => {
                if matches!(*key, "4" | "KEYCODE_BACK") {
                    if let Some(s) = self.session.as_mut()
                        && !s.back()
                    {
                        self.session = None;
                    }
                } else if matches!(*key, "3" | "KEYCODE_HOME") {
                    self.session = None;
                }
                ok("")
            }
            _ => fail(1, format!("Error: Unknown command: {}\n", args.join(" "))),
        }
    }

    /// The uiautomator XML of what is on screen now.
    fn current_xml(&mut self, env: &mut dyn PhoneEnv) -> String {
        let (mut ctx, app, session) = self.ctx(env);
        match (app.as_ref(), session.as_ref()) {
            (Some(app), Some(s)) => {
                let ws = app::widgets(app, s, &mut ctx);
                xml::app_hierarchy(l::PACKAGE, &ws, &s.fields, s.focus)
            }
            _ => xml::launcher_hierarchy(),
        }
    }

    /// `screencap -p [FILE]`: a PNG of the current screen to stdout (raw bytes) or to a file.
    fn screencap(&mut self, args: &[&str], env: &mut dyn PhoneEnv) -> Out {
        let png =
            |me: &mut Self, env: &mut dyn PhoneEnv| screencap::screenshot(&me.current_xml(env));
        match args {
            ["-p"] => Out {
                stdout: png(self, env),
                stderr: String::new(),
                code: 0,
            },
            ["-p", path] => {
                let data = png(self, env);
                self.files.insert((*path).to_string(), data);
                ok("")
            }
            _ => fail(
                1,
                "usage: screencap [-p] [FILENAME]\n(only PNG output is supported here)\n",
            ),
        }
    }

    fn uiautomator(&mut self, args: &[&str], env: &mut dyn PhoneEnv) -> Out {
        let xml = self.current_xml(env);
        match args {
            ["/dev/tty"] => ok(format!("{xml}UI hierchary dumped to: /dev/tty\n")),
            [] | ["--compressed"] => {
                self.files
                    .insert(DUMP_PATH_DEFAULT.into(), xml.into_bytes());
                ok(format!("UI hierchary dumped to: {DUMP_PATH_DEFAULT}\n"))
            }
            [path] | ["--compressed", path] => {
                self.files.insert((*path).to_string(), xml.into_bytes());
                ok(format!("UI hierchary dumped to: {path}\n"))
            }
            _ => fail(1, "Usage: uiautomator dump [--compressed] [file]\n"),
        }
    }
}
