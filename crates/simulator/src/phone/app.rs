//! The virtual Mynaportal app: installed data, the foreground session, and what each tap does.
//! Network and power are checked by the app before every environment call that needs the network.

use super::device::Logcat;
use super::labels as l;
use super::screens::{Action, Kind, Widget, render};
use super::xml::layout;
use super::{EnvError, PhoneEnv};
use crate::profile::{DeviceProfile, Quirk};
use crate::secret::Secret;
use crate::types::{CertKind, PinKind};
use mynacert_wire::timing::Action as DeviceAction;
use std::collections::BTreeSet;

/// The app's stored data (survives force-stop and reboot; gone on uninstall or reset).
#[derive(Debug, Clone, Default)]
pub(crate) struct AppData {
    pub version: String,
    /// This install's registration record.
    pub registration: Option<Registration>,
}

/// Who registered certificates through this install.
#[derive(Debug, Clone)]
pub(crate) struct Registration {
    pub person: String,
    pub biometrics: bool,
}

/// Why the card is being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    Apply,
    RevokeOther,
}

/// The app's screens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Screen {
    Start,
    Settings,
    ApplyIntro,
    CardPassword(Purpose),
    Terms,
    CardRead(Purpose),
    AuthPin,
    SignPassword,
    AuthMethod,
    Confirm,
    ApplyDone,
    RegisterDone,
    Login,
    MyPage,
    RevokeChoose,
    RevokePassword,
    RevokeDone,
    RevokeOtherDone,
}

impl Screen {
    fn field_count(&self) -> usize {
        match self {
            Screen::CardPassword(_) | Screen::Login | Screen::RevokePassword => 1,
            Screen::AuthPin | Screen::SignPassword => 2,
            _ => 0,
        }
    }
}

/// The app in the foreground.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub screen: Screen,
    history: Vec<Screen>,
    pub fields: Vec<String>,
    pub focus: Option<usize>,
    pub error: Option<String>,
    pub notice: Option<String>,
    card_password: Option<Secret>,
    person: Option<String>,
    auth_pin: Option<Secret>,
    sign_password: Option<Secret>,
    biometrics: bool,
    pub revoke_kinds: BTreeSet<CertKind>,
}

impl Session {
    /// The start screen.
    pub fn new() -> Self {
        Session {
            screen: Screen::Start,
            history: Vec::new(),
            fields: Vec::new(),
            focus: None,
            error: None,
            notice: None,
            card_password: None,
            person: None,
            auth_pin: None,
            sign_password: None,
            biometrics: false,
            revoke_kinds: BTreeSet::new(),
        }
    }

    fn go(&mut self, to: Screen) {
        let from = std::mem::replace(&mut self.screen, to);
        self.history.push(from);
        self.enter();
    }

    fn enter(&mut self) {
        self.fields = vec![String::new(); self.screen.field_count()];
        self.focus = None;
        self.error = None;
        if self.screen != Screen::MyPage {
            self.notice = None;
        }
        if self.screen == Screen::RevokeChoose {
            self.revoke_kinds.clear();
        }
    }

    /// The back key: previous screen, or `false` when the app leaves the foreground.
    pub fn back(&mut self) -> bool {
        match self.history.pop() {
            Some(prev) => {
                self.screen = prev;
                self.enter();
                true
            }
            None => false,
        }
    }

    /// `input text` into the focused field.
    pub fn type_text(&mut self, text: &str) {
        if let Some(f) = self.focus.and_then(|i| self.fields.get_mut(i)) {
            f.push_str(text);
        }
    }

    fn field(&self, i: usize) -> String {
        self.fields.get(i).cloned().unwrap_or_default()
    }
}

/// What the app may touch while handling a tap.
pub(crate) struct Ctx<'a> {
    pub profile: &'a DeviceProfile,
    /// What the app's actions cost in device time.
    pub clock: &'a crate::device_time::DeviceClock,
    pub serial: &'a str,
    pub online: bool,
    pub nfc: bool,
    pub log: &'a mut Logcat,
    pub env: &'a mut dyn PhoneEnv,
}

