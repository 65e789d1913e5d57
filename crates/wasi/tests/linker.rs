//! The linker glue: every function under both module names with the spec's signatures,
//! the `wasi_unstable` ABI differences, proc_exit, and modules without a memory.

use wexe::{Engine, Linker, Module, Store};
use wexe_wasi::{I32Exit, WasiCtx, WasiCtxBuilder};

/// Every preview1 function with its core wasm signature.
const SIGNATURES: [(&str, &str, &str); 46] = [
    ("args_get", "i32 i32", "i32"),
    ("args_sizes_get", "i32 i32", "i32"),
    ("environ_get", "i32 i32", "i32"),
    ("environ_sizes_get", "i32 i32", "i32"),
    ("clock_res_get", "i32 i32", "i32"),
    ("clock_time_get", "i32 i64 i32", "i32"),
    ("fd_advise", "i32 i64 i64 i32", "i32"),
    ("fd_allocate", "i32 i64 i64", "i32"),
    ("fd_close", "i32", "i32"),
    ("fd_datasync", "i32", "i32"),
    ("fd_fdstat_get", "i32 i32", "i32"),
    ("fd_fdstat_set_flags", "i32 i32", "i32"),
    ("fd_fdstat_set_rights", "i32 i64 i64", "i32"),
    ("fd_filestat_get", "i32 i32", "i32"),
    ("fd_filestat_set_size", "i32 i64", "i32"),
    ("fd_filestat_set_times", "i32 i64 i64 i32", "i32"),
    ("fd_pread", "i32 i32 i32 i64 i32", "i32"),
    ("fd_prestat_get", "i32 i32", "i32"),
    ("fd_prestat_dir_name", "i32 i32 i32", "i32"),
    ("fd_pwrite", "i32 i32 i32 i64 i32", "i32"),
    ("fd_read", "i32 i32 i32 i32", "i32"),
    ("fd_readdir", "i32 i32 i32 i64 i32", "i32"),
    ("fd_renumber", "i32 i32", "i32"),
    ("fd_seek", "i32 i64 i32 i32", "i32"),
    ("fd_sync", "i32", "i32"),
    ("fd_tell", "i32 i32", "i32"),
    ("fd_write", "i32 i32 i32 i32", "i32"),
    ("path_create_directory", "i32 i32 i32", "i32"),
    ("path_filestat_get", "i32 i32 i32 i32 i32", "i32"),
    (
        "path_filestat_set_times",
        "i32 i32 i32 i32 i64 i64 i32",
        "i32",
    ),
    ("path_link", "i32 i32 i32 i32 i32 i32 i32", "i32"),
    ("path_open", "i32 i32 i32 i32 i32 i64 i64 i32 i32", "i32"),
    ("path_readlink", "i32 i32 i32 i32 i32 i32", "i32"),
    ("path_remove_directory", "i32 i32 i32", "i32"),
    ("path_rename", "i32 i32 i32 i32 i32 i32", "i32"),
    ("path_symlink", "i32 i32 i32 i32 i32", "i32"),
    ("path_unlink_file", "i32 i32 i32", "i32"),
    ("poll_oneoff", "i32 i32 i32 i32", "i32"),
    ("proc_exit", "i32", ""),
    ("proc_raise", "i32", "i32"),
    ("sched_yield", "", "i32"),
    ("random_get", "i32 i32", "i32"),
    ("sock_accept", "i32 i32 i32", "i32"),
    ("sock_recv", "i32 i32 i32 i32 i32 i32", "i32"),
    ("sock_send", "i32 i32 i32 i32 i32", "i32"),
    ("sock_shutdown", "i32 i32", "i32"),
];

fn linker(engine: &Engine) -> Linker<WasiCtx> {
    let mut l = Linker::new(engine);
    wexe_wasi::add_to_linker(&mut l, |c: &mut WasiCtx| c).unwrap();
    l
}

fn run(wat: &str, ctx: WasiCtx) -> (Result<(), anyhow::Error>, Store<WasiCtx>, wexe::Instance) {
    let engine = Engine::default();
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ctx);
    let instance = linker(&engine).instantiate(&mut store, &module).unwrap();
    let f = instance
        .get_typed_func::<(), ()>(&mut store, "_start")
        .unwrap();
    let r = f.call(&mut store, ());
    (r, store, instance)
}

#[test]
fn every_function_under_both_names_with_spec_signatures() {
    assert_eq!(wexe_wasi::FUNCTIONS.len(), 46);
    for (name, _, _) in SIGNATURES {
        assert!(wexe_wasi::FUNCTIONS.contains(&name), "{name}");
    }
    let engine = Engine::default();
    for module_name in ["wasi_snapshot_preview1", "wasi_unstable"] {
        let mut wat = String::from("(module\n");
        for (name, params, results) in SIGNATURES {
            let results = if results.is_empty() {
                String::new()
            } else {
                format!("(result {results})")
            };
            wat += &format!(
                "(import \"{module_name}\" \"{name}\" (func (param {params}) {results}))\n"
            );
        }
        wat += "(memory (export \"memory\") 1))";
        let module = Module::new(&engine, &wat).unwrap();
        let mut store = Store::new(&engine, WasiCtx::default());
        linker(&engine)
            .instantiate(&mut store, &module)
            .unwrap_or_else(|e| panic!("{module_name}: {e:#}"));
    }
}

