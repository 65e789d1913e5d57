//! `fd_readdir`: directory entries as `dirent` records followed by their names, resumable by
//! cookie (the index of the next entry). `.` and `..` come first, as on a native system.

use std::os::unix::ffi::OsStrExt;

use crate::errno::{Errno, WasiResult};
use crate::memory::GuestMemory;
use crate::preview1::WasiCtx;
use crate::table::Handle;
use crate::types::{filetype, rights, size};

/// One directory entry: inode, WASI file type, name.
struct DirEnt {
    ino: u64,
    kind: u8,
    name: Vec<u8>,
}

fn entries(dir: &cap_std::fs::Dir) -> WasiResult<Vec<DirEnt>> {
    use cap_fs_ext::FileTypeExt;
    use std::os::unix::fs::DirEntryExt;
    let self_ino = cap_fs_ext::MetadataExt::ino(&dir.dir_metadata()?);
    let mut out = vec![
        DirEnt {
            ino: self_ino,
            kind: filetype::DIRECTORY,
            name: b".".to_vec(),
        },
        DirEnt {
            ino: 0,
            kind: filetype::DIRECTORY,
            name: b"..".to_vec(),
        },
    ];
    for e in dir.entries()? {
        let e = e?;
        let t = e.file_type()?;
        let kind = if t.is_dir() {
            filetype::DIRECTORY
        } else if t.is_file() {
            filetype::REGULAR_FILE
        } else if t.is_symlink() {
            filetype::SYMBOLIC_LINK
        } else if t.is_char_device() {
            filetype::CHARACTER_DEVICE
        } else if t.is_block_device() {
            filetype::BLOCK_DEVICE
        } else if t.is_socket() {
            filetype::SOCKET_STREAM
        } else {
            filetype::UNKNOWN
        };
        out.push(DirEnt {
            ino: e.ino(),
            kind,
            name: e.file_name().as_bytes().to_vec(),
        });
    }
    Ok(out)
}

/// Serialises the entries from index `cookie` on; the result may be longer than the buffer, in
/// which case the guest gets a truncated last record and knows to call again.
fn encode(list: &[DirEnt], cookie: u64) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, e) in list
        .iter()
        .enumerate()
        .skip(usize::try_from(cookie).unwrap_or(usize::MAX))
    {
        let mut rec = [0u8; size::DIRENT as usize];
        rec[0..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
        rec[8..16].copy_from_slice(&e.ino.to_le_bytes());
        rec[16..20].copy_from_slice(&(e.name.len() as u32).to_le_bytes());
        rec[20] = e.kind;
        out.extend_from_slice(&rec);
        out.extend_from_slice(&e.name);
    }
    out
}

pub fn fd_readdir(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory,
    fd: u32,
    buf: u32,
    buf_len: u32,
    cookie: u64,
    bufused: u32,
) -> WasiResult<()> {
    mem.slice(buf, buf_len)?;
    mem.slice(bufused, 4)?;
    let entry = ctx.table.get(fd)?;
    entry.need(rights::FD_READDIR)?;
    let Handle::Dir(dir) = &entry.handle else {
        return Err(Errno::NotDir);
    };
    let bytes = encode(&entries(dir)?, cookie);
    let n = bytes.len().min(buf_len as usize);
    mem.write_bytes(buf, &bytes[..n])?;
    mem.write_u32(bufused, n as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_carry_next_cookie_and_name() {
        let list = vec![
            DirEnt {
                ino: 7,
                kind: filetype::DIRECTORY,
                name: b".".to_vec(),
            },
            DirEnt {
                ino: 9,
                kind: filetype::REGULAR_FILE,
                name: b"abc".to_vec(),
            },
        ];
        let all = encode(&list, 0);
        assert_eq!(all.len(), 24 + 1 + 24 + 3);
        assert_eq!(u64::from_le_bytes(all[0..8].try_into().unwrap()), 1);
        assert_eq!(u64::from_le_bytes(all[25..33].try_into().unwrap()), 2);
        assert_eq!(u64::from_le_bytes(all[33..41].try_into().unwrap()), 9);
        assert_eq!(all[45], filetype::REGULAR_FILE);
        assert_eq!(&all[49..], b"abc");
        assert_eq!(encode(&list, 1).len(), 27);
        assert!(encode(&list, 2).is_empty());
        assert!(encode(&list, u64::MAX).is_empty());
    }
}
