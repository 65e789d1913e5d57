//! Every preview1 body called directly with a Vec as guest memory: results and errnos.

mod common;

use std::time::{Duration, Instant};

use common::*;
use wexe_wasi::memory::GuestMemory;
use wexe_wasi::preview1 as p;
use wexe_wasi::types::{Abi, clockid, eventtype, fdflags, filetype, fstflags, oflags, rights};
use wexe_wasi::{Errno, WasiCtxBuilder};

const RW: u64 = rights::FD_READ
    | rights::FD_WRITE
    | rights::FD_SEEK
    | rights::FD_TELL
    | rights::FD_FILESTAT_GET
    | rights::FD_FILESTAT_SET_SIZE
    | rights::FD_FILESTAT_SET_TIMES
    | rights::FD_ALLOCATE
    | rights::FD_ADVISE
    | rights::FD_SYNC
    | rights::FD_DATASYNC
    | rights::FD_FDSTAT_SET_FLAGS
    | rights::POLL_FD_READWRITE;

#[test]
fn args_and_environ() {
    let mut ctx = WasiCtxBuilder::new()
        .args(["prog", "a b", ""])
        .env("X", "1")
        .env("EMPTY", "")
        .build()
        .unwrap();
    let mut buf = memory();
    let mut m = GuestMemory::new(&mut buf);
    p::args_sizes_get(&mut ctx, &mut m, OUT, OUT + 4).unwrap();
    assert_eq!(m.read_u32(OUT), Ok(3));
    assert_eq!(m.read_u32(OUT + 4), Ok(5 + 4 + 1));
    p::args_get(&mut ctx, &mut m, PATH, BUF).unwrap();
    assert_eq!(m.read_u32(PATH), Ok(BUF));
    assert_eq!(m.read_u32(PATH + 4), Ok(BUF + 5));
    assert_eq!(m.read_u32(PATH + 8), Ok(BUF + 9));
    assert_eq!(m.slice(BUF, 10).unwrap(), b"prog\0a b\0\0");
    p::environ_sizes_get(&mut ctx, &mut m, OUT, OUT + 4).unwrap();
    assert_eq!(m.read_u32(OUT), Ok(2));
    assert_eq!(m.read_u32(OUT + 4), Ok(4 + 7));
    p::environ_get(&mut ctx, &mut m, PATH, BUF).unwrap();
    assert_eq!(m.slice(BUF, 11).unwrap(), b"X=1\0EMPTY=\0");
    // wild pointers
    assert_eq!(
        p::args_get(&mut ctx, &mut m, u32::MAX - 2, BUF),
        Err(Errno::Fault)
    );
    assert_eq!(
        p::args_get(&mut ctx, &mut m, PATH, MEM_SIZE as u32 - 3),
        Err(Errno::Fault)
    );
    assert_eq!(
        p::environ_sizes_get(&mut ctx, &mut m, OUT, MEM_SIZE as u32),
        Err(Errno::Fault)
    );
}

#[test]
fn stdio_write_and_read() {
    let mut b = WasiCtxBuilder::new();
    let out = b.capture_stdout();
    let err = b.capture_stderr();
    b.stdin_bytes("line one\nline two\n");
    let mut ctx = b.build().unwrap();
    let mut buf = memory();
    let mut m = GuestMemory::new(&mut buf);
    // two iovecs
    m.write_bytes(BUF, b"hello, world").unwrap();
    m.write_u32(IOV, BUF).unwrap();
    m.write_u32(IOV + 4, 5).unwrap();
    m.write_u32(IOV + 8, BUF + 5).unwrap();
    m.write_u32(IOV + 12, 7).unwrap();
    p::fd_write(&mut ctx, &mut m, 1, IOV, 2, OUT).unwrap();
    assert_eq!(m.read_u32(OUT), Ok(12));
    assert_eq!(out.contents_string(), "hello, world");
    write(&mut ctx, &mut m, 2, "oops").unwrap();
    assert_eq!(err.contents_string(), "oops");
    assert_eq!(read(&mut ctx, &mut m, 0, 5).unwrap(), b"line ");
    assert_eq!(read(&mut ctx, &mut m, 0, 100).unwrap(), b"one\nline two\n");
    assert_eq!(read(&mut ctx, &mut m, 0, 100).unwrap(), b"");
    // wrong directions
    assert_eq!(write(&mut ctx, &mut m, 0, "x"), Err(Errno::Badf));
    assert_eq!(read(&mut ctx, &mut m, 1, 1), Err(Errno::Badf));
    // stdio is not seekable
    assert_eq!(
        p::fd_seek(&mut ctx, &mut m, Abi::Preview1, 1, 0, 1, OUT),
        Err(Errno::NotCapable)
    );
    // fdstat: memory streams are not ttys
    p::fd_fdstat_get(&mut ctx, &mut m, 1, OUT).unwrap();
    assert_eq!(m.read_u8(OUT), Ok(filetype::UNKNOWN));
    assert_ne!(m.read_u64(OUT + 8).unwrap() & rights::FD_WRITE, 0);
}