#[test]
fn hello_via_fd_write_and_proc_exit() {
    let wat = r#"(module
        (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (memory (export "memory") 1)
        (data (i32.const 8) "\10\00\00\00\06\00\00\00")
        (data (i32.const 16) "hello\n")
        (func (export "_start")
            (if (call $fd_write (i32.const 1) (i32.const 8) (i32.const 1) (i32.const 100))
                (then unreachable))
            (call $exit (i32.load (i32.const 100)))
            unreachable))"#;
    let mut b = WasiCtxBuilder::new();
    let out = b.capture_stdout();
    let (r, _, _) = run(wat, b.build().unwrap());
    let err = r.unwrap_err();
    assert_eq!(err.downcast_ref::<I32Exit>(), Some(&I32Exit(6)), "{err:?}");
    assert_eq!(out.contents_string(), "hello\n");
}

#[test]
fn wasi_unstable_whence_and_filestat_layout() {
    let tmp = tempfile::tempdir().unwrap();
    // path_open "f" under fd 3, write "abcdef", seek with whence 2 (SET in snapshot 0) to 1,
    // then write "X": the file is "aXcdef"; filestat's size sits at offset 24 in snapshot 0.
    let wat = r#"(module
        (import "wasi_unstable" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
        (import "wasi_unstable" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
        (import "wasi_unstable" "fd_seek" (func $seek (param i32 i64 i32 i32) (result i32)))
        (import "wasi_unstable" "fd_filestat_get" (func $stat (param i32 i32) (result i32)))
        (memory (export "memory") 1)
        (data (i32.const 0) "f")
        (data (i32.const 16) "\40\00\00\00\06\00\00\00")
        (data (i32.const 24) "\48\00\00\00\01\00\00\00")
        (data (i32.const 64) "abcdef")
        (data (i32.const 72) "X")
        (global $fd (mut i32) (i32.const 0))
        (func $check (param i32) (if (local.get 0) (then unreachable)))
        (func (export "_start")
            (call $check (call $open (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 1)
                (i32.const 1) (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 200)))
            (global.set $fd (i32.load (i32.const 200)))
            (call $check (call $write (global.get $fd) (i32.const 16) (i32.const 1) (i32.const 204)))
            (call $check (call $seek (global.get $fd) (i64.const 1) (i32.const 2) (i32.const 208)))
            (call $check (call $write (global.get $fd) (i32.const 24) (i32.const 1) (i32.const 204)))
            (call $check (call $stat (global.get $fd) (i32.const 256)))))"#;
    let ctx = WasiCtxBuilder::new()
        .preopen_dir(tmp.path(), "/")
        .build()
        .unwrap();
    let (r, mut store, instance) = run(wat, ctx);
    r.unwrap();
    assert_eq!(std::fs::read(tmp.path().join("f")).unwrap(), b"aXcdef");
    let mem = instance.get_memory(&mut store, "memory").unwrap();
    let data = mem.data(&store);
    assert_eq!(
        u64::from_le_bytes(data[208..216].try_into().unwrap()),
        1,
        "seek result"
    );
    assert_eq!(data[256 + 16], 4, "regular file");
    assert_eq!(
        u32::from_le_bytes(data[256 + 20..256 + 24].try_into().unwrap()),
        1,
        "nlink u32"
    );
    assert_eq!(
        u64::from_le_bytes(data[256 + 24..256 + 32].try_into().unwrap()),
        6,
        "size"
    );
}

#[test]
fn module_without_memory_gets_efault_not_a_crash() {
    let wat = r#"(module
        (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))
        (global (export "errno") (mut i32) (i32.const -1))
        (global (export "yield") (mut i32) (i32.const -1))
        (func (export "_start")
            (global.set 0 (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 0)))
            (global.set 1 (call $yield))))"#;
    let (r, mut store, instance) = run(wat, WasiCtx::default());
    r.unwrap();
    let g =
        |store: &mut Store<WasiCtx>, n| instance.get_global(&mut *store, n).unwrap().get(&*store);
    assert_eq!(g(&mut store, "errno").i32(), Some(21), "EFAULT");
    assert_eq!(g(&mut store, "yield").i32(), Some(0));
}

#[test]
fn context_lives_inside_a_larger_host_state() {
    struct Host {
        calls: u32,
        wasi: WasiCtx,
    }
    let engine = Engine::default();
    let module = Module::new(&engine, r#"(module
        (import "wasi_snapshot_preview1" "args_sizes_get" (func $sizes (param i32 i32) (result i32)))
        (import "host" "count" (func $count))
        (memory (export "memory") 1)
        (func (export "_start") (drop (call $sizes (i32.const 0) (i32.const 4))) (call $count)))"#).unwrap();
    let mut l: Linker<Host> = Linker::new(&engine);
    wexe_wasi::add_to_linker(&mut l, |h: &mut Host| &mut h.wasi).unwrap();
    l.func_wrap("host", "count", |mut c: wexe::Caller<'_, Host>| {
        c.data_mut().calls += 1
    })
    .unwrap();
    let wasi = WasiCtxBuilder::new().args(["a", "bc"]).build().unwrap();
    let mut store = Store::new(&engine, Host { calls: 0, wasi });
    let instance = l.instantiate(&mut store, &module).unwrap();
    instance
        .get_typed_func::<(), ()>(&mut store, "_start")
        .unwrap()
        .call(&mut store, ())
        .unwrap();
    assert_eq!(store.data().calls, 1);
    let mem = instance.get_memory(&mut store, "memory").unwrap();
    assert_eq!(&mem.data(&store)[0..8], &[2, 0, 0, 0, 5, 0, 0, 0]);
}
