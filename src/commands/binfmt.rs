//! `wexe binfmt install|uninstall|status|policy`: makes `.wasm` files executable (`./app.wasm`)
//! through the kernel's binfmt_misc, and shows what such a program is allowed.
//!
//! The kernel side is in `binfmt_kernel`, the start of a program in `binfmt_exec`, the
//! capability policy in `policy`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

use super::binfmt_kernel::{self as kernel, DEFAULT_NAME, FLAGS, INTERPRETER_NAME};
use super::policy;

const EXAMPLES: &str = "\
Examples:
  sudo wexe binfmt install            ./app.wasm now runs with wexe (until reboot)
  sudo wexe binfmt install --persist  ... and after reboots (/etc/binfmt.d/wexe.conf)
  wexe binfmt status                  is it registered, and how
  wexe binfmt policy ./app.wasm       the directories, variables and limits app.wasm would get
  sudo wexe binfmt uninstall          remove the registration (and the /etc/binfmt.d file)

Programs started this way get the current directory (as `.`) and LANG, LC_ALL and TERM; the
policy files /etc/wexe/policy.toml and ~/.config/wexe/policy.toml grant more (docs/binfmt.md).";

/// Run .wasm files directly (`./app.wasm`) via the kernel's binfmt_misc
#[derive(Args)]
#[command(after_help = EXAMPLES)]
pub struct BinfmtCommand {
    #[command(subcommand)]
    action: Action,
}

#[derive(Subcommand)]
enum Action {
    /// Register wexe for WebAssembly core modules (magic `\0asm`, version 1); needs root
    #[command(after_help = "Example:\n  sudo wexe binfmt install --persist")]
    Install(InstallArgs),
    /// Remove the registration and its /etc/binfmt.d file; needs root
    #[command(after_help = "Example:\n  sudo wexe binfmt uninstall")]
    Uninstall(NameArg),
    /// Tell whether wexe is registered and with what (exit status 1 when it is not)
    #[command(after_help = "Example:\n  wexe binfmt status")]
    Status(NameArg),
    /// Show what a program started as `./FILE` would be given
    #[command(after_help = "Example:\n  wexe binfmt policy ./app.wasm")]
    Policy(PolicyArgs),
}

#[derive(Args)]
struct NameArg {
    /// The entry's name under /proc/sys/fs/binfmt_misc
    #[arg(long, default_value = DEFAULT_NAME)]
    name: String,
}

#[derive(Args)]
struct InstallArgs {
    #[command(flatten)]
    name: NameArg,
    /// Also write /etc/binfmt.d/NAME.conf so systemd-binfmt registers it at boot
    #[arg(long)]
    persist: bool,
    /// Where to create the `wexe-binfmt` link to this wexe, registered as the interpreter
    /// (default: the directory of this wexe)
    #[arg(long, value_name = "DIR")]
    link_dir: Option<PathBuf>,
}

#[derive(Args)]
struct PolicyArgs {
    /// The program
    file: PathBuf,
}

impl BinfmtCommand {
    pub fn execute(self) -> Result<ExitCode> {
        match self.action {
            Action::Install(a) => install(a),
            Action::Uninstall(a) => uninstall(&a.name),
            Action::Status(a) => status(&a.name),
            Action::Policy(a) => show_policy(&a.file),
        }
    }
}

