//! `Linker::instantiate_pre` / `InstancePre::instantiate`, with and without
//! `Config::memory_pool`, in both tiers: an instance made from the pre-instantiated image starts
//! exactly as `Linker::instantiate` makes it (data segments, globals, tables, the start
//! function), and nothing an instance does — memory written or grown, globals set, table
//! entries changed — is seen by the next one, in a new store or in the same one.

use wexe::{Config, Engine, Instance, Linker, MemoryInit, Module, Store, Tier};

const TIERS: [Tier; 2] = [Tier::Interp, Tier::Jit];

/// Memory with segments at several offsets (one given by an extended constant), a mutable
/// global, a table filled by an element segment, a start function that records it ran, and a
/// host import.
const STATEFUL: &str = r#"
    (module
      (import "host" "add" (func $add (param i32 i32) (result i32)))
      (memory (export "memory") 2)
      (data (i32.const 16) "hello")
      (data (i32.add (i32.const 65536) (i32.const 4)) "far")
      (data (i32.const 18) "LL")
      (global $g (mut i32) (i32.const 7))
      (global $started (mut i32) (i32.const 0))
      (table 4 funcref)
      (elem (i32.const 1) $one $two)
      (type $r (func (result i32)))
      (func $one (result i32) (i32.const 1))
      (func $two (result i32) (i32.const 2))
      (func $start (global.set $started (call $add (global.get $started) (i32.const 1))))
      (start $start)
      (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
      (func (export "store8") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
      (func (export "size") (result i32) (memory.size))
      (func (export "global") (result i32) (global.get $g))
      (func (export "set_global") (param i32) (global.set $g (local.get 0)))
      (func (export "started") (result i32) (global.get $started))
      (func (export "call") (param i32) (result i32) (call_indirect (type $r) (local.get 0)))
      (func (export "clear") (param i32) (table.set (local.get 0) (ref.null func))))
"#;

fn engine(tier: Tier, pool: usize) -> Engine {
    let mut config = Config::new();
    config.tier(tier).memory_pool(pool);
    Engine::new(&config).unwrap()
}

fn linker(engine: &Engine) -> Linker<()> {
    let mut linker = Linker::new(engine);
    linker
        .func_wrap("host", "add", |a: i32, b: i32| a + b)
        .unwrap();
    linker
}

fn call(store: &mut Store<()>, inst: Instance, name: &str, args: &[i32]) -> Result<i32, String> {
    let f = inst.get_func(&mut *store, name).unwrap();
    let params: Vec<_> = args.iter().map(|&a| wexe::Val::I32(a)).collect();
    let mut results = vec![wexe::Val::I32(0); f.ty(&*store).results().len()];
    f.call(&mut *store, &params, &mut results)
        .map_err(|e| e.to_string())?;
    Ok(results.first().and_then(|v| v.i32()).unwrap_or(0))
}

/// What an instance of `STATEFUL` shows of its state.
fn observe(store: &mut Store<()>, inst: Instance) -> Vec<Result<i32, String>> {
    let mut seen = Vec::new();
    for at in [
        16, 17, 18, 19, 20, 21, 65540, 65542, 65543, 100_000, 131_071,
    ] {
        seen.push(call(store, inst, "load8", &[at]));
    }
    seen.push(call(store, inst, "size", &[]));
    seen.push(call(store, inst, "global", &[]));
    seen.push(call(store, inst, "started", &[]));
    for slot in 0..4 {
        seen.push(
            call(store, inst, "call", &[slot])
                .map_err(|e| e.lines().next().unwrap_or("").to_string()),
        );
    }
    seen
}

/// Changes everything an instance can change.
fn scribble(store: &mut Store<()>, inst: Instance) {
    for at in [16, 18, 65540, 100_000, 131_071] {
        call(store, inst, "store8", &[at, 0xEE]).unwrap();
    }
    assert_eq!(call(store, inst, "grow", &[3]), Ok(2));
    call(store, inst, "store8", &[200_000, 0xEE]).unwrap();
    call(store, inst, "set_global", &[99]).unwrap();
    call(store, inst, "clear", &[1]).unwrap();
}

#[test]
fn pre_instances_start_as_plain_ones_and_share_nothing() {
    for tier in TIERS {
        for pool in [0, 4] {
            let engine = engine(tier, pool);
            let module = Module::new(&engine, STATEFUL).unwrap();
            let linker = linker(&engine);
            let mut store = Store::new(&engine, ());
            let plain = linker.instantiate(&mut store, &module).unwrap();
            let expected = observe(&mut store, plain);
            assert_eq!(expected[0], Ok(b'h' as i32), "{tier:?}");
            assert_eq!(expected[2], Ok(b'L' as i32), "{tier:?}: later segments win");
            assert_eq!(expected[6], Ok(b'f' as i32), "{tier:?}");
            assert_eq!(expected[13], Ok(1), "{tier:?}: the start function ran");

            let pre = linker.instantiate_pre(&module).unwrap();
            for round in 0..6 {
                let mut store = Store::new(&engine, ());
                let inst = pre.instantiate(&mut store).unwrap();
                assert_eq!(
                    observe(&mut store, inst),
                    expected,
                    "{tier:?} pool {pool} #{round}"
                );
                scribble(&mut store, inst);
                assert_ne!(observe(&mut store, inst), expected);
                // A second instance in the same store is fresh too.
                let other = pre.instantiate(&mut store).unwrap();
                assert_eq!(observe(&mut store, other), expected, "{tier:?} same store");
                // The first one kept its changes.
                assert_eq!(call(&mut store, inst, "load8", &[200_000]), Ok(0xEE));
            }
        }
    }
}

/// Segments whose offsets an imported global gives, and a segment out of bounds, take the
/// ordinary path: the same contents, the same failure.
#[test]
fn segments_not_known_before_instantiation() {
    let wat = r#"
        (module
          (import "host" "at" (global $at i32))
          (memory (export "memory") 1)
          (data (i32.const 0) "fixed")
          (data (global.get $at) "moved")
          (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0))))"#;
    let oob = r#"(module (memory 1) (data (i32.const 65534) "abc"))"#;
    for tier in TIERS {
        let engine = engine(tier, 2);
        let module = Module::new(&engine, wat).unwrap();
        for at in [3, 100] {
            let mut store = Store::new(&engine, ());
            let global = wexe::Global::new(
                &mut store,
                wexe::GlobalType {
                    content: wexe::ValType::I32,
                    mutability: wexe::Mutability::Const,
                },
                wexe::Val::I32(at),
            )
            .unwrap();
            let mut linker = Linker::new(&engine);
            linker.define(&store, "host", "at", global).unwrap();
            let pre = linker.instantiate_pre(&module).unwrap();
            let inst = pre.instantiate(&mut store).unwrap();
            let read = |store: &mut Store<()>, i| call(store, inst, "load8", &[i]).unwrap() as u8;
            assert_eq!(read(&mut store, 0), b'f');
            assert_eq!(read(&mut store, at), b'm');
            assert_eq!(read(&mut store, at + 4), b'd');
        }
        let module = Module::new(&engine, oob).unwrap();
        let pre = Linker::<()>::new(&engine).instantiate_pre(&module).unwrap();
        let err = pre.instantiate(&mut Store::new(&engine, ())).unwrap_err();
        let plain = Linker::<()>::new(&engine)
            .instantiate(&mut Store::new(&engine, ()), &module)
            .unwrap_err();
        assert_eq!(err.to_string(), plain.to_string(), "{tier:?}");
    }
}

