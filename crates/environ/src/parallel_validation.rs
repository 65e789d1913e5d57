//! Function bodies validated on every core. The module's sections are validated in one pass
//! first; the bodies, most of the work for a large module and independent of each other, are
//! then split among threads. The error reported is the first invalid body's, by position, so the
//! result does not depend on the number of threads.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use wasmparser::{FuncToValidate, FuncValidatorAllocations, FunctionBody, ValidatorResources};

use crate::gc_refusal::validate_body;
use crate::parse::ParseError;

/// Below this many bytes of bodies, one thread validates them (starting threads costs more).
const PARALLEL_FROM_BYTES: u64 = 256 * 1024;

/// Bodies a thread takes at a time: small enough to balance uneven bodies, large enough that
/// the shared counter is not contended.
const BATCH: usize = 64;

type Pending<'a> = (FuncToValidate<ValidatorResources>, FunctionBody<'a>);

/// Validates `bodies`; on failure, the error of the first invalid one.
pub(crate) fn validate_bodies(bodies: Vec<Pending<'_>>) -> Result<(), ParseError> {
    let bytes: u64 = bodies
        .iter()
        .map(|(_, b)| b.range().end - b.range().start)
        .sum();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(bodies.len().div_ceil(BATCH));
    if threads <= 1 || bytes < PARALLEL_FROM_BYTES {
        let mut allocs = FuncValidatorAllocations::default();
        for (func, body) in bodies {
            validate_one(func, &body, &mut allocs)?;
        }
        return Ok(());
    }
    let slots: Vec<Mutex<Option<Pending<'_>>>> =
        bodies.into_iter().map(|p| Mutex::new(Some(p))).collect();
    let next = AtomicUsize::new(0);
    // The first failing body's index and error.
    let first_error: Mutex<Option<(usize, ParseError)>> = Mutex::new(None);
    let work = || {
        let mut allocs = FuncValidatorAllocations::default();
        loop {
            let start = next.fetch_add(BATCH, Ordering::Relaxed);
            if start >= slots.len() {
                return;
            }
            for (i, slot) in slots.iter().enumerate().skip(start).take(BATCH) {
                let taken = slot.lock().unwrap_or_else(|e| e.into_inner()).take();
                let Some((func, body)) = taken else { continue };
                if let Err(e) = validate_one(func, &body, &mut allocs) {
                    let mut first = first_error.lock().unwrap_or_else(|e| e.into_inner());
                    if first.as_ref().is_none_or(|(j, _)| i < *j) {
                        *first = Some((i, e));
                    }
                }
            }
        }
    };
    std::thread::scope(|s| {
        for _ in 1..threads {
            s.spawn(work);
        }
        work();
    });
    match first_error.into_inner().unwrap_or_else(|e| e.into_inner()) {
        Some((_, e)) => Err(e),
        None => Ok(()),
    }
}

/// Validates one body, reusing and then keeping the allocations in `allocs`.
fn validate_one(
    func: FuncToValidate<ValidatorResources>,
    body: &FunctionBody<'_>,
    allocs: &mut FuncValidatorAllocations,
) -> Result<(), ParseError> {
    let mut v = func.into_validator(std::mem::take(allocs));
    let result = validate_body(&mut v, body);
    *allocs = v.into_allocations();
    result
}

#[cfg(test)]
mod tests {
    use crate::parse::{Features, parse_module};

    /// A module of `n` functions of `ops` additions each (over `PARALLEL_FROM_BYTES` of
    /// bodies), where the functions in `bad` add an i64 to i32s: the same bytes but one.
    fn module(n: usize, ops: usize, bad: &[usize]) -> Vec<u8> {
        let mut text = String::from("(module\n");
        for f in 0..n {
            let add = if bad.contains(&f) {
                "i64.add"
            } else {
                "i32.add"
            };
            text.push_str("(func\n");
            for _ in 0..ops {
                text.push_str(&format!("(drop ({add} (i32.const 1) (i32.const 2)))\n"));
            }
            text.push_str(")\n");
        }
        text.push(')');
        wat::parse_str(&text).unwrap()
    }

    #[test]
    fn the_first_invalid_body_is_reported_whatever_the_threads() {
        let features = Features::default().to_wasmparser();
        let good = parse_module(&module(600, 100, &[]), features).unwrap();
        let total: usize = good.bodies.iter().map(|b| b.range.len()).sum();
        assert!(total as u64 > super::PARALLEL_FROM_BYTES, "{total}");
        for bad in [vec![599], vec![350, 500], vec![0, 1, 598]] {
            let err = parse_module(&module(600, 100, &bad), features).unwrap_err();
            let first = &good.bodies[bad[0]].range;
            assert!(
                first.contains(&(err.offset as usize)),
                "{bad:?}: {err} not in {first:?}"
            );
            assert!(err.message.contains("type mismatch"), "{err}");
        }
    }
}
