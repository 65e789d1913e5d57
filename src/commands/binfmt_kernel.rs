//! The kernel side of `wexe binfmt`: the binfmt_misc registration line, mounting
//! `/proc/sys/fs/binfmt_misc`, registering and unregistering an entry, reading its status, and the
//! `/etc/binfmt.d` file that systemd-binfmt replays at boot.
//!
//! The entry matches by magic (`M`) at offset 0: the eight bytes `\0asm` + version 1
//! (`00 61 73 6d 01 00 00 00`). Components carry other version bytes (`0d 00 01 00`), so they and
//! any future versions are left to other handlers. Flags: `P` keeps the program's own argv[0]
//! (the kernel adds the path as an extra argument instead of overwriting argv[0]); `F` opens the
//! interpreter at registration, so it works inside containers and chroots where the path does not
//! exist. `C`/`O` are deliberately not used: `C` would run programs with the credentials of a
//! setuid .wasm file, and wexe reads the file itself, so `O` (pass an open descriptor) is not needed.

use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// Where the kernel's binfmt_misc file system lives.
pub const BINFMT_DIR: &str = "/proc/sys/fs/binfmt_misc";
/// The bytes that open a core module of version 1.
pub const MAGIC: &[u8; 8] = b"\0asm\x01\0\0\0";
/// The flags wexe registers with (see the module comment).
pub const FLAGS: &str = "PF";
/// The file name of the interpreter path wexe registers. When `wexe` starts under this name it
/// knows the kernel started it for a program (see `binfmt_exec`).
pub const INTERPRETER_NAME: &str = "wexe-binfmt";
/// The default name of the entry (`/proc/sys/fs/binfmt_misc/wexe`).
pub const DEFAULT_NAME: &str = "wexe";

/// The line written to `register`: `:name:M::magic::interpreter:flags`.
pub fn register_line(name: &str, interpreter: &Path) -> Result<String> {
    check_name(name)?;
    let interp = interpreter
        .to_str()
        .context("the interpreter path is not UTF-8")?;
    if !interpreter.is_absolute() || interp.contains(':') || interp.contains('\n') {
        bail!("the interpreter path `{interp}` must be absolute and contain no `:`");
    }
    let magic: String = MAGIC.iter().map(|b| format!("\\x{b:02x}")).collect();
    Ok(format!(":{name}:M::{magic}::{interp}:{FLAGS}"))
}

/// Entry names become file names under binfmt_misc: no `/`, no `:`, not `.`/`..`/`register`/`status`.
pub fn check_name(name: &str) -> Result<()> {
    let bad = name.is_empty()
        || name.len() > 64
        || matches!(name, "." | ".." | "register" | "status")
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if bad {
        bail!("bad registration name `{name}`: use letters, digits, `-`, `_` and `.`");
    }
    Ok(())
}

fn entry_path(name: &str) -> PathBuf {
    Path::new(BINFMT_DIR).join(name)
}

/// Makes sure binfmt_misc is mounted, mounting it when the kernel supports it but nobody has.
pub fn ensure_mounted() -> Result<()> {
    let dir = Path::new(BINFMT_DIR);
    if dir.join("register").exists() {
        return Ok(());
    }
    if !dir.is_dir() {
        bail!(
            "this kernel has no binfmt_misc support ({BINFMT_DIR} does not exist); \
             load it with `modprobe binfmt_misc` or use a kernel built with CONFIG_BINFMT_MISC"
        );
    }
    use rustix::mount::{MountFlags, mount};
    mount("binfmt_misc", dir, "binfmt_misc", MountFlags::empty(), None).map_err(|e| {
        anyhow::anyhow!(
            "cannot mount binfmt_misc on {BINFMT_DIR}: {e} (mounting needs root with \
             CAP_SYS_ADMIN; in a container, mount it on the host)"
        )
    })?;
    if !dir.join("register").exists() {
        bail!("mounted binfmt_misc on {BINFMT_DIR}, but it has no `register` file");
    }
    Ok(())
}

/// Fails with a clear message unless the process runs as root.
pub fn require_root(what: &str) -> Result<()> {
    if !rustix::process::geteuid().is_root() {
        bail!("{what} needs root: binfmt_misc is global kernel state (try `sudo wexe binfmt ...`)");
    }
    Ok(())
}