#[test]
fn clocks_random_sched_raise() {
    let mut ctx = WasiCtxBuilder::new().build().unwrap();
    let mut buf = memory();
    let mut m = GuestMemory::new(&mut buf);
    p::clock_time_get(&mut ctx, &mut m, clockid::MONOTONIC, 1, OUT).unwrap();
    let t0 = m.read_u64(OUT).unwrap();
    std::thread::sleep(Duration::from_millis(5));
    p::clock_time_get(&mut ctx, &mut m, clockid::MONOTONIC, 1, OUT).unwrap();
    assert!(m.read_u64(OUT).unwrap() >= t0 + 5_000_000);
    p::clock_time_get(&mut ctx, &mut m, clockid::REALTIME, 1, OUT).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let real = m.read_u64(OUT).unwrap();
    assert!(real.abs_diff(now.as_nanos() as u64) < 1_000_000_000);
    for id in 0..4 {
        p::clock_res_get(&mut ctx, &mut m, id, OUT).unwrap();
        let r = m.read_u64(OUT).unwrap();
        assert!(
            (1..=1_000_000_000).contains(&r),
            "clock {id} resolution {r}"
        );
        p::clock_time_get(&mut ctx, &mut m, id, 0, OUT).unwrap();
    }
    assert_eq!(
        p::clock_res_get(&mut ctx, &mut m, 4, OUT),
        Err(Errno::Inval)
    );
    assert_eq!(
        p::clock_time_get(&mut ctx, &mut m, 99, 0, OUT),
        Err(Errno::Inval)
    );
    assert_eq!(
        p::clock_time_get(&mut ctx, &mut m, 0, 0, MEM_SIZE as u32 - 4),
        Err(Errno::Fault)
    );

    p::random_get(&mut ctx, &mut m, BUF, 64).unwrap();
    let a = m.slice(BUF, 64).unwrap().to_vec();
    p::random_get(&mut ctx, &mut m, BUF, 64).unwrap();
    assert_ne!(a, m.slice(BUF, 64).unwrap());
    assert_ne!(a, vec![0u8; 64]);
    assert_eq!(
        p::random_get(&mut ctx, &mut m, MEM_SIZE as u32 - 8, 9),
        Err(Errno::Fault)
    );
    p::random_get(&mut ctx, &mut m, MEM_SIZE as u32, 0).unwrap();

    assert_eq!(p::sched_yield(&mut ctx, &mut m), Ok(()));
    assert_eq!(p::proc_raise(&mut ctx, &mut m, 0), Ok(()));
    assert_eq!(p::proc_raise(&mut ctx, &mut m, 6), Err(Errno::NoSys));
    assert_eq!(p::proc_raise(&mut ctx, &mut m, 200), Err(Errno::Inval));
}

fn sandbox() -> (tempfile::TempDir, wexe_wasi::WasiCtx) {
    let tmp = tempfile::tempdir().unwrap();
    let ctx = WasiCtxBuilder::new()
        .preopen_dir(tmp.path(), "/sandbox")
        .build()
        .unwrap();
    (tmp, ctx)
}

