//! Escapes from the memory limit: tables grown far past `--max-memory-size` (externref and
//! funcref, refused with -1 or trapping with `--trap-on-grow-failure`), a table declared huge, a
//! `--preload`ed module's memory adding to the main module's, `--max-table-elements`, and
//! preloads counted by `--max-instances` and `--max-memories`, and the 3.0 memories (64-bit,
//! several, byte-paged) and 64-bit tables grown past the limit. Every run must stay small in peak
//! RSS, where the table attack took about 790 MB before tables counted against the limit. Runs
//! use `--no-cache` so that the JIT's compile cache, written under the world's home, leaves the
//! world untouched.

use std::path::PathBuf;

use crate::both_tiers;
use crate::harness::{Run, World, wat_program};

/// What a run may take at its peak: wexe itself is some 10-30 MB; the attacks ask for 800 MB.
const PEAK_RSS_LIMIT: u64 = 100 << 20;

fn assert_small(run: &Run) {
    assert!(
        run.peak_rss > 0 && run.peak_rss < PEAK_RSS_LIMIT,
        "peak RSS {} MB: {run:#?}",
        run.peak_rss >> 20
    );
}

/// Ten tables of `elem` growing by 10 million elements each; `run` returns how many growths
/// were refused (-1).
fn ten_tables(w: &World, elem: &str) -> PathBuf {
    let tables: String = (0..10)
        .map(|i| format!("(table $t{i} 0 {elem})\n"))
        .collect();
    let null = if elem == "funcref" { "func" } else { "extern" };
    let grows: String = (0..10)
        .map(|i| {
            format!(
                "(local.set $refused (i32.add (local.get $refused) (i32.eq (i32.const -1)
                   (table.grow $t{i} (ref.null {null}) (i32.const 10000000)))))\n"
            )
        })
        .collect();
    let wat = format!(
        "(module {tables}
           (func (export \"run\") (result i32) (local $refused i32)
             {grows}
             (local.get $refused)))"
    );
    wat_program(&format!("tables-{elem}"), w.root(), &wat)
}

/// Runs the ten-table attack with `elem` tables under a 64 KiB limit: every growth refused,
/// then with `--trap-on-grow-failure` the first one traps.
fn tables_attack(tier: &str, elem: &str) {
    let mut w = World::new();
    let prog = ten_tables(&w, elem);
    let prog = prog.to_str().unwrap();
    w.seal();

    let limit = ["--max-memory-size", "65536"];
    let run = w.wexe(
        &[
            &["run", "--no-cache", "--tier", tier][..],
            &limit,
            &["--invoke", "run", prog],
        ]
        .concat(),
    );
    run.assert_status(0);
    assert_eq!(run.stdout, "10\n", "every growth must be refused: {run:#?}");
    assert_small(&run);

    let trap = ["--trap-on-grow-failure"];
    let args = [
        &["run", "--no-cache", "--tier", tier][..],
        &limit,
        &trap,
        &["--invoke", "run", prog],
    ];
    let run = w.wexe(&args.concat());
    run.assert_status(134)
        .assert_stderr("wasm trap: resource limit exceeded");
    assert_small(&run);
    w.assert_untouched();
}

both_tiers!(externref_tables_count_against_the_memory_limit, |tier| {
    tables_attack(tier, "externref");
});

both_tiers!(funcref_tables_count_against_the_memory_limit, |tier| {
    tables_attack(tier, "funcref");
});

both_tiers!(a_huge_initial_table_is_not_instantiated, |tier| {
    let mut w = World::new();
    let wat = "(module (table 5000000 externref) (func (export \"_start\")))";
    let prog = wat_program("huge-table", w.root(), wat);
    w.seal();
    let run = w.wexe(&[
        "run",
        "--no-cache",
        "--tier",
        tier,
        "--max-memory-size",
        "65536",
        prog.to_str().unwrap(),
    ]);
    run.assert_status(1)
        .assert_stderr("cannot instantiate")
        .assert_stderr("a table of 5000000 elements exceeds the store's resource limits");
    assert_small(&run);
    w.assert_untouched();
});

