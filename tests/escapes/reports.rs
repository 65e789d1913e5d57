//! Trap reports from hostile modules: a function name in the name section that demangles to
//! terabytes (chained C++ back-references, 4^k) must not exhaust the host's memory or time;
//! the report shows the raw name.

use std::time::Duration;

use crate::both_tiers;
use crate::harness::{World, wat_program};

/// A 200-byte C++ name with 14 levels of four-fold back-references.
fn exponential_name() -> String {
    const DIGITS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut name = String::from("_Z1fI1AIiE");
    for k in 0..14 {
        let s = format!("S{}_", DIGITS[2 * k + 1] as char);
        name.push_str(&format!("1AI{s}{s}{s}{s}E"));
    }
    name + "EvT_"
}

both_tiers!(a_name_that_demangles_exponentially_is_shown_raw, |tier| {
    let mut w = World::new();
    let name = exponential_name();
    let wat = format!(r#"(module (func ${name} (export "f") unreachable))"#);
    let prog = wat_program("names", w.root(), &wat);
    w.seal();
    let run = w.wexe(&[
        "run",
        "--tier",
        tier,
        "--invoke",
        "f",
        prog.to_str().unwrap(),
    ]);
    run.assert_status(134).assert_stderr("unreachable");
    assert!(run.stderr.contains(&name), "the raw name: {run:#?}");
    assert!(run.elapsed < Duration::from_secs(20), "{:?}", run.elapsed);
    w.assert_untouched();
});