#[test]
fn file_lifecycle() {
    let (tmp, mut ctx) = sandbox();
    let mut buf = memory();
    let m = &mut GuestMemory::new(&mut buf);
    let fd = open(&mut ctx, m, 3, "f.txt", oflags::CREAT | oflags::EXCL, RW, 0).unwrap();
    assert_eq!(fd, 4);
    assert_eq!(
        open(&mut ctx, m, 3, "f.txt", oflags::CREAT | oflags::EXCL, RW, 0),
        Err(Errno::Exist)
    );
    assert_eq!(write(&mut ctx, m, fd, "0123456789").unwrap(), 10);
    assert_eq!(
        std::fs::read(tmp.path().join("f.txt")).unwrap(),
        b"0123456789"
    );
    p::fd_tell(&mut ctx, m, fd, OUT).unwrap();
    assert_eq!(m.read_u64(OUT), Ok(10));
    p::fd_seek(&mut ctx, m, Abi::Preview1, fd, 2, 0, OUT).unwrap();
    assert_eq!(m.read_u64(OUT), Ok(2));
    assert_eq!(read(&mut ctx, m, fd, 3).unwrap(), b"234");
    p::fd_seek(&mut ctx, m, Abi::Preview1, fd, -1, 2, OUT).unwrap();
    assert_eq!(m.read_u64(OUT), Ok(9));
    p::fd_seek(&mut ctx, m, Abi::Preview1, fd, -2, 1, OUT).unwrap();
    assert_eq!(m.read_u64(OUT), Ok(7));
    assert_eq!(
        p::fd_seek(&mut ctx, m, Abi::Preview1, fd, -100, 1, OUT),
        Err(Errno::Inval)
    );
    assert_eq!(
        p::fd_seek(&mut ctx, m, Abi::Preview1, fd, 0, 3, OUT),
        Err(Errno::Inval)
    );
    // snapshot 0 numbers whence differently: 2 is SET there
    p::fd_seek(&mut ctx, m, Abi::Unstable, fd, 1, 2, OUT).unwrap();
    assert_eq!(m.read_u64(OUT), Ok(1));
    // pread/pwrite leave the position alone
    let v = iov(m, BUF, 4);
    p::fd_pread(&mut ctx, m, fd, v, 1, 6, OUT).unwrap();
    assert_eq!(m.read_u32(OUT), Ok(4));
    assert_eq!(m.slice(BUF, 4).unwrap(), b"6789");
    m.write_bytes(BUF, b"AB").unwrap();
    let v = iov(m, BUF, 2);
    p::fd_pwrite(&mut ctx, m, fd, v, 1, 12, OUT).unwrap();
    assert_eq!(m.read_u32(OUT), Ok(2));
    p::fd_tell(&mut ctx, m, fd, OUT).unwrap();
    assert_eq!(m.read_u64(OUT), Ok(1));
    assert_eq!(
        std::fs::read(tmp.path().join("f.txt")).unwrap(),
        b"0123456789\0\0AB"
    );
    // filestat, set_size, allocate
    p::fd_filestat_get(&mut ctx, m, Abi::Preview1, fd, OUT).unwrap();
    assert_eq!(m.read_u8(OUT + 16), Ok(filetype::REGULAR_FILE));
    assert_eq!(m.read_u64(OUT + 24), Ok(1));
    assert_eq!(m.read_u64(OUT + 32), Ok(14));
    p::fd_filestat_get(&mut ctx, m, Abi::Unstable, fd, OUT).unwrap();
    assert_eq!(m.read_u32(OUT + 20), Ok(1));
    assert_eq!(m.read_u64(OUT + 24), Ok(14));
    p::fd_filestat_set_size(&mut ctx, m, fd, 4).unwrap();
    assert_eq!(std::fs::read(tmp.path().join("f.txt")).unwrap(), b"0123");
    p::fd_allocate(&mut ctx, m, fd, 0, 100).unwrap();
    assert_eq!(
        std::fs::metadata(tmp.path().join("f.txt")).unwrap().len(),
        100
    );
    p::fd_allocate(&mut ctx, m, fd, 0, 10).unwrap();
    assert_eq!(
        std::fs::metadata(tmp.path().join("f.txt")).unwrap().len(),
        100
    );
    p::fd_advise(&mut ctx, m, fd, 0, 0, 1).unwrap();
    assert_eq!(p::fd_advise(&mut ctx, m, fd, 0, 0, 9), Err(Errno::Inval));
    p::fd_sync(&mut ctx, m, fd).unwrap();
    p::fd_datasync(&mut ctx, m, fd).unwrap();
    // times
    p::fd_filestat_set_times(
        &mut ctx,
        m,
        fd,
        1_000_000_000 * 1000,
        5_000_000_123,
        (fstflags::ATIM | fstflags::MTIM).into(),
    )
    .unwrap();
    p::fd_filestat_get(&mut ctx, m, Abi::Preview1, fd, OUT).unwrap();
    assert_eq!(m.read_u64(OUT + 40), Ok(1_000_000_000 * 1000));
    assert_eq!(m.read_u64(OUT + 48), Ok(5_000_000_123));
    assert_eq!(
        p::fd_filestat_set_times(
            &mut ctx,
            m,
            fd,
            0,
            0,
            (fstflags::ATIM | fstflags::ATIM_NOW).into()
        ),
        Err(Errno::Inval)
    );
    p::fd_filestat_set_times(&mut ctx, m, fd, 0, 0, fstflags::MTIM_NOW.into()).unwrap();
    p::fd_filestat_get(&mut ctx, m, Abi::Preview1, fd, OUT).unwrap();
    assert!(m.read_u64(OUT + 48).unwrap() > 1_600_000_000 * 1_000_000_000);
    assert_eq!(
        m.read_u64(OUT + 40),
        Ok(1_000_000_000 * 1000),
        "atime omitted"
    );
    // close
    p::fd_close(&mut ctx, m, fd).unwrap();
    assert_eq!(read(&mut ctx, m, fd, 1), Err(Errno::Badf));
    assert_eq!(p::fd_close(&mut ctx, m, fd), Err(Errno::Badf));
    // truncate on open, append flag
    let fd = open(&mut ctx, m, 3, "f.txt", oflags::TRUNC, RW, fdflags::APPEND).unwrap();
    write(&mut ctx, m, fd, "ab").unwrap();
    p::fd_seek(&mut ctx, m, Abi::Preview1, fd, 0, 0, OUT).unwrap();
    write(&mut ctx, m, fd, "cd").unwrap();
    assert_eq!(std::fs::read(tmp.path().join("f.txt")).unwrap(), b"abcd");
    p::fd_fdstat_get(&mut ctx, m, fd, OUT).unwrap();
    assert_eq!(m.read_u16(OUT + 2), Ok(fdflags::APPEND));
    p::fd_fdstat_set_flags(&mut ctx, m, fd, 0).unwrap();
    p::fd_seek(&mut ctx, m, Abi::Preview1, fd, 0, 0, OUT).unwrap();
    write(&mut ctx, m, fd, "X").unwrap();
    assert_eq!(std::fs::read(tmp.path().join("f.txt")).unwrap(), b"Xbcd");
    assert_eq!(
        p::fd_fdstat_set_flags(&mut ctx, m, fd, fdflags::SYNC.into()),
        Err(Errno::NotSup)
    );
    assert_eq!(
        p::fd_fdstat_set_flags(&mut ctx, m, fd, 1 << 8),
        Err(Errno::Inval)
    );
}

