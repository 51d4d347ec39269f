//! The deadline of what the current thread is doing (a step's or a scenario's timeout), read by the
//! transports: no socket wait outlasts it, so a hung unit or reader ends the step as an infrastructure
//! error naming it instead of holding the run. One per thread: each unit of a parallel run has its own.

use std::cell::Cell;
use std::time::{Duration, Instant};

thread_local! {
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// The shortest wait a transport is given once the deadline has passed (a zero socket timeout would
/// mean "wait forever").
pub const EXPIRED: Duration = Duration::from_millis(1);

/// Sets (or clears) this thread's deadline; returns the one it replaces.
pub fn set(deadline: Option<Instant>) -> Option<Instant> {
    DEADLINE.with(|d| d.replace(deadline))
}

/// This thread's deadline.
pub fn get() -> Option<Instant> {
    DEADLINE.with(Cell::get)
}

/// Runs `f` with the deadline `at` (or the current one, if sooner), then restores the current one.
pub fn within<R>(at: Instant, f: impl FnOnce() -> R) -> R {
    let before = get();
    let at = before.map_or(at, |b| b.min(at));
    set(Some(at));
    let r = f();
    set(before);
    r
}

/// `wait`, shortened to the time left before the deadline: `(wait, true)` when the deadline shortened it.
pub fn cap(wait: Duration) -> (Duration, bool) {
    match get() {
        None => (wait, false),
        Some(at) => {
            let left = at.saturating_duration_since(Instant::now()).max(EXPIRED);
            if left < wait {
                (left, true)
            } else {
                (wait, false)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_shortens_waits_and_nests_to_the_sooner_one() {
        let long = Duration::from_secs(60);
        assert_eq!(cap(long), (long, false));
        let soon = Instant::now() + Duration::from_secs(2);
        within(soon, || {
            let (w, capped) = cap(long);
            assert!(capped && w <= Duration::from_secs(2));
            assert_eq!(
                cap(Duration::from_millis(5)),
                (Duration::from_millis(5), false)
            );
            within(Instant::now() + Duration::from_secs(30), || {
                assert_eq!(get(), Some(soon), "the sooner deadline stands");
            });
        });
        assert_eq!(get(), None);
        within(Instant::now(), || assert_eq!(cap(long), (EXPIRED, true)));
    }

    #[test]
    fn each_thread_has_its_own() {
        set(Some(Instant::now()));
        let other = std::thread::spawn(get).join().ok().flatten();
        assert_eq!(other, None);
        set(None);
    }
}