fn install(args: InstallArgs) -> Result<ExitCode> {
    let name = &args.name.name;
    kernel::check_name(name)?;
    kernel::require_root("registering with binfmt_misc")?;
    kernel::ensure_mounted()?;
    let interpreter = make_link(args.link_dir.as_deref())?;
    let line = kernel::register_line(name, &interpreter)?;
    let replaced = kernel::register(name, &line)?;
    let verb = if replaced { "replaced" } else { "registered" };
    println!(
        "{verb} binfmt_misc entry `{name}`: WebAssembly core modules (version 1) run with {} \
         (flags {FLAGS})",
        interpreter.display()
    );
    if args.persist {
        let path = kernel::persist(name, &line)?;
        println!("wrote {} (registered again at boot)", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Makes `DIR/wexe-binfmt` a link to this executable and returns its path. An existing file that
/// is not a link (installed by a package) is used as it is.
fn make_link(dir: Option<&Path>) -> Result<PathBuf> {
    let exe = std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .context("cannot find the wexe executable")?;
    let dir = match dir {
        Some(d) => {
            std::fs::canonicalize(d).with_context(|| format!("no directory {}", d.display()))?
        }
        None => exe.parent().context("wexe has no directory")?.to_path_buf(),
    };
    let link = dir.join(INTERPRETER_NAME);
    match std::fs::symlink_metadata(&link) {
        Ok(m) if !m.file_type().is_symlink() => return Ok(link),
        Ok(_) if std::fs::read_link(&link).is_ok_and(|t| t == exe) => return Ok(link),
        Ok(_) => std::fs::remove_file(&link)
            .with_context(|| format!("cannot replace {}", link.display()))?,
        Err(_) => {}
    }
    std::os::unix::fs::symlink(&exe, &link).with_context(|| {
        format!(
            "cannot create {} (choose a writable place with --link-dir)",
            link.display()
        )
    })?;
    Ok(link)
}

fn uninstall(name: &str) -> Result<ExitCode> {
    kernel::check_name(name)?;
    kernel::require_root("removing a binfmt_misc entry")?;
    if kernel::unregister(name)? {
        println!("removed binfmt_misc entry `{name}`");
    } else {
        println!("binfmt_misc entry `{name}` was not registered");
    }
    if kernel::unpersist(name)? {
        println!("removed {}", kernel::persist_path(name).display());
    }
    Ok(ExitCode::SUCCESS)
}

fn status(name: &str) -> Result<ExitCode> {
    let persisted = kernel::persist_path(name);
    let persisted = if persisted.exists() {
        format!("; persisted in {}", persisted.display())
    } else {
        String::new()
    };
    if !kernel::is_mounted() {
        println!(
            "not registered: binfmt_misc is not mounted on {}{persisted}",
            kernel::BINFMT_DIR
        );
        return Ok(ExitCode::from(1));
    }
    let Some(st) = kernel::status(name)? else {
        println!(
            "not registered: no entry `{name}` in {}{persisted}",
            kernel::BINFMT_DIR
        );
        return Ok(ExitCode::from(1));
    };
    let state = if st.enabled { "enabled" } else { "disabled" };
    println!("registered as `{name}` ({state}){persisted}");
    println!("  interpreter  {}", st.interpreter);
    println!("  flags        {}", st.flags);
    println!("  offset       {}", st.offset);
    println!("  magic        {}", st.magic);
    if let Some(mask) = &st.mask {
        println!("  mask         {mask}");
    }
    Ok(ExitCode::SUCCESS)
}

fn show_policy(file: &Path) -> Result<ExitCode> {
    let policies = policy::load_policies()?;
    let program = policy::Program::open(file)?;
    let cwd = std::env::current_dir().context("no current directory")?;
    let grants = policy::resolve(&policies, &program, &cwd, &|n| std::env::var_os(n));
    match &program.path {
        Some(path) => println!("program      {}", path.display()),
        None => println!(
            "program      {} (its full path cannot be resolved: no path rule matches)",
            file.display()
        ),
    }
    println!("sha256       {}", program.sha256);
    let mut files = vec![PathBuf::from(policy::SYSTEM_POLICY)];
    files.extend(policy::user_policy_path());
    for f in files {
        let state = if f.exists() { "read" } else { "absent" };
        println!("policy file  {} ({state})", f.display());
    }
    if grants.matched.is_empty() {
        println!("rules        none match: the defaults apply");
    } else {
        println!("rules        {}", grants.matched.join(", "));
    }
    println!("directories");
    if grants.dirs.is_empty() {
        println!("  none");
    }
    for d in &grants.dirs {
        let mode = if d.read_only {
            "read-only"
        } else {
            "read-write"
        };
        println!("  {} -> {} ({mode})", d.guest, d.host.display());
    }
    println!("environment");
    if grants.env.is_empty() {
        println!("  none");
    }
    for (k, v) in &grants.env {
        println!("  {}={}", k.display(), v.display());
    }
    let socks = if grants.tcplisten.is_empty() {
        "none".to_string()
    } else {
        grants.tcplisten.join(", ")
    };
    println!("listening    {socks}");
    let l = &grants.limits;
    let show = |v: Option<String>| v.unwrap_or_else(|| "none".to_string());
    // Memories and tables together.
    println!(
        "max memory   {}",
        show(l.max_memory.map(|b| format!("{b} bytes")))
    );
    println!(
        "table size   {}",
        show(l.max_table_elements.map(|n| format!("{n} elements")))
    );
    println!("fuel         {}", show(l.fuel.map(|f| f.to_string())));
    println!("timeout      {}", show(l.timeout.map(|t| format!("{t:?}"))));
    Ok(ExitCode::SUCCESS)
}