#[test]
fn rights_can_only_shrink() {
    let (_tmp, mut ctx) = sandbox();
    let mut buf = memory();
    let m = &mut GuestMemory::new(&mut buf);
    let fd = open(&mut ctx, m, 3, "r.txt", oflags::CREAT, RW, 0).unwrap();
    p::fd_fdstat_get(&mut ctx, m, fd, OUT).unwrap();
    assert_eq!(m.read_u64(OUT + 8), Ok(RW));
    p::fd_fdstat_set_rights(&mut ctx, m, fd, rights::FD_READ, 0).unwrap();
    assert_eq!(write(&mut ctx, m, fd, "x"), Err(Errno::Badf));
    assert_eq!(read(&mut ctx, m, fd, 1), Ok(vec![]));
    assert_eq!(
        p::fd_fdstat_set_rights(&mut ctx, m, fd, RW, 0),
        Err(Errno::NotCapable)
    );
    assert_eq!(p::fd_tell(&mut ctx, m, fd, OUT), Err(Errno::NotCapable));
    // a directory's inheriting rights bound what files opened through it get
    p::fd_fdstat_set_rights(&mut ctx, m, 3, rights::DIRECTORY, rights::FD_READ).unwrap();
    let ro = open(
        &mut ctx,
        m,
        3,
        "r.txt",
        0,
        rights::FD_READ | rights::FD_SEEK,
        0,
    )
    .unwrap();
    p::fd_fdstat_get(&mut ctx, m, ro, OUT).unwrap();
    assert_eq!(m.read_u64(OUT + 8), Ok(rights::FD_READ));
    assert_eq!(
        open(&mut ctx, m, 3, "r.txt", 0, rights::FD_WRITE, 0),
        Err(Errno::NotCapable)
    );
    p::fd_fdstat_set_rights(&mut ctx, m, 3, 0, 0).unwrap();
    assert_eq!(
        open(&mut ctx, m, 3, "r.txt", 0, rights::FD_READ, 0),
        Err(Errno::NotCapable)
    );
}

