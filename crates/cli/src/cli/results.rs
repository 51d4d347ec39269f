//! Result subcommands: `report`, `keygen`, `bundle sign|verify`, `device-list build|verify`.

use super::commands::CliError;
use mynacert::bundle::{self, TrustList};
use mynacert::devicelist;
use mynacert::report::render_table;
use std::path::{Path, PathBuf};

/// `mynacert report RUN_DIR`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Run directory holding `journal.jsonl` (or `--run ID` for a run in a store).
    #[arg(required_unless_present = "run")]
    pub run_dir: Option<PathBuf>,
    /// A run in the store (`--store`): its reports are written to `--out`/RUN_ID/.
    #[arg(long, value_name = "RUN_ID", conflicts_with = "run_dir")]
    pub run: Option<String>,
    #[command(flatten)]
    pub store: super::store::StoreArg,
    /// Where a store run's directory goes.
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
}

/// `mynacert keygen`.
#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// Path stem: writes STEM.key (private, 0600) and STEM.pub (public, for trust lists).
    #[arg(long, default_value = "lab")]
    pub out: PathBuf,
    /// Replace existing files.
    #[arg(long)]
    pub force: bool,
}

/// `mynacert bundle …`.
#[derive(Debug, clap::Subcommand)]
pub enum BundleCommand {
    /// Pack a run directory into one archive with a signed manifest of SHA-256 digests.
    Sign {
        /// Run directory.
        run_dir: PathBuf,
        /// The lab's private key (from `mynacert keygen`).
        #[arg(long)]
        key: PathBuf,
        /// Output file (default: RUN_DIR.bundle.tar next to the run directory).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check the signature against trusted lab keys and every file's digest.
    Verify {
        /// Bundle files.
        #[arg(required = true)]
        bundles: Vec<PathBuf>,
        /// Trusted lab public keys (files or directories of *.pub); repeatable.
        #[arg(long, required = true)]
        trust: Vec<PathBuf>,
    },
}

/// `mynacert device-list …`.
#[derive(Debug, clap::Subcommand)]
pub enum DeviceListCommand {
    /// Build the supported-device list from verified bundles.
    Build {
        /// Result bundles.
        #[arg(required = true)]
        bundles: Vec<PathBuf>,
        /// Trusted lab public keys (files or directories of *.pub); repeatable.
        #[arg(long, required = true)]
        trust: Vec<PathBuf>,
        /// Output directory.
        #[arg(long, default_value = "device-list")]
        out: PathBuf,
        /// The previously published device-list.json, to diff against.
        #[arg(long)]
        previous: Option<PathBuf>,
        /// Key that signs the published JSON (device-list.json.sig).
        #[arg(long)]
        key: Option<PathBuf>,
        /// Accept bundles of virtual runs (virtual lab, simulated or emulated phones); every page of
        /// the list then says it is not from real phones.
        #[arg(long)]
        allow_virtual: bool,
    },
    /// Check a published list against its signature.
    Verify {
        /// device-list.json (its signature is FILE.sig).
        list: PathBuf,
        /// Trusted public keys.
        #[arg(long, required = true)]
        trust: Vec<PathBuf>,
    },
}

fn infra(e: impl std::fmt::Display) -> CliError {
    CliError::Infra(e.to_string())
}

fn invalid(e: impl std::fmt::Display) -> CliError {
    CliError::Invalid(e.to_string())
}

/// `mynacert report RUN_DIR`: rebuilds every report from the journal alone.
pub fn report(args: &ReportArgs) -> Result<i32, CliError> {
    match (&args.run, &args.run_dir) {
        (Some(id), _) => {
            let mut store = super::store::open(&args.store.location(&args.out))?;
            let mut j = store.journal(id).map_err(super::store::store_error)?;
            // A queued run whose executions are all done is finished by whoever reports it first.
            if j.footer.is_none()
                && let Ok(p) = store.progress(id)
                && p.total > 0
                && p.finished()
            {
                j = store.finish_queued(id).map_err(super::store::store_error)?;
            }
            let dir = args.out.join(id);
            std::fs::create_dir_all(&dir)
                .map_err(|e| infra(format!("cannot create {}: {e}", dir.display())))?;
            let history = super::store::history_for(&mut store, &j);
            report_journal(&dir, &j, &history)
        }
        (None, Some(dir)) => report_dir(dir),
        (None, None) => Err(invalid("give a run directory, or `--store … --run RUN_ID`")),
    }
}

/// `mynacert merge RUN_DIR… --out DIR`.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The run directories of every partition.
    #[arg(required = true)]
    pub run_dirs: Vec<PathBuf>,
    /// Where the merged run directory goes.
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
}

