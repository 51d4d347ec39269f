//! The shared work queue, on PostgreSQL only: a coordinator plans a run's executions into `queue`; lab
//! hosts' workers claim the ones their units, readers and identities can serve
//! (`requires ⊆ capabilities`, `FOR UPDATE SKIP LOCKED`), hold each claim as a lease they renew with a
//! heartbeat, and write each result back only while the lease is still theirs. A worker that dies stops
//! renewing; once its lease has run out the next capable worker takes the execution over and the lost
//! attempt is kept as an infrastructure error of the dead host. So no execution runs twice at once (a
//! live lease is never taken) and none is lost (an expired one always is).

use super::db::{DbError, Dialect, Value, transaction};
use super::record::{insert_run, put_execution, put_step};
use super::{Store, StoreError};
use crate::journal::{LostAttempt, RunHeader, ScenarioEntry, StepEntry};

/// The database's clock in seconds since the epoch (leases are compared on one clock: the server's).
const NOW: &str = "extract(epoch from clock_timestamp())::float8";

/// The channel workers listen on for new work.
pub const CHANNEL: &str = "mynacert_queue";

/// An execution as queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    /// 1-based position in the run (as a one-host run numbers it).
    pub index: usize,
    /// `suite/scenario`.
    pub scenario: String,
    pub model: String,
    pub carrier: Option<String>,
    /// Capability tokens ([`super::tokens`]).
    pub requires: Vec<String>,
}

/// An execution a worker now holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub run_id: String,
    pub index: usize,
    pub scenario: String,
    pub model: String,
    pub carrier: Option<String>,
    /// Earlier holders whose leases ran out.
    pub lost: Vec<LostAttempt>,
}

/// Where a queued run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    pub total: usize,
    pub done: usize,
    pub claimed: usize,
    pub ready: usize,
}

impl Progress {
    pub fn finished(&self) -> bool {
        self.done == self.total
    }
}

impl Store {
    fn postgres_only(&self, what: &str) -> Result<(), StoreError> {
        match self.db.dialect() {
            Dialect::Postgres => Ok(()),
            Dialect::Sqlite => Err(StoreError::Refused {
                location: self.location(),
                detail: format!(
                    "{what} needs the shared work queue, which lives in PostgreSQL (`--store postgres://…`)"
                ),
            }),
        }
    }

    /// Plans a run into the queue: its row, its plan (what the workers load: the selection), the
    /// executions to claim, and those already final (skips, which no lab can change).
    pub fn enqueue(
        &mut self,
        header: &RunHeader,
        plan: &serde_json::Value,
        queued: &[Queued],
        final_entries: &[ScenarioEntry],
    ) -> Result<(), StoreError> {
        self.postgres_only("`run --queue`")?;
        let total = queued.len() + final_entries.len();
        let plan = plan.to_string();
        transaction(self.db.as_mut(), |db| {
            insert_run(db, header, &[], None)?;
            db.execute(
                "INSERT INTO queue_runs (run_id, plan, total) VALUES ($1, $2, $3)",
                &[(&header.run_id).into(), plan.into(), total.into()],
            )?;
            for q in queued {
                db.execute(
                    "INSERT INTO queue (run_id, idx, scenario, model, carrier, requires, state, claims, lost)
                     VALUES ($1, $2, $3, $4, $5, $6, 'ready', 0, '[]')",
                    &[
                        (&header.run_id).into(),
                        q.index.into(),
                        (&q.scenario).into(),
                        (&q.model).into(),
                        q.carrier.clone().into(),
                        q.requires.join(" ").into(),
                    ],
                )?;
            }
            for e in final_entries {
                db.execute(
                    "INSERT INTO queue (run_id, idx, scenario, model, carrier, requires, state, claims, lost)
                     VALUES ($1, $2, $3, $4, $5, '', 'done', 0, '[]')",
                    &[
                        (&header.run_id).into(),
                        e.index.into(),
                        (&e.result.scenario).into(),
                        (&e.result.model).into(),
                        e.result.carrier.clone().into(),
                    ],
                )?;
                put_execution(db, &header.run_id, e, None)?;
            }
            db.batch(&format!("NOTIFY {CHANNEL}"))?;
            Ok::<_, DbError>(())
        })
        .map_err(|e| self.query_error("queueing the run", e))
    }

