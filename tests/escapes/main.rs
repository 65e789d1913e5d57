//! The escape suite: every attack on the sandbox we know of, run through the `wexe` command in
//! both tiers, each asserting the refusal (an error, a trap, an errno) and that nothing on the
//! host changed that was not granted.
//!
//! A new attack joins with a few lines: a function in the module of its class that sets up a
//! [`harness::World`], runs `wexe` with [`harness::wexe`], and checks the outcome and
//! [`harness::World::assert_untouched`]; wrap it in `both_tiers!` to run it under the interpreter
//! and the JIT.

#[allow(dead_code)]
mod harness;

mod binfmt;
mod filesystem;
mod limits;
mod precompiled;
mod reports;
mod timeout;