/// `mynacert merge`: checks the parts, writes the merged run directory, reports it.
pub fn merge(args: &MergeArgs) -> Result<i32, CliError> {
    let mut parts = Vec::new();
    for d in &args.run_dirs {
        let j = mynacert::journal::read_journal(d).map_err(invalid)?;
        parts.push((d.clone(), j));
    }
    let id = mynacert::report::new_run_id();
    let dir = mynacert::journal::merge(&parts, &args.out, &id).map_err(|e| match e {
        mynacert::journal::MergeError::Io { .. } => infra(e),
        _ => invalid(e),
    })?;
    eprintln!("merged {} partition(s) into {}", parts.len(), dir.display());
    report_dir(&dir)
}

/// Writes a run directory's reports from its journal, prints the verdict table; the run's exit code.
fn report_dir(run_dir: &Path) -> Result<i32, CliError> {
    let j = mynacert::journal::read_journal(run_dir).map_err(invalid)?;
    report_journal(run_dir, &j, &[])
}

/// Writes a run's reports into `run_dir` from its journal (read from the directory or a store).
fn report_journal(
    run_dir: &Path,
    j: &mynacert::journal::Journal,
    history: &[mynacert::store::history::Series],
) -> Result<i32, CliError> {
    let (report, files) =
        mynacert::report::write_reports_with(run_dir, j, history).map_err(infra)?;
    if j.interrupted() {
        eprintln!(
            "warning: the run was interrupted; reporting the {} scenario(s) that finished{}",
            report.scenarios.len(),
            if j.torn_tail {
                " (a half-written last line was ignored)"
            } else {
                ""
            }
        );
    }
    println!("{}", render_table(&report.verdicts));
    println!(
        "{} scenario(s) reported\nresults: {}\njunit: {}\nhtml: {}",
        report.scenarios.len(),
        files.results.display(),
        files.junit.display(),
        files.html.display()
    );
    // The run's own exit code, so that a lab that rebuilds reports (after a crash too) can gate on it;
    // an interrupted run without conformance failures is incomplete.
    let code = match mynacert::report::verdict::exit_code(&report.scenarios, &report.verdicts) {
        0 if j.interrupted() => 3,
        c => c,
    };
    println!(
        "exit {code}: {}",
        match code {
            0 => "every scenario that ran passed",
            1 => "conformance failures found",
            _ => "incomplete: infrastructure errors or an interrupted run",
        }
    );
    Ok(code)
}

/// `mynacert keygen`.
pub fn keygen(args: &KeygenArgs) -> Result<i32, CliError> {
    let (private, public, id) = bundle::generate(&args.out, args.force).map_err(invalid)?;
    println!(
        "key {id}\nprivate: {} (keep it in the lab)\npublic: {} (give it to whoever verifies your bundles)",
        private.display(),
        public.display()
    );
    Ok(0)
}

fn trust(paths: &[PathBuf]) -> Result<TrustList, CliError> {
    TrustList::load(paths).map_err(invalid)
}

/// `mynacert bundle …`.
pub fn bundle_cmd(cmd: &BundleCommand) -> Result<i32, CliError> {
    match cmd {
        BundleCommand::Sign { run_dir, key, out } => {
            let key = bundle::load_signing_key(key).map_err(invalid)?;
            let out = out.clone().unwrap_or_else(|| default_bundle_path(run_dir));
            let (manifest, id) = bundle::sign(run_dir, &key, &out).map_err(|e| match e {
                bundle::BundleError::NotARun { .. } => invalid(e),
                e => infra(e),
            })?;
            println!(
                "bundle {id}: {} file(s) of run {} signed by key {}\n{}",
                manifest.files.len(),
                manifest.run_id,
                manifest.key_id,
                out.display()
            );
            Ok(0)
        }
        BundleCommand::Verify { bundles, trust: t } => {
            let t = trust(t)?;
            let mut bad = 0;
            for b in bundles {
                match bundle::verify(b, &t) {
                    Ok(v) => println!(
                        "OK {}: bundle {} run {} lab {} key {} ({} files)",
                        b.display(),
                        v.id,
                        v.manifest.run_id,
                        v.manifest.lab,
                        v.key_id,
                        v.files.len()
                    ),
                    Err(e) => {
                        bad += 1;
                        eprintln!("REFUSED {e}");
                    }
                }
            }
            Ok(if bad > 0 { 1 } else { 0 })
        }
    }
}

fn default_bundle_path(run_dir: &Path) -> PathBuf {
    let name = run_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".into());
    run_dir
        .parent()
        .unwrap_or(Path::new("."))
        .join(format!("{name}.bundle.tar"))
}

