//! `mynacert reader list|check`: the smoke check to run first on a new bench (see `pcsc::check`).

use super::commands::CliError;
use mynacert::lab::Lab;
use mynacert::pcsc::check::{CheckSecrets, check_token};
use mynacert::pcsc::{self, PcscSettings, PcscTransport};
use std::path::{Path, PathBuf};

/// `mynacert reader …`.
#[derive(Debug, clap::Subcommand)]
pub enum ReaderCommand {
    /// List the PC/SC readers and the ATR of the card on each.
    List,
    /// On every reader with a card (or the one matching --reader): token info, both certificates
    /// against the CAs on the token, retries left (no try spent), and a verified auth signature.
    Check(CheckArgs),
}

/// Arguments of `mynacert reader check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Reader name pattern (`*`, `?` wildcards).
    #[arg(long)]
    pub reader: Option<String>,
    /// Test identity whose PINs to use (card PINs on a card, phone PINs on a phone's SE).
    #[arg(long, default_value = "taro")]
    pub identity: String,
    /// Lab inventory file (for the identities).
    #[arg(long, default_value = "devices/lab.yaml")]
    pub lab: PathBuf,
    /// Longest wait for a signature, in ms (RSA on a real card can take 20 s).
    #[arg(long, default_value_t = 30_000)]
    pub sign_timeout_ms: u64,
}

/// Runs `mynacert reader …`.
pub fn reader(root: &Path, cmd: &ReaderCommand) -> Result<i32, CliError> {
    let infra = |e: mynacert::transport::TransportError| CliError::Infra(e.to_string());
    match cmd {
        ReaderCommand::List => {
            let readers = pcsc::list_readers().map_err(infra)?;
            if readers.is_empty() {
                println!("no reader");
            }
            for r in readers {
                match pcsc::card_atr(&r) {
                    Ok(Some(atr)) => println!("{r}\tcard ATR {}", hex::encode_upper(atr)),
                    Ok(None) => println!("{r}\tno card"),
                    Err(e) => println!("{r}\t{e}"),
                }
            }
            Ok(0)
        }
        ReaderCommand::Check(args) => check(root, args),
    }
}

fn check(root: &Path, args: &CheckArgs) -> Result<i32, CliError> {
    let lab = super::serve::load_virtual_lab(root, &args.lab)?;
    let id = lab
        .identities()
        .iter()
        .find(|i| i.id == args.identity)
        .ok_or_else(|| CliError::Invalid(format!("no identity `{}` in the lab", args.identity)))?;
    let secrets = CheckSecrets::of(id);
    let readers = pcsc::list_readers().map_err(|e| CliError::Infra(e.to_string()))?;
    println!(
        "readers: {}",
        if readers.is_empty() {
            "none".into()
        } else {
            readers.join(", ")
        }
    );
    let chosen: Vec<String> = match &args.reader {
        Some(p) => {
            vec![pcsc::pick_reader(p, &readers).map_err(|e| CliError::Infra(e.to_string()))?]
        }
        None => readers
            .into_iter()
            .filter(|r| matches!(pcsc::card_atr(r), Ok(Some(_))))
            .collect(),
    };
    if chosen.is_empty() {
        return Err(CliError::Infra("no reader has a card on it".into()));
    }
    let settings = PcscSettings {
        sign_timeout_ms: args.sign_timeout_ms,
        ..PcscSettings::default()
    };
    let mut failed = false;
    for r in chosen {
        match PcscTransport::connect(&r, settings.clone()) {
            Ok(mut t) => {
                // The whole check is one multi-APDU operation: nobody else's command in between.
                if let Err(e) = t.begin_transaction() {
                    println!("{r}\n  FAIL transaction             {e}");
                    failed = true;
                    continue;
                }
                let report = check_token(t, &secrets);
                print!("{report}");
                failed |= !report.passed();
            }
            Err(e) => {
                println!("{r}\n  FAIL connect                 {e}");
                failed = true;
            }
        }
    }
    Ok(i32::from(failed))
}
