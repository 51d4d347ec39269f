//! Runs into the store (a journal imported, or executions written back by workers) and back out as a
//! journal, from which the reports are built as from a run directory's.

use super::db::{Db, DbError, Value, transaction};
use super::{Store, StoreError};
use crate::journal::{Journal, RunFooter, RunHeader, ScenarioEntry, StepEntry};
use crate::report::verdict::ModelVerdict;
use serde::Serialize;
use std::path::Path;

/// What an import wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub run_id: String,
    pub executions: usize,
    pub steps: usize,
    pub verdicts: usize,
    /// The run was in the store already and was replaced by the journal's records.
    pub replaced: bool,
}

/// A run as the store lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRow {
    pub run_id: String,
    pub started: String,
    pub finished: Option<String>,
    pub lab: String,
    pub hosts: Vec<String>,
    pub suite_version: Option<String>,
    pub executions: i64,
}

/// The serde name of a value (`"passed"`, `"conformance-failures"`).
pub(super) fn tag<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn json<T: Serialize>(v: &T) -> Result<String, DbError> {
    serde_json::to_string(v).map_err(|e| DbError(format!("cannot encode a record: {e}")))
}

/// Inserts a run's row (hosts: who ran its executions).
pub(super) fn insert_run(
    db: &mut dyn Db,
    h: &RunHeader,
    hosts: &[String],
    run_dir: Option<&Path>,
) -> Result<(), DbError> {
    let suites: Vec<(&str, &str)> = h
        .suites
        .iter()
        .map(|s| (s.id.as_str(), s.digest.as_str()))
        .collect();
    db.execute(
        "INSERT INTO runs (run_id, started, finished, lab, hosts, harness_version, suite_version, suites, header, run_dir)
         VALUES ($1, $2, NULL, $3, $4, $5, $6, $7, $8, $9)",
        &[
            (&h.run_id).into(),
            (&h.started).into(),
            (&h.lab).into(),
            json(&hosts)?.into(),
            (&h.harness_version).into(),
            h.certification.as_ref().map(|c| c.version.clone()).into(),
            json(&suites)?.into(),
            json(h)?.into(),
            run_dir.map(|d| d.display().to_string()).into(),
        ],
    )?;
    Ok(())
}

/// Records a finished execution with its attempts (replacing an earlier record of it: a rerun's last
/// word stands, as in the journal).
pub(super) fn put_execution(
    db: &mut dyn Db,
    run_id: &str,
    e: &ScenarioEntry,
    host: Option<&str>,
) -> Result<(), DbError> {
    let r = &e.result;
    let idx = Value::from(e.index);
    db.execute(
        "DELETE FROM attempts WHERE run_id = $1 AND idx = $2",
        &[run_id.into(), idx.clone()],
    )?;
    db.execute(
        "DELETE FROM executions WHERE run_id = $1 AND idx = $2",
        &[run_id.into(), idx.clone()],
    )?;
    let duration: f64 = r.attempts.iter().map(|a| a.duration_ms).sum();
    db.execute(
        "INSERT INTO executions (run_id, idx, scenario, model, unit, host, status, attempts, duration_ms, rules, message, finished, entry)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        &[
            run_id.into(),
            idx.clone(),
            (&r.scenario).into(),
            (&r.model).into(),
            r.unit.clone().into(),
            host.into(),
            tag(&r.status).into(),
            r.attempts.len().into(),
            duration.into(),
            json(&r.rules_broken())?.into(),
            r.reason().into(),
            (&e.at).into(),
            json(e)?.into(),
        ],
    )?;
    for a in &r.attempts {
        db.execute(
            "INSERT INTO attempts (run_id, idx, number, host, status, started, duration_ms, rules_broken, reason)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                run_id.into(),
                idx.clone(),
                a.number.into(),
                host.into(),
                tag(&a.status).into(),
                (&a.started).into(),
                a.duration_ms.into(),
                json(&a.rules_broken)?.into(),
                a.reason.clone().into(),
            ],
        )?;
    }
    Ok(())
}

/// Records a finished step.
pub(super) fn put_step(db: &mut dyn Db, run_id: &str, s: &StepEntry) -> Result<(), DbError> {
    db.execute(
        "INSERT INTO steps (run_id, idx, scenario, model, unit, attempt, phase, step, name, status, duration_ms, message, at, evidence, entry)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        &[
            run_id.into(),
            s.index.into(),
            (&s.scenario).into(),
            (&s.model).into(),
            s.unit.clone().into(),
            s.attempt.into(),
            tag(&s.phase).into(),
            s.step.index.into(),
            (&s.step.name).into(),
            tag(&s.step.status).into(),
            s.step.duration_ms.into(),
            (&s.step.message).into(),
            (&s.at).into(),
            json(&s.step.evidence)?.into(),
            json(s)?.into(),
        ],
    )?;
    Ok(())
}

/// Replaces a run's verdicts.
pub(super) fn put_verdicts(
    db: &mut dyn Db,
    run_id: &str,
    suite_version: Option<&str>,
    verdicts: &[ModelVerdict],
) -> Result<(), DbError> {
    db.execute("DELETE FROM verdicts WHERE run_id = $1", &[run_id.into()])?;
    for v in verdicts {
        db.execute(
            "INSERT INTO verdicts (run_id, model, verdict, suite_version, detail) VALUES ($1, $2, $3, $4, $5)",
            &[
                run_id.into(),
                (&v.model).into(),
                tag(&v.verdict).into(),
                suite_version.into(),
                json(v)?.into(),
            ],
        )?;
    }
    Ok(())
}

/// Marks a run finished.
pub(super) fn finish_run(db: &mut dyn Db, f: &RunFooter) -> Result<(), DbError> {
    db.execute(
        "UPDATE runs SET finished = $2 WHERE run_id = $1",
        &[(&f.run_id).into(), (&f.finished).into()],
    )?;
    Ok(())
}

