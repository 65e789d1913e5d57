//! Compiled modules on disk: the on-disk cache (`Config::cache_dir`) and `Module::serialize` /
//! `Module::deserialize` (`.cwasm` files). Both hold one body — a magic line, the compiler
//! fingerprint, the module's wasm bytes, the encoded machine code — and differ in its seal:
//!
//! - a `.cwasm` ends in a CRC-32 of the body, against damage on disk only: it is loaded only
//!   when the user names it (`Module::deserialize` is `unsafe`, `wexe run` wants
//!   `--allow-precompiled`), so it is trusted like any program the user runs;
//! - a cache entry ends in a tag, a keyed BLAKE3 hash of the body under the key of
//!   `cache_key` (kept in the kernel keyring, out of any guest's reach): the cache lives in a
//!   directory a guest may be granted, so an entry runs only when wexe can prove it wrote it.
//!   Without a key the cache is off.
//!
//! Code is only reused when the seal verifies (a corrupt, truncated or forged file is
//! recompiled, never run) and the fingerprint and the wasm bytes are exactly equal, so a hash
//! collision in a cache file's name cannot run the wrong code either. Entries are written only
//! for bytes that validated with the features in the fingerprint, which is why a hit skips
//! validating the function bodies again.

use std::hash::{Hash, Hasher};

use wexe_environ::{CompiledModule, ModuleInfo};

use super::cache_key::{self, KEY_LEN};
use super::code::{JitModule, compile_raw, fingerprint, load};

/// The first bytes of every compiled module; the last digit is the version of the format.
const MAGIC: &[u8; 8] = b"WEXEJIT4";

/// The body of a compiled module's file, before its seal.
fn encode_body(print: &str, wasm: &[u8], compiled: &CompiledModule) -> Vec<u8> {
    let code = compiled.to_bytes();
    let mut out = Vec::with_capacity(24 + print.len() + wasm.len() + code.len());
    out.extend_from_slice(MAGIC);
    for part in [print.as_bytes(), wasm] {
        out.extend_from_slice(&(part.len() as u64).to_le_bytes());
        out.extend_from_slice(part);
    }
    out.extend_from_slice(&code);
    out
}

/// The contents of a `.cwasm` file: the body and its CRC-32.
pub(crate) fn encode(print: &str, wasm: &[u8], compiled: &CompiledModule) -> Vec<u8> {
    let mut out = encode_body(print, wasm, compiled);
    let checksum = crc32fast::hash(&out);
    out.extend_from_slice(&checksum.to_le_bytes());
    out
}

/// The contents of a cache entry: the body and its tag under `key`.
fn encode_entry(
    key: &[u8; KEY_LEN],
    print: &str,
    wasm: &[u8],
    compiled: &CompiledModule,
) -> Vec<u8> {
    let mut out = encode_body(print, wasm, compiled);
    let tag = cache_key::tag(key, &out);
    out.extend_from_slice(&tag);
    out
}

fn take<'a>(rest: &mut &'a [u8]) -> Result<&'a [u8], String> {
    let len = rest.get(..8).ok_or("truncated compiled module")?;
    let len = usize::try_from(u64::from_le_bytes(len.try_into().expect("8 bytes")))
        .map_err(|_| "truncated compiled module")?;
    let part = rest
        .get(8..8usize.saturating_add(len))
        .ok_or("truncated compiled module")?;
    *rest = &rest[8 + len..];
    Ok(part)
}

/// Splits a `.cwasm` file into the fingerprint, the wasm bytes and the compiled code, after
/// checking its CRC-32.
pub(crate) fn decode(bytes: &[u8]) -> Result<(&[u8], &[u8], CompiledModule), String> {
    check_magic(bytes)?;
    // The checksum guards against files damaged on disk or cut short, not against someone who
    // can write the file: a `.cwasm` is only loaded when the user names it, as trusted as any
    // program they run. A CRC-32 (hardware-assisted, over 10 GB/s) does that job.
    let body_len = bytes
        .len()
        .checked_sub(4)
        .ok_or("truncated compiled module")?;
    let (body, checksum) = bytes.split_at(body_len);
    if crc32fast::hash(body).to_le_bytes() != checksum {
        return Err("corrupt compiled module (checksum mismatch)".into());
    }
    decode_body(body)
}

