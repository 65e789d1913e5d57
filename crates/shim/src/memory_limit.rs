//! The container's memory limit, applied to the program's linear memories and tables.
//!
//! containerd puts the container in a cgroup whose memory limit the kernel enforces by killing
//! the process when it is exceeded. A wasm program should see the limit the way the
//! WebAssembly spec lets a host refuse memory: `memory.grow` returning -1 (`malloc` returning
//! NULL). So the store's limiter gets the cgroup's limit, less what the process already uses
//! (the runtime, the compiled code) and a margin for what the host allocates while the program
//! runs.
//!
//! The limit is read inside the container: cgroup v2 (`/sys/fs/cgroup/memory.max`) or v1
//! (`/sys/fs/cgroup/memory/memory.limit_in_bytes`), as the container's `/sys/fs/cgroup` mount
//! shows them (its own cgroup: Kubernetes' CRI mounts it read-only; plain `ctr run` does not).
//! Without that mount the kernel still enforces the limit, by killing the program; with no
//! limit, the program is limited only by wexe's own bounds.

use std::path::Path;

/// Room left for the host's own allocations while the program runs (WASI buffers, the
/// interpreter's stacks, code translated on first call).
const HOST_MARGIN: u64 = 8 << 20;

/// A cgroup's memory files: the limit and the current usage.
struct CgroupFiles {
    limit: &'static str,
    usage: &'static str,
}

const CGROUP_V2: CgroupFiles = CgroupFiles {
    limit: "/sys/fs/cgroup/memory.max",
    usage: "/sys/fs/cgroup/memory.current",
};

const CGROUP_V1: CgroupFiles = CgroupFiles {
    limit: "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    usage: "/sys/fs/cgroup/memory/memory.usage_in_bytes",
};

/// cgroup v1 writes "no limit" as the largest multiple of the page size below 2^63.
const V1_UNLIMITED: u64 = 1 << 62;

/// The container's memory limit, when it has one.
pub struct MemoryLimit {
    /// The cgroup's limit in bytes.
    pub limit: u64,
    /// What the cgroup used when the limit was read.
    pub usage: u64,
}

impl MemoryLimit {
    /// Reads the limit of the cgroup this process is in, if it has one.
    pub fn of_this_container() -> Option<MemoryLimit> {
        [CGROUP_V2, CGROUP_V1].iter().find_map(|files| {
            let limit = parse_limit(&read(files.limit)?)?;
            let usage = read(files.usage)
                .and_then(|u| u.trim().parse().ok())
                .unwrap_or(0);
            Some(MemoryLimit { limit, usage })
        })
    }

    /// The bytes the program's memories and tables may take together.
    pub fn for_wasm(&self) -> u64 {
        self.limit.saturating_sub(self.usage + HOST_MARGIN)
    }
}

fn read(path: &str) -> Option<String> {
    std::fs::read_to_string(Path::new(path)).ok()
}

/// A limit file's value: `None` for "max" (v2) or v1's "unlimited".
fn parse_limit(text: &str) -> Option<u64> {
    let n: u64 = text.trim().parse().ok()?;
    (n < V1_UNLIMITED).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_read_and_no_limit_is_none() {
        assert_eq!(parse_limit("67108864\n"), Some(64 << 20));
        assert_eq!(parse_limit("max\n"), None);
        assert_eq!(parse_limit("9223372036854771712\n"), None);
        let l = MemoryLimit {
            limit: 64 << 20,
            usage: 20 << 20,
        };
        assert_eq!(l.for_wasm(), (64 - 20 - 8) << 20);
        let tight = MemoryLimit {
            limit: 4 << 20,
            usage: 20 << 20,
        };
        assert_eq!(tight.for_wasm(), 0);
    }
}