both_tiers!(a_preloaded_memory_shares_the_limit, |tier| {
    let mut w = World::new();
    let lib = wat_program("lib", w.root(), "(module (memory (export \"m\") 1))");
    let main = "(module (memory 1)
        (func (export \"run\") (result i32) (memory.grow (i32.const 1))))";
    let main = wat_program("main", w.root(), main);
    w.seal();
    let (lib, main) = (lib.to_str().unwrap(), main.to_str().unwrap());
    let base = [
        "run",
        "--no-cache",
        "--tier",
        tier,
        "--max-memory-size",
        "131072",
    ];
    // Alone, the main module may grow its memory to the two pages of the limit...
    let run = w.wexe(&[&base[..], &["--invoke", "run", main]].concat());
    run.assert_status(0);
    assert_eq!(run.stdout, "1\n", "{run:#?}");
    // ...but with the preload's page counted it may not.
    let preload = format!("lib={lib}");
    let run = w.wexe(&[&base[..], &["--preload", &preload, "--invoke", "run", main]].concat());
    run.assert_status(0);
    assert_eq!(run.stdout, "-1\n", "{run:#?}");
    assert_small(&run);
    w.assert_untouched();
});

both_tiers!(max_table_elements_bounds_each_table, |tier| {
    let mut w = World::new();
    let wat = "(module (table $a 0 externref) (table $b 10 funcref)
        (func (export \"run\") (result i32 i32 i32)
          (table.grow $a (ref.null extern) (i32.const 1000))
          (table.grow $a (ref.null extern) (i32.const 1))
          (table.grow $b (ref.null func) (i32.const 991))))";
    let prog = wat_program("elements", w.root(), wat);
    w.seal();
    let run = w.wexe(&[
        "run",
        "--no-cache",
        "--tier",
        tier,
        "--max-table-elements",
        "1000",
        "--invoke",
        "run",
        prog.to_str().unwrap(),
    ]);
    run.assert_status(0);
    assert_eq!(run.stdout, "0\n-1\n-1\n", "{run:#?}");
    assert_small(&run);
    w.assert_untouched();
});

both_tiers!(preloads_count_against_instance_and_memory_counts, |tier| {
    let mut w = World::new();
    let lib = wat_program("lib", w.root(), "(module (memory (export \"m\") 1))");
    let main = wat_program(
        "main",
        w.root(),
        "(module (memory 1) (func (export \"_start\")))",
    );
    w.seal();
    let preload = format!("lib={}", lib.display());
    let main = main.to_str().unwrap();
    for (flag, refusal) in [
        ("--max-instances", "at most 1 instances"),
        ("--max-memories", "at most 1 memories"),
    ] {
        let args = ["run", "--no-cache", "--tier", tier, flag, "1"];
        let run = w.wexe(&[&args[..], &["--preload", &preload, main]].concat());
        run.assert_status(1)
            .assert_stderr("cannot instantiate")
            .assert_stderr(refusal);
        // Without the preload the program fits.
        w.wexe(&[&args[..], &[main]].concat()).assert_status(0);
    }
    w.assert_untouched();
});

// The 3.0 memories: two 64-bit memories, a byte-paged one and a 64-bit table, each asked to grow
// far past the limit (by pages up to 2^48, so a size computed in 32 bits or unchecked would
// wrap), are refused with -1 and take no memory; an access at the top of the 64-bit address
// space traps instead of wrapping into the memory.
both_tiers!(memories_of_3_0_count_against_the_limit, |tier| {
    let mut w = World::new();
    let wat = "(module
        (memory $a i64 1)
        (memory $b i64 1)
        (memory $c 1 (pagesize 1))
        (table $t i64 0 externref)
        (func (export \"grow\") (result i32) (local $refused i32)
          (local.set $refused (i32.add
            (i32.add (i64.eq (i64.const -1) (memory.grow $a (i64.const 1000)))
                     (i64.eq (i64.const -1) (memory.grow $b (i64.const 0x1000000000000))))
            (i32.add (i32.eq (i32.const -1) (memory.grow $c (i32.const 100000000)))
                     (i64.eq (i64.const -1)
                        (table.grow $t (ref.null extern) (i64.const 10000000))))))
          (local.get $refused))
        (func (export \"top\") (result i32)
          (i32.load $a offset=0xfffffffffffffff0 (i64.const 0x10))))";
    let prog = wat_program("mem64", w.root(), wat);
    w.seal();
    let prog = prog.to_str().unwrap();
    let base = [
        "run",
        "--no-cache",
        "--tier",
        tier,
        "--max-memory-size",
        "262144",
    ];
    let run = w.wexe(&[&base[..], &["--invoke", "grow", prog]].concat());
    run.assert_status(0);
    assert_eq!(run.stdout, "4\n", "every growth must be refused: {run:#?}");
    assert_small(&run);
    let run = w.wexe(&[&base[..], &["--invoke", "top", prog]].concat());
    run.assert_status(134)
        .assert_stderr("out of bounds memory access");
    assert_small(&run);
    w.assert_untouched();
});