/// Splits a cache entry like [`decode`], after checking its tag under `key`: an entry that
/// wexe did not write (or that was damaged) is refused.
fn decode_entry<'a>(
    key: &[u8; KEY_LEN],
    bytes: &'a [u8],
) -> Result<(&'a [u8], &'a [u8], CompiledModule), String> {
    check_magic(bytes)?;
    let body_len = bytes
        .len()
        .checked_sub(KEY_LEN)
        .ok_or("truncated cache entry")?;
    let (body, tag) = bytes.split_at(body_len);
    if !cache_key::verify(key, body, tag) {
        return Err("cache entry not written by this user's wexe (tag mismatch)".into());
    }
    decode_body(body)
}

fn check_magic(bytes: &[u8]) -> Result<(), String> {
    if !bytes.starts_with(MAGIC) {
        if bytes.starts_with(&MAGIC[..7]) {
            return Err("the module was compiled by another version of wexe".into());
        }
        return Err("not a compiled wexe module".into());
    }
    Ok(())
}

fn decode_body(body: &[u8]) -> Result<(&[u8], &[u8], CompiledModule), String> {
    let mut rest = &body[MAGIC.len()..];
    let print = take(&mut rest)?;
    let wasm = take(&mut rest)?;
    Ok((print, wasm, CompiledModule::from_bytes(rest)?))
}

/// Where the cache keeps the code for `wasm` compiled with fingerprint `print`.
fn entry_path(dir: &std::path::Path, print: &str, wasm: &[u8]) -> std::path::PathBuf {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (print, wasm).hash(&mut h);
    dir.join(format!("{:016x}.wexe", h.finish()))
}

/// The cached code for `wasm`, when the cache holds an intact entry for exactly these bytes and
/// this compiler. Entries are only written for bytes that validated, so a hit needs no
/// validation of the function bodies.
pub(crate) fn lookup(config: &crate::Config, wasm: &[u8]) -> Option<JitModule> {
    let dir = config.cache_dir.as_deref()?;
    let key = cache_key::cache_key().ok()?;
    let print = fingerprint(config).ok()?;
    let bytes = std::fs::read(entry_path(dir, &print, wasm)).ok()?;
    let (p, w, compiled) = decode_entry(key, &bytes).ok()?;
    if p != print.as_bytes() || w != wasm {
        return None;
    }
    load(compiled, None).ok()
}

/// Compiles a validated module, and fills the cache when there is one (after a [`lookup`]
/// missed).
pub(crate) fn compile_and_store(
    config: &crate::Config,
    info: &ModuleInfo,
    wasm: &[u8],
) -> Result<JitModule, String> {
    let compiled = compile_raw(config, info, wasm)?;
    if let (Some(dir), Ok(key)) = (config.cache_dir.as_deref(), cache_key::cache_key()) {
        let print = fingerprint(config)?;
        let path = entry_path(dir, &print, wasm);
        write_entry(&path, &encode_entry(key, &print, wasm, &compiled));
    }
    load(compiled, None)
}

/// Tier-up's entries: the machine code of a module's hot functions (and its trampolines), so
/// that the next run of the same program starts with them compiled. The entry names the
/// functions after the fingerprint (`PRINT\ndefs=3,17,...`) and identifies the module by the
/// BLAKE3 hash of its bytes rather than the bytes themselves, since it is rewritten as the
/// program runs; its tag seals it like any entry.
fn tiered_print(config: &crate::Config) -> Option<String> {
    Some(format!("{} tier-up", fingerprint(config).ok()?))
}

/// Where tier-up keeps the hot functions of a module, and the module's id inside the entry.
pub(crate) struct TieredEntry {
    path: std::path::PathBuf,
    id: ModuleId,
}

/// The entry tier-up uses for module `id` (which exists only when there is a cache).
pub(crate) fn tiered_entry(config: &crate::Config, id: ModuleId) -> Option<TieredEntry> {
    let dir = config.cache_dir.as_deref()?;
    Some(TieredEntry {
        path: entry_path(dir, &tiered_print(config)?, &id.0),
        id,
    })
}

