//! wexe-wast: runs `.wast` scripts (the WebAssembly spec test format) against the wexe runtime.
//!
//! One [`WastRunner`] holds an engine; each call of [`WastRunner::run_script`] runs one script in
//! a fresh store and returns a [`Report`]: one pass or failure per directive (command), with each
//! failure located as `file:line:col: reason`. The same runner serves the spec test harness
//! (`tests/spec.rs`) and the `wexe wast` command.
//!
//! ```
//! let runner = wexe_wast::WastRunner::new(&wexe::Config::new()).unwrap();
//! let report = runner.run_script("example.wast", r#"
//!     (module (func (export "f") (result i32) (i32.const 1)))
//!     (assert_invalid (module (func (result i32) (i64.const 1))) "type mismatch")
//!     (assert_malformed (module quote "(func") "unexpected end")
//! "#);
//! assert_eq!((report.passed, report.failed), (3, 0));
//! ```

mod directive;
mod script;
mod spectest;
mod values;

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use anyhow::Result;
use wast::parser::{self, ParseBuffer};

pub use spectest::define_spectest;

use script::Script;

/// One failed directive of a script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The script's name as given to [`WastRunner::run_script`].
    pub file: String,
    /// 1-based line of the directive.
    pub line: usize,
    /// 1-based column of the directive.
    pub col: usize,
    /// What went wrong.
    pub reason: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.col, self.reason
        )
    }
}

/// The outcome of one script: how many directives passed and failed, and why each failure failed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub passed: usize,
    pub failed: usize,
    pub failures: Vec<Failure>,
}

impl Report {
    /// Whether every directive passed.
    pub fn ok(&self) -> bool {
        self.failed == 0
    }

    /// Adds the counts and failures of `other` to this report.
    pub fn merge(&mut self, other: Report) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.failures.extend(other.failures);
    }

    fn fail(&mut self, file: &str, text: &str, offset: usize, reason: String) {
        let (line, col) = wast::token::Span::from_offset(offset).linecol_in(text);
        self.failed += 1;
        self.failures.push(Failure {
            file: file.to_string(),
            line: line + 1,
            col: col + 1,
            reason,
        });
    }
}

/// Runs `.wast` scripts with one engine configuration.
pub struct WastRunner {
    engine: wexe::Engine,
}

impl WastRunner {
    /// A runner whose scripts run on an engine made from `config`.
    pub fn new(config: &wexe::Config) -> Result<WastRunner> {
        Ok(WastRunner {
            engine: wexe::Engine::new(config)?,
        })
    }

    /// The engine scripts run on.
    pub fn engine(&self) -> &wexe::Engine {
        &self.engine
    }

    /// Runs the script `text`, naming it `name` in failures. Never panics: a directive that
    /// panics counts as failed and the script goes on with the next one.
    pub fn run_script(&self, name: &str, text: &str) -> Report {
        let mut report = Report::default();
        let mut lexer = wast::lexer::Lexer::new(text);
        lexer.allow_confusing_unicode(true);
        let buf = match ParseBuffer::new_with_lexer(lexer) {
            Ok(buf) => buf,
            Err(e) => {
                report.fail(name, text, e.span().offset(), parse_error(&e));
                return report;
            }
        };
        let wast = match parser::parse::<wast::Wast>(&buf) {
            Ok(wast) => wast,
            Err(e) => {
                report.fail(name, text, e.span().offset(), parse_error(&e));
                return report;
            }
        };
        let mut script = match Script::new(&self.engine) {
            Ok(script) => script,
            Err(e) => {
                report.fail(name, text, 0, format!("cannot set up the script: {e:#}"));
                return report;
            }
        };
        for directive in wast.directives {
            let offset = directive.span().offset();
            let outcome = catch_unwind(AssertUnwindSafe(|| script.run(directive)));
            match outcome {
                Ok(Ok(())) => report.passed += 1,
                Ok(Err(e)) => report.fail(name, text, offset, format!("{e:#}")),
                Err(panic) => {
                    let msg = panic_message(&*panic);
                    report.fail(name, text, offset, format!("panicked: {msg}"));
                }
            }
        }
        report
    }
}

fn parse_error(e: &wast::Error) -> String {
    format!("cannot parse the script: {}", e.message())
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_string()
    }
}
