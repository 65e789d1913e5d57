//! The descriptor table: what each guest fd refers to, with its rights and flags.

use std::collections::BTreeMap;
use std::fs::File;
use std::net::{TcpListener, TcpStream};

use cap_std::fs::Dir;

use crate::errno::{Errno, WasiResult};
use crate::stdio::{Input, Output};

/// The most descriptors a guest may hold open at once.
pub const MAX_FDS: usize = 1 << 16;

/// What an fd refers to.
#[derive(Debug)]
pub enum Handle {
    /// A regular file or another non-directory opened by path.
    File(File),
    /// A directory; paths resolve beneath it and never outside.
    Dir(Dir),
    /// Standard input.
    Stdin(Input),
    /// Standard output or error.
    Stdout(Output),
    /// A listening TCP socket.
    Listener(TcpListener),
    /// A connected TCP socket.
    Stream(TcpStream),
}

/// One slot of the table.
#[derive(Debug)]
pub struct Entry {
    pub handle: Handle,
    /// Rights on this fd.
    pub base: u64,
    /// Rights that fds opened through this one may have.
    pub inheriting: u64,
    /// `fdflags` as the guest last set them.
    pub flags: u16,
    /// For a preopened directory, the name the guest sees.
    pub preopen: Option<String>,
    /// A directory beneath a read-only preopen: nothing opened through it may write.
    pub read_only: bool,
}

impl Entry {
    /// A new entry with no flags and no preopen name.
    pub fn new(handle: Handle, base: u64, inheriting: u64) -> Entry {
        Entry {
            handle,
            base,
            inheriting,
            flags: 0,
            preopen: None,
            read_only: false,
        }
    }

    /// `NotCapable` unless this fd has every right in `rights`.
    pub fn need(&self, rights: u64) -> WasiResult<()> {
        if self.base & rights == rights {
            Ok(())
        } else {
            Err(Errno::NotCapable)
        }
    }

    /// The directory behind the fd, with the given rights (`NotDir` for other fds).
    pub fn dir(&self, rights: u64) -> WasiResult<&Dir> {
        match &self.handle {
            Handle::Dir(d) => {
                self.need(rights)?;
                Ok(d)
            }
            _ => Err(Errno::NotDir),
        }
    }
}

/// The fd table of one guest.
#[derive(Debug, Default)]
pub struct FdTable {
    map: BTreeMap<u32, Entry>,
}

impl FdTable {
    /// The entry at `fd`, or `Badf`.
    pub fn get(&self, fd: u32) -> WasiResult<&Entry> {
        self.map.get(&fd).ok_or(Errno::Badf)
    }

    /// The entry at `fd`, mutably, or `Badf`.
    pub fn get_mut(&mut self, fd: u32) -> WasiResult<&mut Entry> {
        self.map.get_mut(&fd).ok_or(Errno::Badf)
    }

    /// Places `entry` at the lowest free fd (as POSIX `open` does).
    pub fn push(&mut self, entry: Entry) -> WasiResult<u32> {
        if self.map.len() >= MAX_FDS {
            return Err(Errno::Mfile);
        }
        let mut fd = 0u32;
        for &used in self.map.keys() {
            if used != fd {
                break;
            }
            fd += 1;
        }
        self.map.insert(fd, entry);
        Ok(fd)
    }

    /// Places `entry` at `fd`, replacing (and closing) what was there.
    pub fn insert_at(&mut self, fd: u32, entry: Entry) {
        self.map.insert(fd, entry);
    }

    /// Removes the entry at `fd`, closing it when dropped.
    pub fn remove(&mut self, fd: u32) -> WasiResult<Entry> {
        self.map.remove(&fd).ok_or(Errno::Badf)
    }

    /// Moves `from` to `to`, closing what `to` held. Both must be open.
    pub fn renumber(&mut self, from: u32, to: u32) -> WasiResult<()> {
        if !self.map.contains_key(&to) {
            return Err(Errno::Badf);
        }
        let entry = self.remove(from)?;
        self.map.insert(to, entry);
        Ok(())
    }

    /// How many fds are open.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether no fd is open.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::rights;

    fn null_entry(base: u64) -> Entry {
        Entry::new(Handle::Stdout(Output::Null), base, 0)
    }

    #[test]
    fn push_takes_lowest_free_fd() {
        let mut t = FdTable::default();
        assert_eq!(t.push(null_entry(0)), Ok(0));
        assert_eq!(t.push(null_entry(0)), Ok(1));
        assert_eq!(t.push(null_entry(0)), Ok(2));
        t.remove(1).unwrap();
        assert_eq!(t.push(null_entry(0)), Ok(1));
        assert_eq!(t.push(null_entry(0)), Ok(3));
        assert_eq!(t.len(), 4);
    }

    #[test]
    fn missing_fds_are_badf() {
        let mut t = FdTable::default();
        assert_eq!(t.get(0).err(), Some(Errno::Badf));
        assert_eq!(t.remove(7).err(), Some(Errno::Badf));
        t.push(null_entry(0)).unwrap();
        assert_eq!(t.renumber(0, 5), Err(Errno::Badf));
        assert!(t.get(0).is_ok(), "a failed renumber leaves the source open");
    }

    #[test]
    fn renumber_replaces_target() {
        let mut t = FdTable::default();
        t.push(null_entry(rights::FD_READ)).unwrap();
        t.push(null_entry(rights::FD_WRITE)).unwrap();
        t.renumber(0, 1).unwrap();
        assert_eq!(t.get(0).err(), Some(Errno::Badf));
        assert_eq!(t.get(1).unwrap().base, rights::FD_READ);
    }

    #[test]
    fn rights_are_checked() {
        let e = null_entry(rights::FD_READ | rights::FD_SEEK);
        assert_eq!(e.need(rights::FD_READ), Ok(()));
        assert_eq!(e.need(rights::FD_READ | rights::FD_SEEK), Ok(()));
        assert_eq!(e.need(rights::FD_WRITE), Err(Errno::NotCapable));
        assert_eq!(e.dir(0).err(), Some(Errno::NotDir));
    }
}