/// The widgets of the current screen, laid out (for dumps and hit tests).
pub(crate) fn widgets(app: &AppData, s: &Session, ctx: &mut Ctx) -> Vec<Widget> {
    render(app, s, ctx)
}

/// A tap at (x, y).
pub(crate) fn tap(app: &mut AppData, s: &mut Session, ctx: &mut Ctx, x: i32, y: i32) {
    let ws = widgets(app, s, ctx);
    let hit = ws
        .iter()
        .enumerate()
        .find(|(i, w)| w.kind != Kind::Label && layout(*i).contains(x, y));
    let Some((_, w)) = hit else {
        return;
    };
    let action = w.action.clone();
    if !matches!(action, Action::Focus(_) | Action::ToggleCert(_)) {
        s.error = None;
    }
    if let Err(text) = act(app, s, ctx, action) {
        ctx.log.log('W', l::TAG, "operation failed; error shown");
        s.error = Some(text);
    }
}

fn env_text(e: EnvError) -> String {
    match e {
        EnvError::NoCard => l::ERR_NO_CARD.into(),
        EnvError::WrongPassword { retries } => l::err_wrong_password(retries),
        EnvError::Locked => l::ERR_LOCKED.into(),
        EnvError::Suspended => l::SUSPENDED.into(),
        EnvError::NotSupported => l::ERR_NOT_SUPPORTED.into(),
        EnvError::Refused(why) => l::err_refused(&why),
    }
}

fn need_online(ctx: &Ctx) -> Result<(), String> {
    if ctx.online {
        Ok(())
    } else {
        Err(l::ERR_NETWORK.into())
    }
}

fn sign_format_ok(v: &str) -> bool {
    (6..=16).contains(&v.len()) && v.chars().all(|c| c.is_ascii_alphanumeric())
}

fn pin_format_ok(v: &str) -> bool {
    v.len() == 4 && v.chars().all(|c| c.is_ascii_digit())
}

fn act(app: &mut AppData, s: &mut Session, ctx: &mut Ctx, action: Action) -> Result<(), String> {
    match action {
        Action::None => {}
        Action::Focus(i) => s.focus = Some(i),
        Action::Go(to) => s.go(to),
        Action::ToggleCert(k) => {
            if !s.revoke_kinds.remove(&k) {
                s.revoke_kinds.insert(k);
            }
        }
        Action::CardPasswordNext(p) => {
            let pw = s.field(0).to_ascii_uppercase();
            if !sign_format_ok(&pw) {
                return Err(l::ERR_FORMAT.into());
            }
            s.card_password = Some(Secret::new(pw));
            s.go(match p {
                Purpose::Apply => Screen::Terms,
                Purpose::RevokeOther => Screen::CardRead(Purpose::RevokeOther),
            });
        }
        Action::ReadCard(p) => read_card(app, s, ctx, p)?,
        Action::AuthPinNext => {
            let (a, b) = (s.field(0), s.field(1));
            if !pin_format_ok(&a) {
                return Err(l::ERR_FORMAT.into());
            }
            if a != b {
                return Err(l::ERR_MISMATCH.into());
            }
            s.auth_pin = Some(Secret::new(a));
            s.go(Screen::SignPassword);
        }
        Action::SignPasswordNext => {
            let (a, b) = (
                s.field(0).to_ascii_uppercase(),
                s.field(1).to_ascii_uppercase(),
            );
            if !sign_format_ok(&a) {
                return Err(l::ERR_FORMAT.into());
            }
            if a != b {
                return Err(l::ERR_MISMATCH.into());
            }
            if ctx.profile.has(Quirk::SecretInLogcat) {
                ctx.log.log('D', l::TAG, &format!("setSignPassword: {a}"));
            }
            ctx.log.log('I', l::TAG, "phone passwords set");
            s.sign_password = Some(Secret::new(a));
            s.go(Screen::AuthMethod);
        }
        Action::Biometrics(on) => {
            s.biometrics = on;
            s.go(Screen::Confirm);
        }
        Action::Submit => submit(s, ctx)?,
        Action::Register => register(app, s, ctx)?,
        Action::Login => login(app, s, ctx)?,
        Action::Begin => {
            if s.revoke_kinds.is_empty() {
                return Err(l::ERR_NO_SELECTION.into());
            }
            s.go(Screen::RevokePassword);
        }
        Action::RevokeDo => revoke(app, s, ctx)?,
    }
    Ok(())
}

