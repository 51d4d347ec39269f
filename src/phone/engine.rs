//! The flow engine: runs a flow's steps through the driver, polling UI dumps, and classifies the app's
//! error by the flow data's texts when a flow cannot go on.

use crate::phone::driver::{DriverError, FlowOutcome, FlowValue, FlowVars, PhoneDriver};
use crate::phone::flow::{APP_NOT_INSTALLED, FlowBook, FlowStep, UNEXPECTED_SCREEN};
use crate::phone::quote::ShellCommand;
use crate::phone::ui::{Selector, UiNode, UiTree};
use crate::secret::SecretSet;
use crate::types::Feature;
use serde_saphyr::Spanned;
use std::sync::Arc;
use std::time::Duration;

/// Either keep going, or the flow stopped with this outcome.
type Step<T> = Result<Result<T, FlowOutcome>, DriverError>;

impl PhoneDriver {
    /// Runs a named flow of the flow book from the app's start screen.
    ///
    /// The outcome's texts never carry a secret variable's value (a field not flagged `password` on a real
    /// app could show one).
    pub fn run_flow(&mut self, name: &str, vars: &FlowVars) -> Result<FlowOutcome, DriverError> {
        let mut secrets = SecretSet::new();
        for v in vars.values() {
            if let FlowValue::Secret(s) = v {
                secrets.add(s);
            }
        }
        let mut out = self.run_flow_inner(name, vars)?;
        out.message = out.message.map(|m| secrets.scrub(&m));
        out.screen = secrets.scrub(&out.screen);
        Ok(out)
    }

    fn run_flow_inner(&mut self, name: &str, vars: &FlowVars) -> Result<FlowOutcome, DriverError> {
        let book = Arc::clone(&self.flows);
        let steps = book
            .flows
            .get(name)
            .ok_or_else(|| DriverError::Flow(format!("no flow named `{name}`")))?;
        if let Err(o) = self.start_app()? {
            return Ok(o);
        }
        if let Err(o) = self.exec(&book, name, steps, vars)? {
            return Ok(o);
        }
        let screen = self.screen()?.excerpt();
        Ok(FlowOutcome {
            completed: true,
            error: None,
            message: None,
            screen,
        })
    }

    /// Whether the app offers a feature: start the app, follow the feature's `reach` steps, look once.
    pub fn offers(&mut self, feature: Feature) -> Result<bool, DriverError> {
        let book = Arc::clone(&self.flows);
        let spec = book
            .features
            .get(&feature)
            .ok_or_else(|| DriverError::Flow(format!("no feature entry for {feature:?}")))?;
        if self.start_app()?.is_err() {
            return Ok(false);
        }
        if self
            .exec(&book, "features", &spec.reach, &FlowVars::new())?
            .is_err()
        {
            return Ok(false);
        }
        Ok(self.screen()?.find(&spec.selector).is_some())
    }

    /// `am force-stop` then `am start -n`: the app opens on its start screen.
    fn start_app(&mut self) -> Step<()> {
        let app = self.flows.app.clone();
        self.run(&ShellCommand::new("am").arg("force-stop").arg(&app.package))?;
        let cmd = ShellCommand::new("am")
            .arg("start")
            .arg("-n")
            .arg(app.component());
        let out = self.run(&cmd)?;
        let said = format!("{}{}", out.stdout_text(), out.stderr_text());
        if out.success() && !said.contains("Error") {
            return Ok(Ok(()));
        }
        if !self.app_installed()? {
            return Ok(Err(FlowOutcome {
                completed: false,
                error: Some(APP_NOT_INSTALLED.into()),
                message: Some(format!("{} is not installed", app.package)),
                screen: String::new(),
            }));
        }
        Err(DriverError::Command {
            command: cmd.redacted(),
            detail: said.trim().to_string(),
        })
    }

