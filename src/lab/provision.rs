//! Provisioning a unit outside a scenario: the same driver steps the runner uses (online, NFC on, the app
//! installed, the identity's card held to the phone, the app's `provision` flow), so a bench can put
//! certificates into a phone's SE before serving it to real tools (`mynacert lab serve --provision`).

use super::{Lab, LabError};
use crate::phone::{DriverError, FlowBook, FlowValue, FlowVars, PhoneDriver};
use crate::types::NetworkMode;
use std::sync::Arc;
use thiserror::Error;

/// Provisioning a unit did not end with both certificates registered.
#[derive(Debug, Error)]
pub enum ProvisionError {
    /// The lab could not do something (infrastructure).
    #[error("{serial}: {source}")]
    Lab {
        /// The unit.
        serial: String,
        /// What failed.
        #[source]
        source: LabError,
    },
    /// The phone driver failed (transport, UI dump, device command).
    #[error("{serial}: {source}")]
    Driver {
        /// The unit.
        serial: String,
        /// What failed.
        #[source]
        source: DriverError,
    },
    /// The app's provision flow did not complete (never a PIN in the message).
    #[error("{serial}: the provision flow stopped ({class}): {message}")]
    Flow {
        /// The unit.
        serial: String,
        /// Error class from the flow data.
        class: String,
        /// Visible error text or what was awaited.
        message: String,
    },
}

/// The provision flow's variables for an identity: its card signing password, the phone PIN and
/// password to set, no biometrics.
pub fn provision_vars(id: &crate::identity::Identity) -> FlowVars {
    let mut vars = FlowVars::new();
    for (name, secret) in [
        ("card_sign_password", &id.card.sign_password),
        ("phone_auth_pin", &id.phone.auth_pin),
        ("phone_sign_password", &id.phone.sign_password),
    ] {
        vars.insert(name.to_string(), FlowValue::Secret(secret.clone()));
    }
    vars.insert("biometrics".into(), FlowValue::Plain("no".into()));
    vars
}

/// Provisions `serial` with the certificates of the lab's identity `identity` through the app, like a
/// scenario's `provision` step (without biometrics). Returns a one-line summary.
pub fn provision_unit(
    lab: &mut dyn Lab,
    flows: &Arc<FlowBook>,
    serial: &str,
    identity: &str,
) -> Result<String, ProvisionError> {
    let lab_err = |source: LabError| ProvisionError::Lab {
        serial: serial.to_string(),
        source,
    };
    let drv_err = |source: DriverError| ProvisionError::Driver {
        serial: serial.to_string(),
        source,
    };
    let id = lab
        .identities()
        .iter()
        .find(|i| i.id == identity)
        .cloned()
        .ok_or_else(|| {
            lab_err(LabError::Unknown {
                what: "identity",
                name: identity.to_string(),
            })
        })?;
    super::unit(lab, serial).map_err(lab_err)?;
    lab.power_on(serial).map_err(lab_err)?;
    let apk = lab.app_apk().map_err(lab_err)?;
    let mut d = PhoneDriver::new(lab.phone(serial).map_err(lab_err)?, flows.clone());
    d.set_network(NetworkMode::Online).map_err(drv_err)?;
    d.nfc(true).map_err(drv_err)?;
    if !d.app_installed().map_err(drv_err)? {
        d.install_app(&apk).map_err(drv_err)?;
    }
    let vars = provision_vars(&id);
    lab.place_card(&id.id, serial).map_err(lab_err)?;
    let outcome = d.run_flow("provision", &vars);
    lab.remove_card(&id.id).map_err(lab_err)?;
    let outcome = outcome.map_err(drv_err)?;
    if !outcome.completed {
        return Err(ProvisionError::Flow {
            serial: serial.to_string(),
            class: outcome.error.unwrap_or_else(|| "unexpected-screen".into()),
            message: outcome.message.unwrap_or_default(),
        });
    }
    Ok(format!(
        "{serial}: provisioned with the certificates of {}",
        id.id
    ))
}
