//! `wexe wast`: runs `.wast` scripts (the WebAssembly spec test format) with the wexe-wast runner,
//! prints each failure as `file:line:col: reason`, and ends with the line `N passed, M failed`
//! (one count per directive). The exit status is 1 when anything failed.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use wexe_wast::{Failure, Report, WastRunner};

use super::TierArg;

const EXAMPLES: &str = "\
Output: each failed directive as `FILE:LINE:COL: REASON`, then the line `N passed, M failed`
(one count per directive). The exit status is 1 when any directive failed.

Examples:
  wexe wast i32.wast                          run one script
  wexe wast --tier interp tests/misc/*.wast   run several scripts in the interpreter";

/// Run .wast test scripts and report failed directives
#[derive(Args)]
#[command(after_help = EXAMPLES)]
pub struct WastCommand {
    /// Which execution tier runs the code
    #[arg(long, value_enum, default_value_t)]
    tier: TierArg,

    #[command(flatten)]
    features: super::features::FeatureArgs,

    /// The scripts to run
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
}

impl WastCommand {
    pub fn execute(self) -> Result<ExitCode> {
        let mut config = self.tier.config();
        self.features.apply(&mut config)?;
        let runner = WastRunner::new(&config)?;
        let mut total = Report::default();
        for path in &self.files {
            let name = path.display().to_string();
            let report = match std::fs::read_to_string(path) {
                Ok(text) => runner.run_script(&name, &text),
                Err(e) => Report {
                    passed: 0,
                    failed: 1,
                    failures: vec![Failure {
                        file: name,
                        line: 1,
                        col: 1,
                        reason: format!("cannot read the script: {e}"),
                    }],
                },
            };
            for failure in &report.failures {
                println!("{failure}");
            }
            total.passed += report.passed;
            total.failed += report.failed;
        }
        println!("{} passed, {} failed", total.passed, total.failed);
        Ok(if total.ok() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }
}
