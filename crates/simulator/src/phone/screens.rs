//! What each screen of the virtual Mynaportal app shows: a vertical list of widgets, each with the action
//! a tap on it triggers. Rendering may query the environment (notifications, suspension), never change it.

use super::app::{AppData, Ctx, Purpose, Screen, Session};
use super::labels as l;
use crate::profile::Quirk;
use crate::types::CertKind;

/// What a widget is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    Label,
    Button,
    /// A text field; `index` into the session's field values.
    Field {
        index: usize,
        password: bool,
    },
    Check {
        checked: bool,
    },
}

/// What a tap on a widget does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    None,
    Focus(usize),
    Go(Screen),
    ToggleCert(CertKind),
    CardPasswordNext(Purpose),
    ReadCard(Purpose),
    AuthPinNext,
    SignPasswordNext,
    Biometrics(bool),
    Submit,
    Register,
    Login,
    Begin,
    RevokeDo,
}

/// One on-screen element.
#[derive(Debug, Clone)]
pub(crate) struct Widget {
    pub kind: Kind,
    pub text: String,
    /// Resource id suffix (`package:id/<id>`), or empty.
    pub id: &'static str,
    pub action: Action,
}

fn label(text: impl Into<String>, id: &'static str) -> Widget {
    Widget {
        kind: Kind::Label,
        text: text.into(),
        id,
        action: Action::None,
    }
}

fn button(text: &str, id: &'static str, action: Action) -> Widget {
    Widget {
        kind: Kind::Button,
        text: text.to_string(),
        id,
        action,
    }
}

fn field(index: usize, id: &'static str) -> Widget {
    Widget {
        kind: Kind::Field {
            index,
            password: true,
        },
        text: String::new(),
        id,
        action: Action::Focus(index),
    }
}

/// Whether the app shows the provisioning menu on this model.
pub(crate) fn offers_apply(ctx: &Ctx) -> bool {
    ctx.profile.app_supported() || ctx.profile.has(Quirk::UnsupportedOffersProvisioning)
}