impl Store {
    /// Imports a run directory's journal (the journal is the source of truth: a run already in the store
    /// is replaced by it). `host` names the machine that ran it.
    pub fn import(
        &mut self,
        j: &Journal,
        run_dir: Option<&Path>,
        host: &str,
    ) -> Result<Imported, StoreError> {
        let h = &j.header;
        let report = crate::report::RunReport::from_journal(j);
        let suite_version = h.certification.as_ref().map(|c| c.version.clone());
        let hosts = vec![host.to_string()];
        let result = transaction(self.db.as_mut(), |db| {
            let replaced =
                db.execute("DELETE FROM runs WHERE run_id = $1", &[(&h.run_id).into()])? > 0;
            insert_run(db, h, &hosts, run_dir)?;
            for e in &j.scenarios {
                put_execution(db, &h.run_id, e, Some(host))?;
            }
            for s in &j.steps {
                put_step(db, &h.run_id, s)?;
            }
            put_verdicts(db, &h.run_id, suite_version.as_deref(), &report.verdicts)?;
            if let Some(f) = &j.footer {
                finish_run(db, f)?;
            }
            Ok::<_, DbError>(replaced)
        });
        let replaced =
            result.map_err(|e| self.query_error(&format!("importing run {}", h.run_id), e))?;
        Ok(Imported {
            run_id: h.run_id.clone(),
            executions: j.scenarios.len(),
            steps: j.steps.len(),
            verdicts: report.verdicts.len(),
            replaced,
        })
    }

    /// A run read back as its journal (reports are built from it as from a run directory's).
    pub fn journal(&mut self, run_id: &str) -> Result<Journal, StoreError> {
        let runs = self
            .db
            .query(
                "SELECT header, finished FROM runs WHERE run_id = $1",
                &[run_id.into()],
            )
            .map_err(|e| self.query_error("reading a run", e))?;
        let Some(run) = runs.first() else {
            return Err(StoreError::NoRun {
                location: self.location(),
                run_id: run_id.to_string(),
            });
        };
        let key = || run_id.to_string();
        let header: RunHeader = run
            .text(0)
            .map_err(|e| self.bad_row("runs", key(), e))
            .and_then(|t| {
                serde_json::from_str(&t)
                    .map_err(|e| self.bad_row("runs", key(), format!("header: {e}")))
            })?;
        let finished = run
            .opt_text(1)
            .map_err(|e| self.bad_row("runs", key(), e))?;
        let rows = self
            .db
            .query(
                "SELECT idx, entry FROM executions WHERE run_id = $1 ORDER BY idx",
                &[run_id.into()],
            )
            .map_err(|e| self.query_error("reading executions", e))?;
        let mut scenarios = Vec::with_capacity(rows.len());
        for r in &rows {
            let idx = r.int(0).map_err(|e| self.bad_row("executions", key(), e))?;
            let entry: ScenarioEntry = r
                .text(1)
                .map_err(|e| self.bad_row("executions", format!("{run_id}/{idx}"), e))
                .and_then(|t| {
                    serde_json::from_str(&t).map_err(|e| {
                        self.bad_row(
                            "executions",
                            format!("{run_id}/{idx}"),
                            format!("entry: {e}"),
                        )
                    })
                })?;
            scenarios.push(entry);
        }
        let rows = self
            .db
            .query(
                "SELECT id, entry FROM steps WHERE run_id = $1 ORDER BY id",
                &[run_id.into()],
            )
            .map_err(|e| self.query_error("reading steps", e))?;
        let mut steps = Vec::with_capacity(rows.len());
        for r in &rows {
            let id = r.int(0).map_err(|e| self.bad_row("steps", key(), e))?;
            let entry: StepEntry = r
                .text(1)
                .map_err(|e| self.bad_row("steps", format!("{run_id}/{id}"), e))
                .and_then(|t| {
                    serde_json::from_str(&t).map_err(|e| {
                        self.bad_row("steps", format!("{run_id}/{id}"), format!("entry: {e}"))
                    })
                })?;
            steps.push(entry);
        }
        let footer = finished.map(|finished| RunFooter {
            run_id: run_id.to_string(),
            finished,
            scenarios: scenarios.len(),
        });
        Ok(Journal {
            header,
            steps,
            scenarios,
            footer,
            torn_tail: false,
        })
    }

    /// Every run, newest first.
    pub fn runs(&mut self) -> Result<Vec<RunRow>, StoreError> {
        let rows = self
            .db
            .query(
                "SELECT r.run_id, r.started, r.finished, r.lab, r.hosts, r.suite_version,
                        (SELECT COUNT(*) FROM executions e WHERE e.run_id = r.run_id)
                 FROM runs r ORDER BY r.started DESC, r.run_id DESC",
                &[],
            )
            .map_err(|e| self.query_error("listing runs", e))?;
        rows.iter()
            .map(|r| {
                let bad = |e: super::db::ColumnError| {
                    self.bad_row("runs", r.text(0).unwrap_or_default(), e)
                };
                let hosts_text = r.text(4).map_err(bad)?;
                Ok(RunRow {
                    run_id: r.text(0).map_err(bad)?,
                    started: r.text(1).map_err(bad)?,
                    finished: r.opt_text(2).map_err(bad)?,
                    lab: r.text(3).map_err(bad)?,
                    hosts: serde_json::from_str(&hosts_text).map_err(|e| {
                        self.bad_row("runs", r.text(0).unwrap_or_default(), format!("hosts: {e}"))
                    })?,
                    suite_version: r.opt_text(5).map_err(bad)?,
                    executions: r.int(6).map_err(bad)?,
                })
            })
            .collect()
    }
}