/// An import the linker lacks is an error when pre-instantiating, not later.
#[test]
fn unknown_imports_are_refused_up_front() {
    let engine = engine(Tier::Interp, 0);
    let module = Module::new(&engine, STATEFUL).unwrap();
    let err = Linker::<()>::new(&engine)
        .instantiate_pre(&module)
        .err()
        .unwrap();
    assert!(err.to_string().contains("host::add"), "{err}");
}

/// Instances made on several threads at once from one `InstancePre` are independent.
#[test]
fn pre_instances_on_many_threads() {
    for tier in TIERS {
        let engine = engine(tier, 8);
        let module = Module::new(&engine, STATEFUL).unwrap();
        let pre = linker(&engine).instantiate_pre(&module).unwrap();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let (pre, engine) = (pre.clone(), engine.clone());
                std::thread::spawn(move || {
                    for i in 0..50 {
                        let mut store = Store::new(&engine, ());
                        let inst = pre.instantiate(&mut store).unwrap();
                        assert_eq!(call(&mut store, inst, "load8", &[16]), Ok(b'h' as i32));
                        assert_eq!(call(&mut store, inst, "load8", &[100_000]), Ok(0));
                        call(&mut store, inst, "store8", &[16, t * 50 + i]).unwrap();
                        call(&mut store, inst, "store8", &[100_000, 1]).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    }
}

/// A memory image is really mapped (not silently copied): the first instance's memory says it
/// was mapped copy-on-write, and with a pool the next ones find their reservation already reset
/// to the image. A fallback to copying shows as `ImageCopied` and fails this.
#[test]
fn the_image_is_mapped_and_pooled_memories_are_reused_in_place() {
    for tier in TIERS {
        for pool in [0, 4] {
            let engine = engine(tier, pool);
            let module = Module::new(&engine, STATEFUL).unwrap();
            let pre = linker(&engine).instantiate_pre(&module).unwrap();
            for round in 0..4 {
                let mut store = Store::new(&engine, ());
                let inst = pre.instantiate(&mut store).unwrap();
                let memory = inst.get_memory(&mut store, "memory").unwrap();
                let expected = if pool > 0 && round > 0 {
                    MemoryInit::PoolReused
                } else {
                    MemoryInit::ImageMapped
                };
                assert_eq!(
                    memory.init(&store),
                    expected,
                    "{tier:?} pool {pool} #{round}"
                );
                scribble(&mut store, inst);
            }
            // A memory with no image starts zeroed.
            let mut store = Store::new(&engine, ());
            let ty = wexe::MemoryType::new(1, None);
            let memory = wexe::Memory::new(&mut store, ty).unwrap();
            assert_eq!(memory.init(&store), MemoryInit::Zeroed);
        }
    }
}

/// Memories larger than what the pool keeps resident (1 MiB), with image bytes past that mark,
/// and pooled reservations passed between modules of different images and memories of none:
/// every instance starts exactly as a plain one.
#[test]
fn pooled_memories_of_any_size_and_image_start_fresh() {
    let big = r#"
        (module
          (memory (export "memory") 20)
          (data (i32.const 8) "near")
          (data (i32.const 1200000) "deep")
          (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
          (func (export "store8") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
          (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
          (func (export "size") (result i32) (memory.size)))
    "#;
    let small = r#"
        (module
          (memory (export "memory") 1)
          (data (i32.const 8) "xy")
          (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
          (func (export "store8") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
          (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
          (func (export "size") (result i32) (memory.size)))
    "#;
    let bare = small.replace(r#"(data (i32.const 8) "xy")"#, "");
    // An image of 300 KB, within what stays resident: copied back by the reset.
    let mid = small
        .replace(
            "(memory (export \"memory\") 1)",
            "(memory (export \"memory\") 8)",
        )
        .replace(
            r#"(data (i32.const 8) "xy")"#,
            r#"(data (i32.const 8) "mid") (data (i32.const 300000) "here")"#,
        );
    let probes = [
        8, 9, 1000, 65535, 300_000, 300_003, 450_000, 1_048_575, 1_048_576, 1_200_000, 1_200_003,
        1_310_719,
    ];
    for tier in TIERS {
        let engine = engine(tier, 2);
        let linker = linker(&engine);
        let modules: Vec<Module> = [big, small, &bare, &mid]
            .iter()
            .map(|wat| Module::new(&engine, wat).unwrap())
            .collect();
        let pres: Vec<_> = modules
            .iter()
            .map(|m| linker.instantiate_pre(m).unwrap())
            .collect();
        let observe = |store: &mut Store<()>, inst: Instance| {
            let size = call(store, inst, "size", &[]).unwrap();
            let mut seen = vec![Ok(size)];
            for &at in &probes {
                seen.push(call(store, inst, "load8", &[at]));
            }
            seen
        };
        let expected: Vec<_> = modules
            .iter()
            .map(|m| {
                let mut store = Store::new(&engine, ());
                let inst = linker.instantiate(&mut store, m).unwrap();
                observe(&mut store, inst)
            })
            .collect();
        // In turn and in repeats, so that each takes reservations the others left.
        let turns = [0, 0, 1, 0, 2, 1, 1, 3, 3, 0, 3, 2, 2, 0, 3, 1, 3];
        for (round, which) in turns.into_iter().enumerate() {
            let mut store = Store::new(&engine, ());
            let inst = pres[which].instantiate(&mut store).unwrap();
            assert_eq!(
                observe(&mut store, inst),
                expected[which],
                "{tier:?} module {which} round {round}"
            );
            let pages = call(&mut store, inst, "size", &[]).unwrap();
            assert_ne!(call(&mut store, inst, "grow", &[5]), Ok(-1));
            for at in (0..(pages + 5) * 65536).step_by(4093) {
                call(&mut store, inst, "store8", &[at, 0xAB]).unwrap();
            }
            for &at in probes.iter().filter(|&&at| at < (pages + 5) * 65536) {
                call(&mut store, inst, "store8", &[at, 0xCD]).unwrap();
            }
        }
    }
}

/// A pooled memory is reset by restoring only the pages its instance made private (where the
/// kernel can list them): whatever an instance writes — a few bytes, every page (past what the
/// reset writes back, so that the rest is dropped), memory it grew — and whatever it only reads,
/// every byte of the next instance's memory is what a fresh instance's is.
#[test]
fn pooled_memories_reset_every_page_they_wrote() {
    let wat = format!(
        r#"(module
          (memory (export "memory") 24)
          (data (i32.const 8) "near")
          (data (i32.const 700000) "mid")
          (data (i32.const 1100000) "{}")
          (data (i32.const 1400000) "deep")
          (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
          (func (export "store8") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
          (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#,
        "\\5a\\a5".repeat(40_000)
    );
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |below: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % below) as i32
    };
    for tier in TIERS {
        let engine = engine(tier, 1);
        let linker = linker(&engine);
        let module = Module::new(&engine, &wat).unwrap();
        let fresh = {
            let mut store = Store::new(&engine, ());
            let inst = linker.instantiate(&mut store, &module).unwrap();
            let memory = inst.get_memory(&mut store, "memory").unwrap();
            memory.data(&store).to_vec()
        };
        let pre = linker.instantiate_pre(&module).unwrap();
        for round in 0..24 {
            let mut store = Store::new(&engine, ());
            let inst = pre.instantiate(&mut store).unwrap();
            let memory = inst.get_memory(&mut store, "memory").unwrap();
            if round > 0 {
                assert_eq!(
                    memory.init(&store),
                    MemoryInit::PoolReused,
                    "{tier:?} #{round}"
                );
            }
            let now = memory.data(&store);
            assert_eq!(now.len(), fresh.len(), "{tier:?} round {round}: size");
            let differ = now.iter().zip(&fresh).position(|(a, b)| a != b);
            assert_eq!(differ, None, "{tier:?} round {round}: first differing byte");
            let grown = next(3);
            assert_ne!(call(&mut store, inst, "grow", &[grown]), Ok(-1));
            let size = memory.data(&store).len() as i32;
            for _ in 0..next(40) {
                call(&mut store, inst, "load8", &[next(size as u64)]).unwrap();
            }
            let writes: Vec<i32> = match round % 3 {
                0 => (0..1 + next(20)).map(|_| next(size as u64)).collect(),
                1 => (next(4096)..size).step_by(4096).collect(),
                _ => (0..next(size as u64 / 2)).step_by(7919).collect(),
            };
            for at in writes {
                call(&mut store, inst, "store8", &[at, 1 + next(255)]).unwrap();
            }
        }
    }
}

/// Under pooling a store takes the interpreter stack a dropped store left. A program of the
/// next store must see nothing of the last one's frames: locals it has not set read as zero,
/// also where the last store's deepest frames had left secrets.
#[test]
fn a_reused_interpreter_stack_shows_nothing_of_the_last_store() {
    let locals = "(local i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)";
    let set_all: String = (1..=16)
        .map(|i| format!("(local.set {i} (local.get 0))"))
        .collect();
    let or_all: String = (2..=16)
        .map(|i| format!("(i32.or (local.get {i}))"))
        .collect();
    let wat = format!(
        r#"(module
          (func $fill (export "fill") (param i32) (result i32) {locals}
            {set_all}
            (if (result i32) (i32.gt_u (local.get 0) (i32.const 0x7fff0000))
              (then (call $fill (i32.sub (local.get 0) (i32.const 1))))
              (else (local.get 1))))
          (func $peek (export "peek") (param i32) (result i32) {locals}
            (local.get 1) {or_all}
            (if (result i32) (i32.gt_u (local.get 0) (i32.const 0))
              (then (call $peek (i32.sub (local.get 0) (i32.const 1))))
              (else (i32.const 0)))
            (i32.or)))"#
    );
    let engine = engine(Tier::Interp, 2);
    let module = Module::new(&engine, &wat).unwrap();
    let pre = linker(&engine).instantiate_pre(&module).unwrap();
    for _ in 0..3 {
        let mut store = Store::new(&engine, ());
        let inst = pre.instantiate(&mut store).unwrap();
        // Forty frames deep, every local of every frame set to a secret.
        let secret = 0x7fff_0028_u32 as i32;
        assert_eq!(call(&mut store, inst, "fill", &[secret]), Ok(0x7fff_0000));
        drop(store);
        let mut store = Store::new(&engine, ());
        let inst = pre.instantiate(&mut store).unwrap();
        assert_eq!(call(&mut store, inst, "peek", &[40]), Ok(0));
    }
}