    /// The header and plan of a queued run.
    pub fn queued_run(
        &mut self,
        run_id: &str,
    ) -> Result<(RunHeader, serde_json::Value), StoreError> {
        let rows = self
            .db
            .query(
                "SELECT r.header, q.plan FROM runs r JOIN queue_runs q ON q.run_id = r.run_id WHERE r.run_id = $1",
                &[run_id.into()],
            )
            .map_err(|e| self.query_error("reading a queued run", e))?;
        let Some(row) = rows.first() else {
            return Err(StoreError::NoRun {
                location: self.location(),
                run_id: run_id.to_string(),
            });
        };
        let bad = |what: &str, e: String| {
            self.bad_row("queue_runs", run_id.to_string(), format!("{what}: {e}"))
        };
        let header = row
            .text(0)
            .map_err(|e| bad("header", e.to_string()))
            .and_then(|t| serde_json::from_str(&t).map_err(|e| bad("header", e.to_string())))?;
        let plan = row
            .text(1)
            .map_err(|e| bad("plan", e.to_string()))
            .and_then(|t| serde_json::from_str(&t).map_err(|e| bad("plan", e.to_string())))?;
        Ok((header, plan))
    }

    /// Records a worker and its capabilities (again, if it restarts under the same name).
    pub fn register_worker(
        &mut self,
        worker: &str,
        host: &str,
        capabilities: &[String],
    ) -> Result<(), StoreError> {
        self.postgres_only("`worker`")?;
        let sql = format!(
            "INSERT INTO workers (worker, host, capabilities, started, seen) VALUES ($1, $2, $3, {NOW}, {NOW})
             ON CONFLICT (worker) DO UPDATE SET host = $2, capabilities = $3, started = {NOW}, seen = {NOW}"
        );
        self.db
            .execute(
                &sql,
                &[worker.into(), host.into(), capabilities.join(" ").into()],
            )
            .map_err(|e| self.query_error("registering the worker", e))?;
        Ok(())
    }

    /// The heartbeat: the worker is alive and its leases run `lease` seconds from now. Returns how many
    /// executions it still holds.
    pub fn heartbeat(&mut self, worker: &str, lease: f64) -> Result<u64, StoreError> {
        let held = transaction(self.db.as_mut(), |db| {
            db.execute(
                &format!("UPDATE workers SET seen = {NOW} WHERE worker = $1"),
                &[worker.into()],
            )?;
            db.execute(
                &format!(
                    "UPDATE queue SET lease_until = {NOW} + $2 WHERE worker = $1 AND state = 'claimed'"
                ),
                &[worker.into(), lease.into()],
            )
        })
        .map_err(|e| self.query_error("renewing leases", e))?;
        Ok(held)
    }