/// The widgets of the current screen.
pub(crate) fn render(app: &AppData, s: &Session, ctx: &mut Ctx) -> Vec<Widget> {
    let mut w = Vec::new();
    if let Some(e) = &s.error {
        w.push(label(e.clone(), "error"));
    }
    if let Some(n) = &s.notice {
        w.push(label(n.clone(), "notice"));
    }
    let supported = ctx.profile.app_supported();
    match &s.screen {
        Screen::Start => {
            w.push(label(l::TITLE, "title"));
            if ctx.online && registration_waiting(app, ctx) {
                w.push(label(l::NOTIFICATION, "notification"));
                w.push(button(l::REGISTER, "register", Action::Register));
            }
            if offers_apply(ctx) {
                w.push(button(
                    l::APPLY_BANNER,
                    "apply_banner",
                    Action::Go(Screen::ApplyIntro),
                ));
            } else {
                w.push(label(l::UNSUPPORTED, "unsupported"));
                w.push(label(l::SUSPENSION_HELP, "suspension_help"));
            }
            w.push(button(l::MENU, "menu", Action::Go(Screen::Settings)));
            w.push(button(l::MY_PAGE, "mypage", Action::Go(Screen::Login)));
            w.push(button(
                l::SETTINGS,
                "settings",
                Action::Go(Screen::Settings),
            ));
        }
        Screen::Settings => {
            w.push(label(l::SETTINGS_TITLE, "title"));
            if offers_apply(ctx) {
                w.push(button(
                    l::APPLY_BANNER,
                    "apply_banner",
                    Action::Go(Screen::ApplyIntro),
                ));
                w.push(button(
                    l::REVOKE_MENU,
                    "revoke_menu",
                    Action::Go(Screen::RevokeChoose),
                ));
            }
            if supported {
                w.push(button(
                    l::REVOKE_OTHER,
                    "revoke_other",
                    Action::Go(Screen::CardPassword(Purpose::RevokeOther)),
                ));
                if ctx.profile.biometrics {
                    w.push(button(l::BIOMETRICS, "biometrics", Action::None));
                }
            } else {
                w.push(label(l::UNSUPPORTED, "unsupported"));
            }
            w.push(label(l::SUSPENSION_HELP, "suspension_help"));
            w.push(button(l::CLOSE, "close", Action::Go(Screen::Start)));
        }
        Screen::ApplyIntro => {
            w.push(label(l::APPLY_TITLE, "title"));
            w.push(label(l::HANDOVER_WARNING, "handover"));
            w.push(button(
                l::APPLY,
                "apply",
                Action::Go(Screen::CardPassword(Purpose::Apply)),
            ));
        }
        Screen::CardPassword(p) => {
            w.push(label(
                match p {
                    Purpose::Apply => l::CARD_PW_PROMPT,
                    Purpose::RevokeOther => l::REVOKE_OTHER_PROMPT,
                },
                "prompt",
            ));
            w.push(field(0, "card_password"));
            w.push(button(l::NEXT, "next", Action::CardPasswordNext(*p)));
        }
        Screen::Terms => {
            w.push(label(l::TERMS_TITLE, "title"));
            w.push(button(
                l::AGREE,
                "agree",
                Action::Go(Screen::CardRead(Purpose::Apply)),
            ));
        }
        Screen::CardRead(p) => {
            w.push(label(l::CARD_READ_PROMPT, "prompt"));
            w.push(button(l::READ_START, "read", Action::ReadCard(*p)));
        }
        Screen::AuthPin => {
            w.push(label(l::AUTH_PIN_PROMPT, "prompt"));
            w.push(field(0, "new_pin"));
            w.push(field(1, "confirm_pin"));
            w.push(button(l::NEXT, "next", Action::AuthPinNext));
        }
        Screen::SignPassword => {
            w.push(label(l::SIGN_PW_PROMPT, "prompt"));
            w.push(field(0, "new_password"));
            w.push(field(1, "confirm_password"));
            w.push(button(l::NEXT, "next", Action::SignPasswordNext));
        }
        Screen::AuthMethod => {
            w.push(label(l::AUTH_METHOD_TITLE, "title"));
            if ctx.profile.biometrics {
                w.push(button(
                    l::BIOMETRICS,
                    "biometrics",
                    Action::Biometrics(true),
                ));
            }
            w.push(button(l::SKIP, "skip", Action::Biometrics(false)));
        }
        Screen::Confirm => {
            w.push(label(l::CONFIRM_TITLE, "title"));
            w.push(button(l::SUBMIT, "submit", Action::Submit));
        }
        Screen::ApplyDone => {
            w.push(label(l::APPLY_DONE, "title"));
            w.push(label(l::NOTIFICATION, "notification"));
            w.push(button(l::REGISTER, "register", Action::Register));
        }
        Screen::RegisterDone => {
            w.push(label(l::REGISTER_DONE, "title"));
            w.push(button(l::CLOSE, "close", Action::Go(Screen::Start)));
        }
        Screen::Login => {
            w.push(label(l::LOGIN_PROMPT, "prompt"));
            w.push(field(0, "login_pin"));
            w.push(button(l::LOGIN, "login", Action::Login));
        }
        Screen::MyPage => my_page(app, ctx, &mut w),
        Screen::RevokeChoose => {
            w.push(label(l::REVOKE_CHOOSE, "prompt"));
            for (kind, text, id) in [
                (CertKind::Sign, l::SIGN_CERT, "choose_sign"),
                (CertKind::Auth, l::AUTH_CERT, "choose_auth"),
            ] {
                w.push(Widget {
                    kind: Kind::Check {
                        checked: s.revoke_kinds.contains(&kind),
                    },
                    text: text.to_string(),
                    id,
                    action: Action::ToggleCert(kind),
                });
            }
            w.push(button(l::BEGIN, "begin", Action::Begin));
        }
        Screen::RevokePassword => {
            w.push(label(l::REVOKE_PW_PROMPT, "prompt"));
            w.push(field(0, "revoke_password"));
            w.push(button(l::REVOKE_DO, "revoke", Action::RevokeDo));
        }
        Screen::RevokeDone => {
            w.push(label(l::REVOKE_DONE, "title"));
            w.push(button(l::CLOSE, "close", Action::Go(Screen::Start)));
        }
        Screen::RevokeOtherDone => {
            w.push(label(l::REVOKE_OTHER_DONE, "title"));
            w.push(button(l::CLOSE, "close", Action::Go(Screen::Start)));
        }
    }
    w
}

fn my_page(app: &AppData, ctx: &mut Ctx, w: &mut Vec<Widget>) {
    w.push(label(l::MY_PAGE_HEADER, "mypage_header"));
    let held = ctx.env.se_holds(ctx.serial);
    let person = ctx.env.se_person(ctx.serial);
    if held.is_empty() {
        w.push(label(l::STATUS_NONE, "status"));
    } else {
        let suspended = match &person {
            Some(p) => ctx.online && ctx.env.suspended(p),
            None => false,
        };
        if suspended && !ctx.profile.has(Quirk::AppIgnoresSuspension) {
            w.push(label(l::SUSPENDED, "status"));
        } else {
            w.push(label(l::STATUS_OK, "status"));
        }
    }
    if ctx.online && registration_waiting(app, ctx) {
        w.push(button(l::REGISTER, "register", Action::Register));
    }
    if !held.is_empty() {
        w.push(button(
            l::REVOKE,
            "revoke",
            Action::Go(Screen::RevokeChoose),
        ));
    }
    w.push(button(l::CLOSE, "close", Action::Go(Screen::Start)));
}

/// A certificate waits to be registered: issued after an application, or a sign certificate re-issued
/// after a suspension was lifted.
pub(crate) fn registration_waiting(app: &AppData, ctx: &mut Ctx) -> bool {
    if ctx.env.pending(ctx.serial) {
        return true;
    }
    match &app.registration {
        Some(r) => ctx.env.sign_reissue_pending(ctx.serial, &r.person),
        None => false,
    }
}