    fn exec(
        &mut self,
        book: &FlowBook,
        flow: &str,
        steps: &[Spanned<FlowStep>],
        vars: &FlowVars,
    ) -> Step<()> {
        for s in steps {
            let line = s.referenced.line();
            match &s.value {
                FlowStep::Tap(sel) => match self.wait_for(book, sel)? {
                    Ok(node) => self.tap(&node)?,
                    Err(o) => return Ok(Err(o)),
                },
                FlowStep::OptionalTap(sel) => {
                    let tree = self.screen()?;
                    if let Some(node) = tree.find(sel).cloned() {
                        self.tap(&node)?;
                    }
                }
                FlowStep::Enter(e) => {
                    let value = vars.get(&e.value).ok_or_else(|| {
                        DriverError::Flow(format!(
                            "flow `{flow}` line {line}: variable `{}` was not given",
                            e.value
                        ))
                    })?;
                    match self.wait_for(book, &e.selector)? {
                        Ok(node) => self.tap(&node)?,
                        Err(o) => return Ok(Err(o)),
                    }
                    let cmd = ShellCommand::new("input").arg("text");
                    let cmd = match value {
                        FlowValue::Plain(v) => cmd.text(v),
                        FlowValue::Secret(v) => cmd.secret_text(v),
                    };
                    self.run_ok(&cmd)?;
                }
                FlowStep::Wait(sel) => {
                    if let Err(o) = self.wait_for(book, sel)? {
                        return Ok(Err(o));
                    }
                }
                FlowStep::ExpectAbsent(sel) => {
                    let tree = self.screen()?;
                    if tree.find(sel).is_some() {
                        return Ok(Err(failure(book, &tree, format!("{sel} is shown"))));
                    }
                }
                FlowStep::Back => {
                    self.run_ok(&ShellCommand::new("input").arg("keyevent").arg("4"))?;
                }
                FlowStep::When(w) => {
                    let hit = match vars.get(&w.var) {
                        Some(FlowValue::Plain(v)) => v.split(',').any(|i| i.trim() == w.has),
                        Some(FlowValue::Secret(v)) => {
                            v.expose().split(',').any(|i| i.trim() == w.has)
                        }
                        None => false,
                    };
                    if hit && let Err(o) = self.exec(book, flow, &w.steps, vars)? {
                        return Ok(Err(o));
                    }
                }
            }
        }
        Ok(Ok(()))
    }

    /// Polls the screen until `sel` shows; stops early when a known error text shows.
    fn wait_for(&mut self, book: &FlowBook, sel: &Selector) -> Step<UiNode> {
        let polls = self.wait.wait_polls.max(1);
        let mut last = UiTree::default();
        for i in 0..polls {
            if i > 0 && self.wait.wait_interval_ms > 0 {
                std::thread::sleep(Duration::from_millis(self.wait.wait_interval_ms));
            }
            let tree = self.screen()?;
            if let Some(node) = tree.find(sel) {
                return Ok(Ok(node.clone()));
            }
            if book.classify(&tree.texts()).is_some() {
                return Ok(Err(failure(book, &tree, String::new())));
            }
            last = tree;
        }
        Ok(Err(failure(
            book,
            &last,
            format!("no known error shown; {sel} never appeared after {polls} polls"),
        )))
    }

    fn tap(&mut self, node: &UiNode) -> Result<(), DriverError> {
        let (x, y) = node.bounds.center();
        let cmd = ShellCommand::new("input")
            .arg("tap")
            .arg(x.to_string())
            .arg(y.to_string());
        self.run_ok(&cmd).map(|_| ())
    }
}

/// The outcome of a flow stopped on `tree`: the class of the error text it shows, else `unexpected-screen`
/// with `what` as message.
fn failure(book: &FlowBook, tree: &UiTree, what: String) -> FlowOutcome {
    let texts = tree.texts();
    let (error, message) = match book.classify(&texts) {
        Some((class, text)) => (class.to_string(), text.to_string()),
        None => (UNEXPECTED_SCREEN.to_string(), what),
    };
    FlowOutcome {
        completed: false,
        error: Some(error),
        message: Some(message),
        screen: tree.excerpt(),
    }
}