    /// Claims up to `limit` executions this worker can serve: ready ones, and claimed ones whose lease
    /// ran out (their holder is recorded as lost). Skips rows other workers are claiming this instant.
    pub fn claim(
        &mut self,
        worker: &str,
        host: &str,
        capabilities: &[String],
        limit: usize,
        lease: f64,
    ) -> Result<Vec<Claim>, StoreError> {
        self.postgres_only("`worker`")?;
        let sql = format!(
            "WITH picked AS (
                SELECT run_id, idx FROM queue
                WHERE (state = 'ready' OR (state = 'claimed' AND lease_until < {NOW}))
                  AND string_to_array(requires, ' ') <@ string_to_array($1, ' ')
                ORDER BY run_id, idx
                LIMIT $2
                FOR UPDATE SKIP LOCKED
             )
             UPDATE queue q SET
                lost = CASE WHEN q.state = 'claimed'
                    THEN (q.lost::jsonb || jsonb_build_array(jsonb_build_object(
                        'worker', q.worker, 'host', q.host,
                        'lost_at', to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'))))::text
                    ELSE q.lost END,
                state = 'claimed', worker = $3, host = $4, lease_until = {NOW} + $5, claims = q.claims + 1
             FROM picked WHERE q.run_id = picked.run_id AND q.idx = picked.idx
             RETURNING q.run_id, q.idx, q.scenario, q.model, q.carrier, q.lost"
        );
        let rows = self
            .db
            .query(
                &sql,
                &[
                    capabilities.join(" ").into(),
                    limit.into(),
                    worker.into(),
                    host.into(),
                    lease.into(),
                ],
            )
            .map_err(|e| self.query_error("claiming executions", e))?;
        let mut out = Vec::new();
        for r in &rows {
            let key = format!(
                "{}/{}",
                r.text(0).unwrap_or_default(),
                r.int(1).unwrap_or_default()
            );
            let bad = |e: String| self.bad_row("queue", key.clone(), e);
            let lost_text = r.text(5).map_err(|e| bad(e.to_string()))?;
            out.push(Claim {
                run_id: r.text(0).map_err(|e| bad(e.to_string()))?,
                index: usize::try_from(r.int(1).map_err(|e| bad(e.to_string()))?)
                    .map_err(|e| bad(e.to_string()))?,
                scenario: r.text(2).map_err(|e| bad(e.to_string()))?,
                model: r.text(3).map_err(|e| bad(e.to_string()))?,
                carrier: r.opt_text(4).map_err(|e| bad(e.to_string()))?,
                lost: serde_json::from_str(&lost_text).map_err(|e| bad(format!("lost: {e}")))?,
            });
        }
        out.sort_by_key(|c| (c.run_id.clone(), c.index));
        Ok(out)
    }

    /// Gives a claim back untouched (the worker cannot bind it after all).
    pub fn release(&mut self, worker: &str, run_id: &str, index: usize) -> Result<(), StoreError> {
        self.db
            .execute(
                "UPDATE queue SET state = 'ready', worker = NULL, host = NULL, lease_until = NULL
                 WHERE run_id = $1 AND idx = $2 AND worker = $3 AND state = 'claimed'",
                &[run_id.into(), index.into(), worker.into()],
            )
            .map_err(|e| self.query_error("releasing a claim", e))?;
        Ok(())
    }

    /// Writes a finished execution back, if this worker still holds it; `false` (nothing written) when
    /// its lease was taken over.
    pub fn complete(&mut self, worker: &str, entry: &ScenarioEntry) -> Result<bool, StoreError> {
        let run_id = entry.run_id.clone();
        let host = self.host_of(worker)?;
        let done = transaction(self.db.as_mut(), |db| {
            let rows = db.query(
                "UPDATE queue SET state = 'done', lease_until = NULL
                 WHERE run_id = $1 AND idx = $2 AND worker = $3 AND state = 'claimed'
                 RETURNING lost",
                &[(&run_id).into(), entry.index.into(), worker.into()],
            )?;
            let Some(row) = rows.first() else {
                return Ok(false);
            };
            let lost: Vec<LostAttempt> = row
                .text(0)
                .ok()
                .and_then(|t| serde_json::from_str(&t).ok())
                .ok_or_else(|| DbError(format!("queue row {run_id}/{}: unreadable `lost`", entry.index)))?;
            let mut e = entry.clone();
            e.lost = lost;
            put_execution(db, &run_id, &e, host.as_deref())?;
            for (n, l) in e.lost.iter().enumerate() {
                db.execute(
                    "INSERT INTO attempts (run_id, idx, number, host, status, started, duration_ms, rules_broken, reason)
                     VALUES ($1, $2, $3, $4, 'error', $5, 0, '[]', $6)",
                    &[
                        (&run_id).into(),
                        e.index.into(),
                        Value::Int(-(n as i64) - 1),
                        (&l.host).into(),
                        (&l.lost_at).into(),
                        format!(
                            "infrastructure error of host {}: worker {} lost its lease (killed or cut off from the store)",
                            l.host, l.worker
                        )
                        .into(),
                    ],
                )?;
            }
            Ok::<_, DbError>(true)
        })
        .map_err(|e| self.query_error("writing a result back", e))?;
        Ok(done)
    }

    /// Records a finished step of an execution this worker holds (dropped when it holds it no more).
    pub fn step(&mut self, worker: &str, step: &StepEntry) -> Result<bool, StoreError> {
        let Some(index) = step.index else {
            return Ok(false);
        };
        let run_id = step.run_id.clone();
        transaction(self.db.as_mut(), |db| {
            let held = db.query(
                "SELECT 1 FROM queue WHERE run_id = $1 AND idx = $2 AND worker = $3 AND state = 'claimed'",
                &[(&run_id).into(), index.into(), worker.into()],
            )?;
            if held.is_empty() {
                return Ok(false);
            }
            put_step(db, &run_id, step)?;
            Ok::<_, DbError>(true)
        })
        .map_err(|e| self.query_error("writing a step back", e))
    }

    fn host_of(&mut self, worker: &str) -> Result<Option<String>, StoreError> {
        let rows = self
            .db
            .query(
                "SELECT host FROM workers WHERE worker = $1",
                &[worker.into()],
            )
            .map_err(|e| self.query_error("reading a worker", e))?;
        Ok(rows.first().and_then(|r| r.opt_text(0).ok().flatten()))
    }

    /// Where a queued run stands.
    pub fn progress(&mut self, run_id: &str) -> Result<Progress, StoreError> {
        let rows = self
            .db
            .query(
                "SELECT state, COUNT(*) FROM queue WHERE run_id = $1 GROUP BY state",
                &[run_id.into()],
            )
            .map_err(|e| self.query_error("reading the queue", e))?;
        let mut p = Progress::default();
        for r in &rows {
            let n = usize::try_from(r.int(1).unwrap_or_default()).unwrap_or_default();
            match r.text(0).unwrap_or_default().as_str() {
                "done" => p.done += n,
                "claimed" => p.claimed += n,
                _ => p.ready += n,
            }
            p.total += n;
        }
        Ok(p)
    }

    /// Executions not yet done that a lab with these capabilities could serve (now or once a lease runs
    /// out), over every queued run.
    pub fn servable(&mut self, capabilities: &[String]) -> Result<usize, StoreError> {
        let rows = self
            .db
            .query(
                "SELECT COUNT(*) FROM queue WHERE state <> 'done'
                   AND string_to_array(requires, ' ') <@ string_to_array($1, ' ')",
                &[capabilities.join(" ").into()],
            )
            .map_err(|e| self.query_error("reading the queue", e))?;
        Ok(rows
            .first()
            .and_then(|r| r.int(0).ok())
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(0))
    }

    /// Waits up to `timeout` for a NOTIFY on the queue's channel (new work or a finished run); `true`
    /// when one came.
    pub fn wait_for_news(&mut self, timeout: std::time::Duration) -> Result<bool, StoreError> {
        self.db
            .wait(CHANNEL, timeout)
            .map_err(|e| self.query_error("waiting for the queue", e))
    }

    /// Tells waiting workers and coordinators that something changed.
    pub fn notify(&mut self) -> Result<(), StoreError> {
        self.db
            .batch(&format!("NOTIFY {CHANNEL}"))
            .map_err(|e| self.query_error("notifying", e))
    }

    /// Marks a queued run finished (all its executions done) with its verdicts.
    pub fn finish_queued(&mut self, run_id: &str) -> Result<crate::journal::Journal, StoreError> {
        let finished = crate::runner::now();
        let footer = crate::journal::RunFooter {
            run_id: run_id.to_string(),
            finished,
            scenarios: 0,
        };
        let mut j = self.journal(run_id)?;
        let report = crate::report::RunReport::from_journal(&j);
        let version = j.header.certification.as_ref().map(|c| c.version.clone());
        let hosts: Vec<String> = {
            let rows = self
                .db
                .query(
                    "SELECT DISTINCT host FROM executions WHERE run_id = $1 AND host IS NOT NULL ORDER BY host",
                    &[run_id.into()],
                )
                .map_err(|e| self.query_error("reading hosts", e))?;
            rows.iter().filter_map(|r| r.text(0).ok()).collect()
        };
        let hosts_json = serde_json::to_string(&hosts).unwrap_or_else(|_| "[]".into());
        transaction(self.db.as_mut(), |db| {
            super::record::put_verdicts(db, run_id, version.as_deref(), &report.verdicts)?;
            db.execute(
                "UPDATE runs SET finished = COALESCE(finished, $2), hosts = $3 WHERE run_id = $1",
                &[run_id.into(), (&footer.finished).into(), hosts_json.into()],
            )?;
            Ok::<_, DbError>(())
        })
        .map_err(|e| self.query_error("finishing the run", e))?;
        j = self.journal(run_id)?;
        Ok(j)
    }
}
