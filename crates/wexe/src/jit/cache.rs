//! Compiled modules on disk: the on-disk cache (`Config::cache_dir`) and `Module::serialize` /
//! `Module::deserialize` (`.cwasm` files). Both use one format: a magic line, the compiler
//! fingerprint, the module's wasm bytes, the encoded machine code, and a CRC-32 of all of it.
//! Code is only reused when the checksum matches (a corrupt or truncated file is recompiled,
//! never run) and the fingerprint and the wasm bytes are exactly equal, so a hash collision in a cache
//! file's name cannot run the wrong code either. Entries are written only for bytes that
//! validated with the features in the fingerprint, which is why a hit skips validating the
//! function bodies again.

use std::hash::{Hash, Hasher};

use wexe_environ::{CompiledModule, ModuleInfo};

use super::code::{JitModule, compile_raw, fingerprint, load};

/// The first bytes of every compiled module; the last digit is the version of the format.
const MAGIC: &[u8; 8] = b"WEXEJIT2";

/// The file contents for a compiled module.
pub(crate) fn encode(print: &str, wasm: &[u8], compiled: &CompiledModule) -> Vec<u8> {
    let code = compiled.to_bytes();
    let mut out = Vec::with_capacity(24 + print.len() + wasm.len() + code.len());
    out.extend_from_slice(MAGIC);
    for part in [print.as_bytes(), wasm] {
        out.extend_from_slice(&(part.len() as u64).to_le_bytes());
        out.extend_from_slice(part);
    }
    out.extend_from_slice(&code);
    let checksum = crc32fast::hash(&out);
    out.extend_from_slice(&checksum.to_le_bytes());
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

/// Splits file contents into the fingerprint, the wasm bytes and the compiled code.
pub(crate) fn decode(bytes: &[u8]) -> Result<(&[u8], &[u8], CompiledModule), String> {
    if !bytes.starts_with(MAGIC) {
        if bytes.starts_with(&MAGIC[..7]) {
            return Err("the module was compiled by another version of wexe".into());
        }
        return Err("not a compiled wexe module".into());
    }
    // The checksum guards against files damaged on disk or cut short, not against someone who
    // can write the cache (they could write a matching checksum, or any code, just as well):
    // a CRC-32 (hardware-assisted, over 10 GB/s) does that as well as a cryptographic hash,
    // which took a sixth of a cached load of a large module.
    let body_len = bytes
        .len()
        .checked_sub(4)
        .ok_or("truncated compiled module")?;
    let (body, checksum) = bytes.split_at(body_len);
    if crc32fast::hash(body).to_le_bytes() != checksum {
        return Err("corrupt compiled module (checksum mismatch)".into());
    }
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
    let print = fingerprint(config).ok()?;
    let bytes = std::fs::read(entry_path(dir, &print, wasm)).ok()?;
    let (p, w, compiled) = decode(&bytes).ok()?;
    if p != print.as_bytes() || w != wasm {
        return None;
    }
    load(compiled).ok()
}

/// Compiles a validated module, and fills the cache when there is one (after a [`lookup`]
/// missed).
pub(crate) fn compile_and_store(
    config: &crate::Config,
    info: &ModuleInfo,
    wasm: &[u8],
) -> Result<JitModule, String> {
    let compiled = compile_raw(config, info, wasm)?;
    if let Some(dir) = config.cache_dir.as_deref() {
        let print = fingerprint(config)?;
        let path = entry_path(dir, &print, wasm);
        // The cache is best effort: a failure to write it is not an error.
        let _ = std::fs::create_dir_all(dir);
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        if std::fs::write(&tmp, encode(&print, wasm, &compiled)).is_ok() {
            let _ = std::fs::rename(&tmp, &path);
        }
    }
    load(compiled)
}