#[test]
fn directories_links_and_names() {
    let (tmp, mut ctx) = sandbox();
    let mut buf = memory();
    let m = &mut GuestMemory::new(&mut buf);
    let (ptr, len) = put(m, PATH, "sub");
    p::path_create_directory(&mut ctx, m, 3, ptr, len).unwrap();
    assert_eq!(
        p::path_create_directory(&mut ctx, m, 3, ptr, len),
        Err(Errno::Exist)
    );
    assert!(tmp.path().join("sub").is_dir());
    assert_eq!(
        stat(&mut ctx, m, 3, "sub", true).unwrap().0,
        filetype::DIRECTORY
    );
    let fd = open(&mut ctx, m, 3, "sub/a", oflags::CREAT, RW, 0).unwrap();
    write(&mut ctx, m, fd, "data").unwrap();
    // hard link
    let (op, ol) = put(m, PATH, "sub/a");
    let (np, nl) = put(m, PATH2, "b");
    p::path_link(&mut ctx, m, 3, 0, op, ol, 3, np, nl).unwrap();
    assert_eq!(
        stat(&mut ctx, m, 3, "b", false).unwrap(),
        (filetype::REGULAR_FILE, 2, 4)
    );
    // rename
    let (op, ol) = put(m, PATH, "b");
    let (np, nl) = put(m, PATH2, "sub/c");
    p::path_rename(&mut ctx, m, 3, op, ol, 3, np, nl).unwrap();
    assert!(!tmp.path().join("b").exists());
    assert_eq!(std::fs::read(tmp.path().join("sub/c")).unwrap(), b"data");
    // symlink and readlink
    let (op, ol) = put(m, PATH, "sub/a");
    let (np, nl) = put(m, PATH2, "link");
    p::path_symlink(&mut ctx, m, op, ol, 3, np, nl).unwrap();
    assert_eq!(
        stat(&mut ctx, m, 3, "link", false).unwrap().0,
        filetype::SYMBOLIC_LINK
    );
    assert_eq!(
        stat(&mut ctx, m, 3, "link", true).unwrap().0,
        filetype::REGULAR_FILE
    );
    let (lp, ll) = put(m, PATH, "link");
    p::path_readlink(&mut ctx, m, 3, lp, ll, BUF, 64, OUT).unwrap();
    assert_eq!(m.read_u32(OUT), Ok(5));
    assert_eq!(m.slice(BUF, 5).unwrap(), b"sub/a");
    p::path_readlink(&mut ctx, m, 3, lp, ll, BUF, 3, OUT).unwrap();
    assert_eq!(m.read_u32(OUT), Ok(3), "truncated as readlink does");
    let (fp, fl) = put(m, PATH, "sub/a");
    assert_eq!(
        p::path_readlink(&mut ctx, m, 3, fp, fl, BUF, 64, OUT),
        Err(Errno::Inval)
    );
    // path times
    let (lp, ll) = put(m, PATH, "sub/c");
    p::path_filestat_set_times(
        &mut ctx,
        m,
        3,
        1,
        lp,
        ll,
        7_000_000_000,
        9_000_000_000,
        (fstflags::ATIM | fstflags::MTIM).into(),
    )
    .unwrap();
    let md = std::fs::metadata(tmp.path().join("sub/c")).unwrap();
    assert_eq!(
        md.modified().unwrap(),
        std::time::UNIX_EPOCH + Duration::from_secs(9)
    );
    // readdir
    let subfd = open(
        &mut ctx,
        m,
        3,
        "sub",
        oflags::DIRECTORY,
        rights::DIRECTORY,
        0,
    )
    .unwrap();
    let names = readdir_names(&mut ctx, m, subfd, 4096);
    assert_eq!(names, vec![".", "..", "a", "c"]);
    // a small buffer still yields every name across calls
    let names = readdir_names(&mut ctx, m, subfd, 30);
    assert_eq!(names, vec![".", "..", "a", "c"]);
    assert_eq!(
        p::fd_readdir(&mut ctx, m, fd, BUF, 100, 0, OUT),
        Err(Errno::NotCapable)
    );
    // unlink and rmdir
    let (ap, al) = put(m, PATH, "sub");
    assert_eq!(
        p::path_remove_directory(&mut ctx, m, 3, ap, al),
        Err(Errno::NotEmpty)
    );
    assert_eq!(
        p::path_unlink_file(&mut ctx, m, 3, ap, al),
        Err(Errno::IsDir)
    );
    for f in ["sub/a", "sub/c", "link"] {
        let (ap, al) = put(m, PATH, f);
        p::path_unlink_file(&mut ctx, m, 3, ap, al).unwrap();
    }
    let (ap, al) = put(m, PATH, "sub");
    p::path_remove_directory(&mut ctx, m, 3, ap, al).unwrap();
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    assert_eq!(stat(&mut ctx, m, 3, "sub", true), Err(Errno::NoEnt));
    // opening a file as a directory
    open(&mut ctx, m, 3, "plain", oflags::CREAT, RW, 0).unwrap();
    assert_eq!(
        open(
            &mut ctx,
            m,
            3,
            "plain",
            oflags::DIRECTORY,
            rights::DIRECTORY,
            0
        ),
        Err(Errno::NotDir)
    );
    assert_eq!(
        open(&mut ctx, m, 3, "plain/x", 0, RW, 0),
        Err(Errno::NotDir)
    );
    assert_eq!(open(&mut ctx, m, 3, "missing", 0, RW, 0), Err(Errno::NoEnt));
    assert_eq!(
        open(
            &mut ctx,
            m,
            3,
            "d",
            oflags::DIRECTORY | oflags::CREAT,
            RW,
            0
        ),
        Err(Errno::Inval)
    );
}