/// Registers `line` under `name`, replacing an existing entry of that name. Returns whether one
/// was replaced.
pub fn register(name: &str, line: &str) -> Result<bool> {
    let replaced = unregister(name)?;
    let register = Path::new(BINFMT_DIR).join("register");
    let mut file = fs::OpenOptions::new()
        .write(true)
        .open(&register)
        .map_err(|e| refused(&register, e))?;
    // The kernel parses one write as one registration.
    file.write_all(line.as_bytes())
        .map_err(|e| refused(&register, e))?;
    Ok(replaced)
}

fn refused(path: &Path, e: std::io::Error) -> anyhow::Error {
    let hint = match e.kind() {
        ErrorKind::PermissionDenied => " (needs root; inside a container the host may forbid it)",
        ErrorKind::InvalidInput => " (the kernel rejected the registration line)",
        _ => "",
    };
    anyhow::anyhow!("cannot write {}: {e}{hint}", path.display())
}

/// Removes the entry `name`; returns whether there was one.
pub fn unregister(name: &str) -> Result<bool> {
    check_name(name)?;
    let path = entry_path(name);
    if !path.exists() {
        return Ok(false);
    }
    fs::write(&path, "-1").map_err(|e| refused(&path, e))?;
    Ok(true)
}

/// What the kernel says about a registered entry.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct EntryStatus {
    pub enabled: bool,
    pub interpreter: String,
    pub flags: String,
    pub offset: String,
    pub magic: String,
    pub mask: Option<String>,
}

/// Parses the text of `/proc/sys/fs/binfmt_misc/NAME`.
pub fn parse_status(text: &str) -> EntryStatus {
    let mut st = EntryStatus::default();
    for line in text.lines() {
        let (key, value) = line.split_once(' ').unwrap_or((line, ""));
        let value = value.trim().to_string();
        match key {
            "enabled" => st.enabled = true,
            "disabled" => st.enabled = false,
            "interpreter" => st.interpreter = value,
            "flags:" => st.flags = value,
            "offset" => st.offset = value,
            "magic" => st.magic = value,
            "mask" => st.mask = Some(value),
            _ => {}
        }
    }
    st
}

/// The status of entry `name`, or `None` when it is not registered (or binfmt_misc is not mounted).
pub fn status(name: &str) -> Result<Option<EntryStatus>> {
    check_name(name)?;
    let path = entry_path(name);
    match fs::read_to_string(&path) {
        Ok(text) => Ok(Some(parse_status(&text))),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Whether binfmt_misc is mounted.
pub fn is_mounted() -> bool {
    Path::new(BINFMT_DIR).join("register").exists()
}

/// The systemd-binfmt file for entry `name`.
pub fn persist_path(name: &str) -> PathBuf {
    Path::new("/etc/binfmt.d").join(format!("{name}.conf"))
}

/// Writes the `/etc/binfmt.d` file so the entry comes back at boot.
pub fn persist(name: &str, line: &str) -> Result<PathBuf> {
    let path = persist_path(name);
    let dir = path.parent().expect("has a parent");
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let text = format!(
        "# Written by `wexe binfmt install --persist`: run WebAssembly core modules (version 1)\n\
         # with wexe. Flags P (keep argv[0]) and F (open the interpreter when registering).\n\
         {line}\n"
    );
    fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// Removes the `/etc/binfmt.d` file of entry `name`; returns whether there was one.
pub fn unpersist(name: &str) -> Result<bool> {
    let path = persist_path(name);
    match fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e).with_context(|| format!("cannot remove {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_register_line_matches_the_magic_and_version() {
        let line = register_line("wexe", Path::new("/usr/bin/wexe-binfmt")).unwrap();
        assert_eq!(
            line,
            r":wexe:M::\x00\x61\x73\x6d\x01\x00\x00\x00::/usr/bin/wexe-binfmt:PF"
        );
        assert!(register_line("a:b", Path::new("/x")).is_err());
        assert!(register_line("ok", Path::new("relative/x")).is_err());
        assert!(register_line("ok", Path::new("/a:b")).is_err());
    }

    #[test]
    fn status_text_is_parsed() {
        let st = parse_status(
            "enabled\ninterpreter /usr/bin/wexe-binfmt\nflags: PF\noffset 0\nmagic 0061736d01000000\n",
        );
        assert!(st.enabled);
        assert_eq!(st.interpreter, "/usr/bin/wexe-binfmt");
        assert_eq!(st.flags, "PF");
        assert_eq!(st.magic, "0061736d01000000");
        assert_eq!(st.mask, None);
    }
}
