//! Compiled modules on disk: the on-disk cache (`Config::cache_dir`) and `Module::serialize` /
//! `Module::deserialize` (`.cwasm` files). Both use one format: a magic line, the compiler
//! fingerprint, the module's wasm bytes, the encoded machine code, and a SHA-256 of all of it.
//! Code is only reused when the digest checks (a corrupt or truncated file is recompiled, never
//! run) and the fingerprint and the wasm bytes are exactly equal, so a hash collision in a cache
//! file's name cannot run the wrong code either.

use std::hash::{Hash, Hasher};

use sha2::{Digest, Sha256};

use wexe_environ::{CompiledModule, ModuleInfo};

use super::code::{JitModule, compile_raw, fingerprint, load};

const MAGIC: &[u8; 8] = b"WEXEJIT1";

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
    let digest = Sha256::digest(&out);
    out.extend_from_slice(&digest);
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
        return Err("not a compiled wexe module".into());
    }
    let body_len = bytes
        .len()
        .checked_sub(32)
        .ok_or("truncated compiled module")?;
    let (body, digest) = bytes.split_at(body_len);
    if Sha256::digest(body).as_slice() != digest {
        return Err("corrupt compiled module (checksum mismatch)".into());
    }
    let mut rest = &body[MAGIC.len()..];
    let print = take(&mut rest)?;
    let wasm = take(&mut rest)?;
    Ok((print, wasm, CompiledModule::from_bytes(rest)?))
}

/// Compiles a module, reusing and filling the cache in `dir` when there is one.
pub(crate) fn compile_cached(
    config: &crate::Config,
    info: &ModuleInfo,
    wasm: &[u8],
) -> Result<JitModule, String> {
    let Some(dir) = config.cache_dir.as_deref() else {
        return load(compile_raw(config, info, wasm)?);
    };
    let print = fingerprint(config)?;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (&print, wasm).hash(&mut h);
    let path = dir.join(format!("{:016x}.wexe", h.finish()));
    if let Ok(bytes) = std::fs::read(&path)
        && let Ok((p, w, compiled)) = decode(&bytes)
        && p == print.as_bytes()
        && w == wasm
    {
        return load(compiled);
    }
    let compiled = compile_raw(config, info, wasm)?;
    // The cache is best effort: a failure to write it is not an error.
    let _ = std::fs::create_dir_all(dir);
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    if std::fs::write(&tmp, encode(&print, wasm, &compiled)).is_ok() {
        let _ = std::fs::rename(&tmp, &path);
    }
    load(compiled)
}