/// `mynacert device-list …`.
pub fn device_list(cmd: &DeviceListCommand) -> Result<i32, CliError> {
    match cmd {
        DeviceListCommand::Build {
            bundles,
            trust: t,
            out,
            previous,
            key,
            allow_virtual,
        } => {
            let t = trust(t)?;
            let key = key
                .as_ref()
                .map(|k| bundle::load_signing_key(k))
                .transpose()
                .map_err(invalid)?;
            let prev = match previous {
                Some(p) => {
                    let bytes =
                        std::fs::read(p).map_err(|e| invalid(format!("{}: {e}", p.display())))?;
                    Some(
                        serde_json::from_slice::<devicelist::DeviceList>(&bytes).map_err(|e| {
                            invalid(format!("{}: not a device list: {e}", p.display()))
                        })?,
                    )
                }
                None => None,
            };
            let opts = devicelist::BuildOptions {
                allow_virtual: *allow_virtual,
            };
            let (list, refused) = devicelist::build(bundles, &t, &opts);
            for r in &refused {
                eprintln!(
                    "REFUSED BUNDLE {}: {} — it contributes nothing to the list",
                    r.file.display(),
                    r.reason
                );
            }
            let diff = prev.as_ref().map(|p| devicelist::diff(p, &list));
            write_list(out, &list, diff.as_ref(), key.as_ref()).map_err(infra)?;
            for e in &list.entries {
                println!(
                    "{:<10} {:<24} {:<9} {:<16} {:<14} {} ({})",
                    e.model_code,
                    e.model_name,
                    e.carrier,
                    if e.build_id.is_empty() {
                        "-"
                    } else {
                        &e.build_id
                    },
                    e.status.en(),
                    e.status.ja(),
                    e.verdict.label()
                );
            }
            if let Some(d) = &diff {
                println!(
                    "diff: {} added, {} removed, {} status changed, {} superseded",
                    d.added.len(),
                    d.removed.len(),
                    d.changed.len(),
                    d.superseded.len()
                );
                for s in &d.superseded {
                    println!(
                        "superseded: {} {} {}: bundle {} ({}) by {} ({})",
                        s.model_code,
                        s.carrier,
                        s.build_fingerprint.as_deref().unwrap_or("-"),
                        s.bundle,
                        s.verified_on,
                        s.by,
                        s.by_verified_on
                    );
                }
            }
            if list.allow_virtual {
                eprintln!(
                    "NOTE: built with --allow-virtual: every page says it is not from real phones"
                );
            }
            println!(
                "{} bundle(s) accepted, {} refused; list in {}",
                list.sources.len(),
                refused.len(),
                out.display()
            );
            Ok(if refused.is_empty() { 0 } else { 1 })
        }
        DeviceListCommand::Verify { list, trust: t } => {
            let t = trust(t)?;
            let json =
                std::fs::read(list).map_err(|e| invalid(format!("{}: {e}", list.display())))?;
            let sig_path = sig_path(list);
            let sig = std::fs::read(&sig_path)
                .map_err(|e| invalid(format!("{}: {e}", sig_path.display())))?;
            match devicelist::verify_signed(&json, &sig, &t) {
                Ok(l) => {
                    println!("OK {}: {} entries", list.display(), l.entries.len());
                    Ok(0)
                }
                Err(e) => {
                    eprintln!("REFUSED {}: {e}", list.display());
                    Ok(1)
                }
            }
        }
    }
}

fn sig_path(p: &Path) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(".sig");
    PathBuf::from(s)
}

fn write_list(
    out: &Path,
    list: &devicelist::DeviceList,
    diff: Option<&devicelist::Diff>,
    key: Option<&p256::ecdsa::SigningKey>,
) -> Result<(), String> {
    let w = |name: &str, bytes: &[u8]| {
        mynacert::report::write_atomic(&out.join(name), bytes)
            .map(|_| ())
            .map_err(|e| format!("{}: {e}", out.join(name).display()))
    };
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let json = devicelist::to_json(list);
    w("device-list.json", &json)?;
    if let Some(k) = key {
        w(
            "device-list.json.sig",
            &bundle::Detached::sign(k, &json).to_bytes(),
        )?;
    }
    for lang in ["en", "ja"] {
        w(
            &format!("device-list.{lang}.csv"),
            devicelist::render_csv(list, lang).as_bytes(),
        )?;
        let html = devicelist::render_html(list, diff, lang).map_err(|e| e.to_string())?;
        w(&format!("device-list.{lang}.html"), html.as_bytes())?;
    }
    if let Some(d) = diff {
        let mut v = serde_json::to_vec_pretty(d).map_err(|e| e.to_string())?;
        v.push(b'\n');
        w("diff.json", &v)?;
    }
    Ok(())
}
