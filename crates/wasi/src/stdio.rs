//! Standard input, output and error: inherited from the host, fed from bytes, captured in
//! memory, or closed to nothing.

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Where the guest's standard input comes from.
#[derive(Debug)]
pub enum Input {
    /// Reads see end of file at once.
    Null,
    /// The host process's standard input.
    Inherit,
    /// The given bytes, then end of file.
    Bytes(io::Cursor<Vec<u8>>),
}

/// Which host stream an inherited output goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostStream {
    Stdout,
    Stderr,
}

/// Where the guest's standard output or error goes.
#[derive(Debug)]
pub enum Output {
    /// Writes succeed and go nowhere.
    Null,
    /// The host process's stream.
    Inherit(HostStream),
    /// A buffer the host can read: see [`MemoryOutput`].
    Memory(MemoryOutput),
}

/// An output captured in memory. Clones share one buffer: keep one, hand one to the builder,
/// and read what the guest wrote with [`MemoryOutput::contents`].
#[derive(Clone)]
pub struct MemoryOutput {
    buffer: Arc<Mutex<Vec<u8>>>,
    /// The most bytes the buffer takes; a write past it fails with `EFBIG`.
    limit: usize,
    /// Whether a write was refused for going past `limit`.
    refused: Arc<AtomicBool>,
    /// Called when a write is refused.
    on_refused: Option<Arc<dyn Fn() + Send + Sync>>,
}

impl std::fmt::Debug for MemoryOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryOutput")
            .field("len", &self.lock().len())
            .field("limit", &self.limit)
            .field("refused", &self.refused())
            .finish()
    }
}

impl Default for MemoryOutput {
    fn default() -> Self {
        Self::with_limit(usize::MAX)
    }
}

impl MemoryOutput {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty buffer that holds at most `limit` bytes: a write that would go past it writes
    /// nothing and fails with `EFBIG` (as a file past its size limit), so a guest that floods
    /// its output cannot make the host hold more than `limit`.
    pub fn with_limit(limit: usize) -> Self {
        MemoryOutput {
            buffer: Arc::default(),
            limit,
            refused: Arc::default(),
            on_refused: None,
        }
    }

    /// Calls `hook` whenever a write is refused for going past the limit (for example to stop
    /// a guest that keeps writing).
    pub fn on_refused(mut self, hook: impl Fn() + Send + Sync + 'static) -> Self {
        self.on_refused = Some(Arc::new(hook));
        self
    }

    /// A copy of everything written so far.
    pub fn contents(&self) -> Vec<u8> {
        self.lock().clone()
    }

    /// Whether a write was refused because it would have gone past the limit.
    pub fn refused(&self) -> bool {
        self.refused.load(Ordering::Relaxed)
    }

    /// Everything written so far, leaving the buffer empty.
    pub fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<u8>> {
        self.buffer.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Everything written so far, as text (invalid UTF-8 replaced).
    pub fn contents_string(&self) -> String {
        String::from_utf8_lossy(&self.contents()).into_owned()
    }

    fn append(&self, data: &[u8]) -> io::Result<()> {
        let mut buffer = self.lock();
        if data.len() > self.limit.saturating_sub(buffer.len()) {
            self.refused.store(true, Ordering::Relaxed);
            drop(buffer);
            if let Some(hook) = &self.on_refused {
                hook();
            }
            return Err(io::Error::from(rustix::io::Errno::FBIG));
        }
        buffer.extend_from_slice(data);
        Ok(())
    }
}

impl Input {
    /// Reads up to `buf.len()` bytes.
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Input::Null => Ok(0),
            // Unbuffered, straight from fd 0: what `poll` sees is what a read gets.
            Input::Inherit => {
                rustix::io::read(rustix::stdio::stdin(), buf).map_err(io::Error::from)
            }
            Input::Bytes(c) => c.read(buf),
        }
    }

    /// Bytes that a read would return without blocking, where known.
    pub fn available(&self) -> Option<u64> {
        match self {
            Input::Null => Some(0),
            Input::Inherit => None,
            Input::Bytes(c) => {
                Some(c.get_ref().len() as u64 - c.position().min(c.get_ref().len() as u64))
            }
        }
    }

    /// The host fd behind this input, if it is inherited.
    pub fn host_fd(&self) -> Option<i32> {
        matches!(self, Input::Inherit).then_some(0)
    }
}

impl Output {
    /// Writes all of `data`; returns its length.
    pub fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        match self {
            Output::Null => {}
            Output::Inherit(HostStream::Stdout) => {
                let mut out = io::stdout().lock();
                out.write_all(data)?;
                out.flush()?;
            }
            Output::Inherit(HostStream::Stderr) => io::stderr().lock().write_all(data)?,
            Output::Memory(m) => m.append(data)?,
        }
        Ok(data.len())
    }

    /// The host fd behind this output, if it is inherited.
    pub fn host_fd(&self) -> Option<i32> {
        match self {
            Output::Inherit(HostStream::Stdout) => Some(1),
            Output::Inherit(HostStream::Stderr) => Some(2),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_output_is_shared_between_clones() {
        let keep = MemoryOutput::new();
        let mut out = Output::Memory(keep.clone());
        assert_eq!(out.write(b"hello ").unwrap(), 6);
        out.write(b"world").unwrap();
        assert_eq!(keep.contents_string(), "hello world");
    }

    #[test]
    fn a_limited_memory_output_refuses_writes_past_its_limit() {
        let keep = MemoryOutput::with_limit(8);
        let mut out = Output::Memory(keep.clone());
        out.write(b"12345").unwrap();
        let err = out.write(b"6789").unwrap_err();
        assert_eq!(
            err.raw_os_error(),
            Some(rustix::io::Errno::FBIG.raw_os_error())
        );
        out.write(b"678").unwrap();
        assert!(out.write(b"9").is_err());
        assert_eq!(keep.take(), b"12345678");
        assert!(keep.contents().is_empty());
    }

    #[test]
    fn bytes_input_reads_then_ends() {
        let mut input = Input::Bytes(io::Cursor::new(b"abc".to_vec()));
        assert_eq!(input.available(), Some(3));
        let mut buf = [0u8; 2];
        assert_eq!(input.read(&mut buf).unwrap(), 2);
        assert_eq!(&buf, b"ab");
        assert_eq!(input.available(), Some(1));
        assert_eq!(input.read(&mut buf).unwrap(), 1);
        assert_eq!(input.read(&mut buf).unwrap(), 0);
        assert_eq!(Input::Null.read(&mut buf).unwrap(), 0);
    }
}