fn readdir_names(
    ctx: &mut wexe_wasi::WasiCtx,
    m: &mut GuestMemory,
    fd: u32,
    buf_len: u32,
) -> Vec<String> {
    let mut names = Vec::new();
    let mut cookie = 0u64;
    loop {
        p::fd_readdir(ctx, m, fd, BUF, buf_len, cookie, OUT).unwrap();
        let used = m.read_u32(OUT).unwrap();
        let mut at = 0;
        let mut progressed = false;
        while at + 24 <= used {
            let next = m.read_u64(BUF + at).unwrap();
            let namlen = m.read_u32(BUF + at + 16).unwrap();
            if at + 24 + namlen > used {
                break;
            }
            let name = m.slice(BUF + at + 24, namlen).unwrap();
            names.push(String::from_utf8(name.to_vec()).unwrap());
            cookie = next;
            at += 24 + namlen;
            progressed = true;
        }
        if used < buf_len {
            break;
        }
        assert!(progressed, "buffer too small for one entry");
    }
    names[2..].sort();
    names
}

#[test]
fn prestat_and_renumber() {
    let (_tmp, mut ctx) = sandbox();
    let mut buf = memory();
    let m = &mut GuestMemory::new(&mut buf);
    p::fd_prestat_get(&mut ctx, m, 3, OUT).unwrap();
    assert_eq!(m.read_u8(OUT), Ok(0));
    assert_eq!(m.read_u32(OUT + 4), Ok(8));
    p::fd_prestat_dir_name(&mut ctx, m, 3, BUF, 8).unwrap();
    assert_eq!(m.slice(BUF, 8).unwrap(), b"/sandbox");
    assert_eq!(
        p::fd_prestat_dir_name(&mut ctx, m, 3, BUF, 7),
        Err(Errno::NameTooLong)
    );
    assert_eq!(p::fd_prestat_get(&mut ctx, m, 0, OUT), Err(Errno::Badf));
    assert_eq!(p::fd_prestat_get(&mut ctx, m, 4, OUT), Err(Errno::Badf));
    assert_eq!(
        p::fd_prestat_get(&mut ctx, m, 3, MEM_SIZE as u32 - 4),
        Err(Errno::Fault)
    );
    let fd = open(&mut ctx, m, 3, "x", oflags::CREAT, RW, 0).unwrap();
    assert_eq!(p::fd_renumber(&mut ctx, m, fd, 99), Err(Errno::Badf));
    p::fd_renumber(&mut ctx, m, fd, 1).unwrap();
    write(&mut ctx, m, 1, "to file").unwrap();
    assert_eq!(write(&mut ctx, m, fd, "x"), Err(Errno::Badf));
    assert_eq!(p::fd_renumber(&mut ctx, m, 77, 1), Err(Errno::Badf));
}