fn read_card(app: &AppData, s: &mut Session, ctx: &mut Ctx, p: Purpose) -> Result<(), String> {
    let own_person = app
        .registration
        .as_ref()
        .map(|r| r.person.clone())
        .or_else(|| ctx.env.se_person(ctx.serial));
    let skip_card = p == Purpose::RevokeOther && ctx.profile.has(Quirk::RevokeOtherWithoutCard);
    let person = match (skip_card, own_person) {
        (true, Some(person)) => person,
        _ => {
            if !ctx.nfc {
                return Err(l::ERR_NFC_OFF.into());
            }
            let pw = s.card_password.clone().unwrap_or_else(|| Secret::new(""));
            // The operator holds the card to the phone while the app reads it.
            ctx.clock.charge(DeviceAction::CardPlacement, 1.0);
            ctx.clock.charge(DeviceAction::NfcCardRead, 1.0);
            let person = ctx.env.read_card(ctx.serial, &pw).map_err(env_text)?;
            ctx.log.log('I', l::TAG, "card read over NFC");
            person
        }
    };
    match p {
        Purpose::Apply => {
            s.person = Some(person);
            s.go(Screen::AuthPin);
        }
        Purpose::RevokeOther => {
            need_online(ctx)?;
            ctx.clock.charge(DeviceAction::RevocationRoundTrip, 1.0);
            let n = ctx
                .env
                .revoke_other_devices(ctx.serial, &person)
                .map_err(env_text)?;
            ctx.log.log(
                'I',
                l::TAG,
                &format!("revoked {n} certificates on other devices"),
            );
            s.go(Screen::RevokeOtherDone);
        }
    }
    Ok(())
}

fn submit(s: &mut Session, ctx: &mut Ctx) -> Result<(), String> {
    need_online(ctx)?;
    let (Some(person), Some(auth), Some(sign)) = (&s.person, &s.auth_pin, &s.sign_password) else {
        return Err(l::err_refused("入力が不足しています"));
    };
    let revoke_previous = !ctx.profile.has(Quirk::ReissueKeepsOldValid);
    ctx.clock.charge(DeviceAction::IssuancePushWait, 1.0);
    ctx.env
        .apply(ctx.serial, person, auth, sign, revoke_previous)
        .map_err(env_text)?;
    ctx.log.log('I', l::TAG, "application submitted");
    s.go(Screen::ApplyDone);
    Ok(())
}

fn register(app: &mut AppData, s: &mut Session, ctx: &mut Ctx) -> Result<(), String> {
    need_online(ctx)?;
    let person = s
        .person
        .clone()
        .or_else(|| app.registration.as_ref().map(|r| r.person.clone()))
        .or_else(|| ctx.env.se_person(ctx.serial));
    if !ctx.env.pending(ctx.serial)
        && let Some(p) = &person
        && ctx.env.sign_reissue_pending(ctx.serial, p)
    {
        ctx.env.reissue_sign(ctx.serial, p).map_err(env_text)?;
    }
    if !ctx.env.pending(ctx.serial) {
        return Err(l::ERR_NOTHING_TO_REGISTER.into());
    }
    ctx.clock.charge(DeviceAction::Registration, 1.0);
    ctx.env.register(ctx.serial).map_err(env_text)?;
    let person = person.or_else(|| ctx.env.se_person(ctx.serial));
    if let Some(person) = person {
        let biometrics = s.biometrics || app.registration.as_ref().is_some_and(|r| r.biometrics);
        app.registration = Some(Registration { person, biometrics });
    }
    ctx.log
        .log('I', l::TAG, "certificates registered in the secure element");
    s.go(Screen::RegisterDone);
    Ok(())
}

