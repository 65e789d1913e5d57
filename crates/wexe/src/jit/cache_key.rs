//! The secret key that signs the on-disk cache's entries, kept in the Linux kernel's keyring.
//!
//! A cache entry is machine code that a later run executes, and the cache directory sits in
//! the user's home, which a guest program may be granted. So an entry runs only when its tag —
//! a keyed BLAKE3 hash of the whole entry — verifies with a key that no guest can reach: not a
//! file (any directory can be preopened), but a "user" key in the user's kernel keyring, which
//! only native processes of the same user can read through `keyctl(2)` (a wasm program has no
//! system calls). The key is made from the system's random source the first time it is
//! needed and lives until the user's last process ends (at reboot at the latest); a new key
//! makes older entries fail verification, so they are compiled and written again.
//!
//! Where the keyring is not available (kernels without `CONFIG_KEYS`, containers whose
//! seccomp profile refuses `keyctl`), there is no key and the cache is off: compiled code is
//! never read from disk without proof that wexe wrote it. See docs/security.md.

use std::sync::OnceLock;

/// The length of the key and of an entry's tag, in bytes.
pub(crate) const KEY_LEN: usize = 32;

/// The key's description in the user keyring; `v1` names the tag's construction.
const DESCRIPTION: &std::ffi::CStr = c"wexe:compile-cache-key:v1";

/// The key that signs cache entries, or why there is none (the same answer for the whole
/// process).
pub(crate) fn cache_key() -> Result<&'static [u8; KEY_LEN], &'static str> {
    static KEY: OnceLock<Result<[u8; KEY_LEN], String>> = OnceLock::new();
    match KEY.get_or_init(keyring::find_or_create) {
        Ok(key) => Ok(key),
        Err(why) => Err(why.as_str()),
    }
}

/// The tag of `body` under `key`.
pub(crate) fn tag(key: &[u8; KEY_LEN], body: &[u8]) -> [u8; KEY_LEN] {
    *blake3::keyed_hash(key, body).as_bytes()
}

/// Whether `tag` is the tag of `body` under `key` (compared in constant time).
pub(crate) fn verify(key: &[u8; KEY_LEN], body: &[u8], tag: &[u8]) -> bool {
    let Ok(tag) = <[u8; KEY_LEN]>::try_from(tag) else {
        return false;
    };
    blake3::keyed_hash(key, body) == blake3::Hash::from_bytes(tag)
}

#[cfg(target_os = "linux")]
mod keyring {
    use super::{DESCRIPTION, KEY_LEN};

    // From <linux/keyctl.h>.
    const KEY_SPEC_USER_KEYRING: libc::c_long = -4;
    const KEYCTL_SETPERM: libc::c_long = 5;
    const KEYCTL_SEARCH: libc::c_long = 10;
    const KEYCTL_READ: libc::c_long = 11;
    /// The possessor may do anything; other processes of the same user may view, read and
    /// find the key (so that every wexe of this user shares it); nobody else anything.
    const PERM: libc::c_ulong = 0x3f00_0000 | 0x0001_0000 | 0x0002_0000 | 0x0008_0000;

    fn search() -> Option<libc::c_long> {
        // SAFETY: keyctl(KEYCTL_SEARCH, keyring, type, description, dest_keyring) with valid
        // NUL-terminated strings; it only returns a serial number or -1.
        let id = unsafe {
            libc::syscall(
                libc::SYS_keyctl,
                KEYCTL_SEARCH,
                KEY_SPEC_USER_KEYRING,
                c"user".as_ptr(),
                DESCRIPTION.as_ptr(),
                0 as libc::c_long,
            )
        };
        (id > 0).then_some(id)
    }

    fn read(id: libc::c_long) -> Result<[u8; KEY_LEN], String> {
        let mut key = [0u8; KEY_LEN];
        // SAFETY: keyctl(KEYCTL_READ, key, buffer, length) writes at most `length` bytes.
        let n = unsafe {
            libc::syscall(
                libc::SYS_keyctl,
                KEYCTL_READ,
                id,
                key.as_mut_ptr(),
                KEY_LEN as libc::c_long,
            )
        };
        if n != KEY_LEN as libc::c_long {
            return Err(format!(
                "the kernel keyring's {} is not a key of {KEY_LEN} bytes ({})",
                DESCRIPTION.to_string_lossy(),
                std::io::Error::last_os_error()
            ));
        }
        Ok(key)
    }

    fn create() -> Result<(), String> {
        let mut key = [0u8; KEY_LEN];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut key))
            .map_err(|e| format!("cannot read /dev/urandom: {e}"))?;
        // SAFETY: add_key(type, description, payload, length, keyring) with valid strings and
        // a payload of `length` bytes.
        let id = unsafe {
            libc::syscall(
                libc::SYS_add_key,
                c"user".as_ptr(),
                DESCRIPTION.as_ptr(),
                key.as_ptr(),
                KEY_LEN as libc::size_t,
                KEY_SPEC_USER_KEYRING,
            )
        };
        if id < 0 {
            return Err(format!(
                "the kernel keyring is not available ({})",
                std::io::Error::last_os_error()
            ));
        }
        // SAFETY: keyctl(KEYCTL_SETPERM, key, permissions).
        unsafe { libc::syscall(libc::SYS_keyctl, KEYCTL_SETPERM, id, PERM) };
        Ok(())
    }

    /// The user's key, made now if it does not exist yet.
    pub(super) fn find_or_create() -> Result<[u8; KEY_LEN], String> {
        if let Some(id) = search() {
            return read(id);
        }
        create()?;
        // Read it back: when two processes create it at once, the last one's key stays, and
        // both then use that one.
        let id = search().ok_or_else(|| {
            format!(
                "the kernel keyring does not find the key just added ({})",
                std::io::Error::last_os_error()
            )
        })?;
        read(id)
    }
}

#[cfg(not(target_os = "linux"))]
mod keyring {
    use super::KEY_LEN;

    pub(super) fn find_or_create() -> Result<[u8; KEY_LEN], String> {
        Err("the compile cache needs the Linux kernel keyring to keep its key".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_verify_only_their_body_under_their_key() {
        let key = [7u8; KEY_LEN];
        let t = tag(&key, b"entry");
        assert!(verify(&key, b"entry", &t));
        assert!(!verify(&key, b"entrx", &t));
        assert!(!verify(&[8u8; KEY_LEN], b"entry", &t));
        assert!(!verify(&key, b"entry", &t[..31]));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_key_is_the_same_for_every_process_of_the_user() {
        // Where the keyring works (it does on the machines the tests run on), a second lookup
        // finds the key the first one made.
        let first = cache_key().expect("the kernel keyring").to_owned();
        assert_eq!(keyring::find_or_create().unwrap(), first);
    }
}
