//! `wexe`: runs WebAssembly programs outside the browser as if they were native programs.
//!
//! This file holds the command line (the clap subcommand enum), the `wexe FILE ARGS...`
//! shorthand for `wexe run`, and the mapping of outcomes to exit statuses: 0 on success, 1 with a
//! one-line `error: ...` for anything that goes wrong before the program runs, 134 after a trap.
//! Each subcommand lives in its own file under `commands/`.

mod commands;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{Parser, Subcommand};

const EXAMPLES: &str = "\
Examples:
  wexe hello.wasm                     run a program (shorthand for `wexe run hello.wasm`)
  wexe run --invoke add add.wat 2 3   call the export `add` and print its result
  wexe wast tests/misc/*.wast         run spec-format test scripts
  wexe validate app.wasm              check a module (the error and its offset if invalid)
  wexe inspect app.wasm               imports, exports, memories, sections, producers
  sudo wexe binfmt install            make ./app.wasm run directly";

#[derive(Parser)]
#[command(
    name = "wexe",
    version,
    about = "Runs WebAssembly programs outside the browser as if they were native programs",
    after_help = EXAMPLES,
    arg_required_else_help = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Run(Box<commands::run::RunCommand>),
    Wast(commands::wast::WastCommand),
    Validate(commands::validate::ValidateCommand),
    Inspect(commands::inspect::InspectCommand),
    Binfmt(commands::binfmt::BinfmtCommand),
    Compile(commands::compile::CompileCommand),
    Cache(commands::cache::CacheCommand),
    Serve(Box<commands::serve::ServeCommand>),
}

/// The words that may follow `wexe` without implying `run`: the subcommands and the flags of
/// `wexe` itself.
const NOT_A_FILE: &[&str] = &[
    "run",
    "wast",
    "validate",
    "inspect",
    "binfmt",
    "compile",
    "cache",
    "serve",
    "help",
    "-h",
    "--help",
    "-V",
    "--version",
];

/// `wexe FILE ARGS...` means `wexe run FILE ARGS...`: inserts `run` when the first argument is
/// neither a subcommand nor a flag of `wexe` itself (so `wexe --tier interp x.wasm` works too).
fn expand_shorthand(mut args: Vec<OsString>) -> Vec<OsString> {
    if let Some(first) = args.get(1)
        && !first.to_str().is_some_and(|s| NOT_A_FILE.contains(&s))
    {
        args.insert(1, OsString::from("run"));
    }
    args
}

fn main() -> ExitCode {
    commands::install_panic_hook();
    let args: Vec<OsString> = std::env::args_os().collect();
    // Started by the kernel for `./app.wasm`: every argument belongs to the program.
    if commands::binfmt_exec::is_binfmt_invocation(&args) {
        return commands::binfmt_exec::main(args);
    }
    let args = expand_shorthand(args);
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match cli.command {
        Command::Run(cmd) => cmd.execute(),
        Command::Wast(cmd) => cmd.execute(),
        Command::Validate(cmd) => cmd.execute(),
        Command::Inspect(cmd) => cmd.execute(),
        Command::Binfmt(cmd) => cmd.execute(),
        Command::Compile(cmd) => cmd.execute(),
        Command::Cache(cmd) => cmd.execute(),
        Command::Serve(cmd) => cmd.execute(),
    }));
    match outcome {
        Ok(Ok(code)) => code,
        Ok(Err(e)) => commands::report_error(&e),
        // The panic hook has printed the message.
        Err(_) => ExitCode::from(101),
    }
}

/// Prints a clap error as one line and exits with 1 (help and version go to stdout with 0).
fn usage_error(e: clap::Error) -> ExitCode {
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            ExitCode::from(1)
        }
        _ => {
            let text = e.render().to_string();
            let mut parts = Vec::new();
            for line in text.lines().map(str::trim) {
                if line.starts_with("Usage:") || line.starts_with("For more information") {
                    break;
                }
                if !line.is_empty() && !line.starts_with("tip:") {
                    parts.push(line);
                }
            }
            eprintln!("wexe: {} (see `wexe help`)", parts.join(" "));
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(args: &[&str]) -> Vec<String> {
        let args = args.iter().map(OsString::from).collect();
        let out = expand_shorthand(args);
        out.into_iter().map(|a| a.into_string().unwrap()).collect()
    }

    #[test]
    fn shorthand_inserts_run_only_before_a_file_or_run_flag() {
        assert_eq!(
            expand(&["wexe", "a.wasm", "x"]),
            ["wexe", "run", "a.wasm", "x"]
        );
        assert_eq!(
            expand(&["wexe", "--tier", "interp", "a.wasm"]),
            ["wexe", "run", "--tier", "interp", "a.wasm"]
        );
        assert_eq!(
            expand(&["wexe", "wast", "a.wast"]),
            ["wexe", "wast", "a.wast"]
        );
        assert_eq!(
            expand(&["wexe", "run", "a.wasm"]),
            ["wexe", "run", "a.wasm"]
        );
        assert_eq!(expand(&["wexe", "--help"]), ["wexe", "--help"]);
        assert_eq!(expand(&["wexe"]), ["wexe"]);
    }

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