/// The hot functions tier-up kept in `entry`: their defined-function indices and the code
/// (with the trampolines).
pub(crate) fn lookup_tiered(
    config: &crate::Config,
    entry: &TieredEntry,
) -> Option<(Vec<usize>, CompiledModule)> {
    let key = cache_key::cache_key().ok()?;
    let print = tiered_print(config)?;
    let bytes = std::fs::read(&entry.path).ok()?;
    let (p, id, compiled) = decode_entry(key, &bytes).ok()?;
    let defs = std::str::from_utf8(p)
        .ok()?
        .strip_prefix(&print)?
        .strip_prefix("\ndefs=")?;
    if id != entry.id.0 {
        return None;
    }
    let defs: Vec<usize> = match defs {
        "" => Vec::new(),
        list => list
            .split(',')
            .map(str::parse)
            .collect::<Result<_, _>>()
            .ok()?,
    };
    (defs.len() == compiled.funcs.len()).then_some((defs, compiled))
}

/// Writes tier-up's `entry` (best effort).
pub(crate) fn store_tiered(
    config: &crate::Config,
    entry: &TieredEntry,
    defs: &[usize],
    compiled: &CompiledModule,
) {
    let (Ok(key), Some(print)) = (cache_key::cache_key(), tiered_print(config)) else {
        return;
    };
    let list: Vec<String> = defs.iter().map(usize::to_string).collect();
    let print = format!("{print}\ndefs={}", list.join(","));
    write_entry(
        &entry.path,
        &encode_entry(key, &print, &entry.id.0, compiled),
    );
}

/// Writes a cache entry whole or not at all (another process may be reading it). The cache is
/// best effort: a failure to write it is not an error.
fn write_entry(path: &std::path::Path, bytes: &[u8]) {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    if std::fs::write(&tmp, bytes).is_ok() {
        let _ = std::fs::rename(&tmp, path);
    }
}

/// The BLAKE3 hash of a module's bytes, by which the cache's per-module entries that do not
/// hold the bytes themselves (tier-up's hot functions, the mark of a valid module) name it:
/// made once per module, and only when there is a cache.
#[derive(Clone, Copy)]
pub(crate) struct ModuleId([u8; 32]);

/// The id of `wasm`, when `config` has a usable cache.
pub(crate) fn module_id(config: &crate::Config, wasm: &[u8]) -> Option<ModuleId> {
    config.cache_dir.as_deref()?;
    cache_key::cache_key().ok()?;
    Some(ModuleId(*blake3::hash(wasm).as_bytes()))
}

/// The fingerprint of the mark that a module validated. It includes the compiler's settings,
/// which validation does not depend on, only so that the mark is written by the same wexe
/// build, with the same features, as everything else the cache holds.
fn validated_print(config: &crate::Config) -> Option<String> {
    Some(format!("{} validated", fingerprint(config).ok()?))
}

/// Whether the cache holds an intact mark that module `id` validated with `config`'s features
/// (so its function bodies need not be validated again).
pub(crate) fn known_valid(config: &crate::Config, id: &ModuleId) -> bool {
    let (Some(dir), Ok(key), Some(print)) = (
        config.cache_dir.as_deref(),
        cache_key::cache_key(),
        validated_print(config),
    ) else {
        return false;
    };
    let Ok(bytes) = std::fs::read(entry_path(dir, &print, &id.0)) else {
        return false;
    };
    matches!(decode_entry(key, &bytes), Ok((p, w, _)) if p == print.as_bytes() && w == id.0)
}

/// Marks module `id` as valid with `config`'s features, once its bodies have validated.
pub(crate) fn remember_valid(config: &crate::Config, id: &ModuleId) {
    let (Some(dir), Ok(key), Some(print)) = (
        config.cache_dir.as_deref(),
        cache_key::cache_key(),
        validated_print(config),
    ) else {
        return;
    };
    let entry = encode_entry(key, &print, &id.0, &CompiledModule::default());
    write_entry(&entry_path(dir, &print, &id.0), &entry);
}