fn login(app: &mut AppData, s: &mut Session, ctx: &mut Ctx) -> Result<(), String> {
    need_online(ctx)?;
    let held = ctx.env.se_holds(ctx.serial);
    if held.is_empty() {
        return Err(l::ERR_NOT_REGISTERED.into());
    }
    let pin = Secret::new(s.field(0));
    ctx.env
        .se_verify(ctx.serial, PinKind::Auth, &pin)
        .map_err(env_text)?;
    let Some(person) = ctx.env.se_person(ctx.serial) else {
        return Err(l::ERR_NOT_REGISTERED.into());
    };
    let stale = app.registration.as_ref().is_none_or(|r| r.person != person);
    let mut notice = None;
    if stale {
        if ctx.profile.has(Quirk::CleanupOnReinstallMissing) {
            ctx.log
                .log('I', l::TAG, "certificates of an earlier install found");
            app.registration = Some(Registration {
                person,
                biometrics: false,
            });
        } else {
            ctx.env
                .revoke(ctx.serial, &person, &held)
                .map_err(env_text)?;
            ctx.env.se_delete(ctx.serial, &held);
            ctx.log
                .log('I', l::TAG, "stale certificates revoked and deleted");
            notice = Some(l::STALE_DELETED.to_string());
        }
    }
    ctx.log.log('I', l::TAG, "my page opened");
    s.go(Screen::MyPage);
    s.notice = notice;
    Ok(())
}

fn revoke(app: &mut AppData, s: &mut Session, ctx: &mut Ctx) -> Result<(), String> {
    let held = ctx.env.se_holds(ctx.serial);
    let kinds: Vec<CertKind> = s
        .revoke_kinds
        .iter()
        .copied()
        .filter(|k| held.contains(k))
        .collect();
    if kinds.is_empty() {
        return Err(l::ERR_NOT_REGISTERED.into());
    }
    let pw = Secret::new(s.field(0).to_ascii_uppercase());
    ctx.env
        .se_verify(ctx.serial, PinKind::Sign, &pw)
        .map_err(env_text)?;
    if !ctx.online {
        if ctx.profile.has(Quirk::OfflineRevokeReportsSuccess) {
            ctx.log.log('I', l::TAG, "revocation finished");
            s.go(Screen::RevokeDone);
            return Ok(());
        }
        return Err(l::ERR_NETWORK.into());
    }
    let Some(person) = ctx.env.se_person(ctx.serial) else {
        return Err(l::ERR_NOT_REGISTERED.into());
    };
    ctx.env
        .revoke(ctx.serial, &person, &kinds)
        .map_err(env_text)?;
    if ctx.profile.open_points.revoke_deletes && !ctx.profile.has(Quirk::RevokeLeavesSeData) {
        ctx.env.se_delete(ctx.serial, &kinds);
    }
    if ctx.env.se_holds(ctx.serial).is_empty() {
        app.registration = None;
    }
    ctx.log.log('I', l::TAG, "revocation finished");
    s.go(Screen::RevokeDone);
    Ok(())
}

/// `pm uninstall` of the app: online, it revokes and deletes the SE's certificates (R6).
pub(crate) fn on_uninstall(ctx: &mut Ctx) {
    if !ctx.online || ctx.profile.has(Quirk::UninstallOnlineNoRevoke) {
        return;
    }
    let held = ctx.env.se_holds(ctx.serial);
    if held.is_empty() {
        return;
    }
    if let Some(person) = ctx.env.se_person(ctx.serial) {
        ctx.clock.charge(DeviceAction::RevocationRoundTrip, 1.0);
        match ctx.env.revoke(ctx.serial, &person, &held) {
            Ok(_) => ctx.env.se_delete(ctx.serial, &held),
            Err(_) => ctx.log.log('W', l::TAG, "revocation on uninstall failed"),
        }
    }
}