#[test]
fn poll_clock_waits_and_fds_are_ready() {
    let mut ctx = WasiCtxBuilder::new().stdin_bytes("abc").build().unwrap();
    let mut buf = memory();
    let m = &mut GuestMemory::new(&mut buf);
    // one relative clock of 60ms
    let sub = |m: &mut GuestMemory, i: u32, userdata: u64, tag: u8| {
        let at = PATH + i * 48;
        m.write_bytes(at, &[0; 48]).unwrap();
        m.write_u64(at, userdata).unwrap();
        m.write_u8(at + 8, tag).unwrap();
        at
    };
    let c = sub(m, 0, 11, eventtype::CLOCK);
    m.write_u32(c + 16, clockid::MONOTONIC).unwrap();
    m.write_u64(c + 24, 60_000_000).unwrap();
    let start = Instant::now();
    p::poll_oneoff(&mut ctx, m, Abi::Preview1, PATH, BUF, 1, OUT).unwrap();
    assert!(start.elapsed() >= Duration::from_millis(60));
    assert_eq!(m.read_u32(OUT), Ok(1));
    assert_eq!(m.read_u64(BUF), Ok(11));
    assert_eq!(m.read_u16(BUF + 8), Ok(0));
    assert_eq!(m.read_u8(BUF + 10), Ok(eventtype::CLOCK));
    // stdin with bytes is ready at once, beating a long clock; a bad fd reports EBADF
    let c = sub(m, 0, 1, eventtype::CLOCK);
    m.write_u32(c + 16, clockid::MONOTONIC).unwrap();
    m.write_u64(c + 24, 10_000_000_000).unwrap();
    let r = sub(m, 1, 2, eventtype::FD_READ);
    m.write_u32(r + 16, 0).unwrap();
    let b = sub(m, 2, 3, eventtype::FD_WRITE);
    m.write_u32(b + 16, 42).unwrap();
    let start = Instant::now();
    p::poll_oneoff(&mut ctx, m, Abi::Preview1, PATH, BUF, 3, OUT).unwrap();
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(m.read_u32(OUT), Ok(2));
    assert_eq!(m.read_u64(BUF), Ok(2));
    assert_eq!(m.read_u8(BUF + 10), Ok(eventtype::FD_READ));
    assert_eq!(m.read_u64(BUF + 16), Ok(3), "three bytes to read");
    assert_eq!(m.read_u64(BUF + 32), Ok(3));
    assert_eq!(m.read_u16(BUF + 32 + 8), Ok(Errno::Badf as u16));
    // an absolute deadline already past fires at once
    let c = sub(m, 0, 5, eventtype::CLOCK);
    m.write_u32(c + 16, clockid::REALTIME).unwrap();
    m.write_u64(c + 24, 1).unwrap();
    m.write_u16(c + 40, eventtype::ABSTIME).unwrap();
    p::poll_oneoff(&mut ctx, m, Abi::Preview1, PATH, BUF, 1, OUT).unwrap();
    assert_eq!(m.read_u64(BUF), Ok(5));
    // snapshot 0 layout: identifier at 16, clock id at 24, timeout at 32
    let at = PATH;
    m.write_bytes(at, &[0; 56]).unwrap();
    m.write_u64(at, 9).unwrap();
    m.write_u32(at + 24, clockid::MONOTONIC).unwrap();
    m.write_u64(at + 32, 20_000_000).unwrap();
    let start = Instant::now();
    p::poll_oneoff(&mut ctx, m, Abi::Unstable, PATH, BUF, 1, OUT).unwrap();
    assert!(start.elapsed() >= Duration::from_millis(20));
    assert_eq!(m.read_u64(BUF), Ok(9));
    // bad input
    assert_eq!(
        p::poll_oneoff(&mut ctx, m, Abi::Preview1, PATH, BUF, 0, OUT),
        Err(Errno::Inval)
    );
    assert_eq!(
        p::poll_oneoff(&mut ctx, m, Abi::Preview1, PATH, BUF, u32::MAX, OUT),
        Err(Errno::Fault)
    );
    sub(m, 0, 1, 7);
    assert_eq!(
        p::poll_oneoff(&mut ctx, m, Abi::Preview1, PATH, BUF, 1, OUT),
        Err(Errno::Inval)
    );
    let c = sub(m, 0, 1, eventtype::CLOCK);
    m.write_u32(c + 16, 77).unwrap();
    p::poll_oneoff(&mut ctx, m, Abi::Preview1, PATH, BUF, 1, OUT).unwrap();
    assert_eq!(m.read_u16(BUF + 8), Ok(Errno::Inval as u16));
}

#[test]
fn wild_pointers_bad_fds_bad_flags() {
    let (_tmp, mut ctx) = sandbox();
    let mut buf = memory();
    let m = &mut GuestMemory::new(&mut buf);
    let end = MEM_SIZE as u32;
    // iovec arrays and buffers past the end, huge counts
    assert_eq!(
        p::fd_write(&mut ctx, m, 1, end - 4, 1, OUT),
        Err(Errno::Fault)
    );
    assert_eq!(
        p::fd_write(&mut ctx, m, 1, IOV, u32::MAX, OUT),
        Err(Errno::Fault)
    );
    assert_eq!(
        p::fd_write(&mut ctx, m, 1, IOV, 1 << 28, OUT),
        Err(Errno::Fault)
    );
    m.write_u32(IOV, end - 2).unwrap();
    m.write_u32(IOV + 4, 3).unwrap();
    assert_eq!(p::fd_write(&mut ctx, m, 1, IOV, 1, OUT), Err(Errno::Fault));
    assert_eq!(p::fd_read(&mut ctx, m, 0, IOV, 1, OUT), Err(Errno::Fault));
    let v = iov(m, BUF, 1);
    assert_eq!(p::fd_write(&mut ctx, m, 1, v, 1, end), Err(Errno::Fault));
    assert_eq!(
        p::fd_fdstat_get(&mut ctx, m, 1, end - 10),
        Err(Errno::Fault)
    );
    assert_eq!(
        p::path_open(&mut ctx, m, 3, 0, end - 1, 5, 0, 0, 0, 0, OUT),
        Err(Errno::Fault)
    );
    m.write_bytes(PATH, b"\xff\xfe").unwrap();
    assert_eq!(
        p::path_open(&mut ctx, m, 3, 0, PATH, 2, 0, 0, 0, 0, OUT),
        Err(Errno::Ilseq)
    );
    // bad fds
    for fd in [7, 1000, u32::MAX] {
        assert_eq!(p::fd_write(&mut ctx, m, fd, v, 1, OUT), Err(Errno::Badf));
        assert_eq!(p::fd_close(&mut ctx, m, fd), Err(Errno::Badf));
        assert_eq!(p::fd_fdstat_get(&mut ctx, m, fd, OUT), Err(Errno::Badf));
        assert_eq!(
            p::fd_filestat_get(&mut ctx, m, Abi::Preview1, fd, OUT),
            Err(Errno::Badf)
        );
        assert_eq!(
            p::fd_seek(&mut ctx, m, Abi::Preview1, fd, 0, 0, OUT),
            Err(Errno::Badf)
        );
        assert_eq!(p::fd_sync(&mut ctx, m, fd), Err(Errno::Badf));
        assert_eq!(p::sock_shutdown(&mut ctx, m, fd, 3), Err(Errno::Badf));
        let (pp, pl) = put(m, PATH, "x");
        assert_eq!(
            p::path_create_directory(&mut ctx, m, fd, pp, pl),
            Err(Errno::Badf)
        );
    }
    // not a directory
    let (pp, pl) = put(m, PATH, "x");
    assert_eq!(
        p::path_create_directory(&mut ctx, m, 1, pp, pl),
        Err(Errno::NotDir)
    );
    // bad flags
    assert_eq!(
        p::path_open(&mut ctx, m, 3, 0, pp, pl, 1 << 9, 0, 0, 0, OUT),
        Err(Errno::Inval)
    );
    assert_eq!(
        p::path_open(&mut ctx, m, 3, 0, pp, pl, 0, 0, 0, 1 << 9, OUT),
        Err(Errno::Inval)
    );
    assert_eq!(
        p::path_open(&mut ctx, m, 3, 1 << 5, pp, pl, 0, 0, 0, 0, OUT),
        Err(Errno::Inval)
    );
    assert_eq!(
        p::path_filestat_get(&mut ctx, m, Abi::Preview1, 3, 2, pp, pl, OUT),
        Err(Errno::Inval)
    );
    assert_eq!(
        p::fd_fdstat_set_flags(&mut ctx, m, 3, 0x10000),
        Err(Errno::Inval)
    );
    assert_eq!(p::sock_shutdown(&mut ctx, m, 1, 3), Err(Errno::NotSock));
    assert_eq!(p::sock_accept(&mut ctx, m, 3, 0, OUT), Err(Errno::NotSock));
    // not seekable / not a socket
    assert_eq!(
        p::fd_pread(&mut ctx, m, 0, v, 1, 0, OUT),
        Err(Errno::NotCapable)
    );
}
