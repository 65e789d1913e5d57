//! Real programs nobody here wrote, run with `wexe run`: SQLite 3 and Lua 5.4, fetched as source
//! from crates.io and compiled to wasm32-wasi by `scripts/fetch-real-programs.sh` (once; cached
//! under `target/tmp/real-programs`), each with a small driver of ours from `tests/real/`.
//!
//! The checks: SQLite creates, fills, reopens and queries a database file that appears on the
//! host inside the granted directory and nowhere else, and cannot open files outside it; the Lua
//! interpreter runs `tests/real/exercise.lua` (strings, tables, math, closures, metatables, io
//! in the granted directory) with the exact output of a native build, and `os.exit(3)` gives
//! exit status 3.
//!
//! When crates.io cannot be reached the tests print why and pass without running (the only
//! skip), except under `CI=true`, where that fails them too; any other failure of the build step
//! fails them.

#[path = "common/prerequisite.rs"]
mod prerequisite;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The built programs' folder, or why they could not be fetched.
fn programs() -> Result<&'static Path, &'static str> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("real-programs");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/fetch-real-programs.sh");
        let run = Command::new("bash")
            .arg(&script)
            .arg(&out)
            .output()
            .expect("run scripts/fetch-real-programs.sh");
        let stderr = String::from_utf8_lossy(&run.stderr);
        match run.status.code() {
            Some(0) => Ok(out),
            Some(75) => Err(format!("crates.io unreachable:\n{stderr}")),
            _ => panic!(
                "scripts/fetch-real-programs.sh failed ({}):\n{stderr}",
                run.status
            ),
        }
    });
    match built {
        Ok(p) => Ok(p),
        Err(why) => Err(why),
    }
}

/// Runs `wexe ARGS` in `cwd`.
fn wexe(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wexe"))
        .current_dir(cwd)
        .args(args)
        .env("WEXE_TEST_SECRET", "must not leak")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs the SQLite driver on `db` with SQL statements; asserts exit status `status`.
fn sqlite(cwd: &Path, dir_flag: &str, db: &str, sql: &[&str], status: i32) -> Output {
    let wasm = programs().unwrap().join("sqlite.wasm");
    let mut args = vec!["run", dir_flag, "data::db", wasm.to_str().unwrap(), db];
    args.extend_from_slice(sql);
    let out = wexe(cwd, &args);
    assert_eq!(
        out.status.code(),
        Some(status),
        "sqlite {sql:?}\nstdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}

/// Every file below `dir`, relative to it, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p.clone());
            }
            found.push(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
        }
    }
    found.sort();
    found
}

#[test]
fn sqlite_keeps_its_database_in_the_granted_directory() {
    if let Err(why) = programs() {
        prerequisite::missing("sqlite test", why);
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    std::fs::create_dir(cwd.join("data")).unwrap();

    // Create and fill a table: a few hand-written rows, then 5000 generated ones (many B-tree
    // pages), an index, and queries through it.
    let out = sqlite(
        cwd,
        "--dir",
        "db/shop.db",
        &[
            "CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL)",
            "INSERT INTO item(name, price) VALUES ('apple', 0.5), ('bread', 2.25), ('cheese', NULL)",
            "SELECT id, name, price FROM item ORDER BY id",
            "SELECT count(*), sum(price), group_concat(name, ',') FROM item",
            "CREATE TABLE n(a INTEGER, b INTEGER, c TEXT)",
            "WITH RECURSIVE k(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM k WHERE x < 5000) \
             INSERT INTO n SELECT x, x * x, printf('row-%05d', x) FROM k",
            "CREATE INDEX n_c ON n(c)",
            "SELECT count(*), sum(b), max(c) FROM n WHERE a % 7 = 0",
            "SELECT a, b FROM n WHERE c = 'row-04321'",
            "SELECT sqlite_version()",
        ],
        0,
    );
    // sum of (7k)^2 for k = 1..714 = 49 * 714 * 715 * 1429 / 6
    let expected = format!(
        "1|apple|0.5\n2|bread|2.25\n3|cheese|NULL\n3|2.75|apple,bread,cheese\n714|{}|row-04998\n\
         4321|18671041\n3.54.1\n",
        49u64 * 714 * 715 * 1429 / 6
    );
    assert_eq!(text(&out.stdout), expected);
    assert_eq!(text(&out.stderr), "");

    // The database is a real SQLite file on the host, in the granted directory, and is the
    // only file there (the rollback journal was removed) and the only new file anywhere.
    let db = std::fs::read(cwd.join("data/shop.db")).unwrap();
    assert!(db.starts_with(b"SQLite format 3\0"), "not a database file");
    assert!(
        db.len() > 50 * 1024,
        "5000 rows take many pages: {}",
        db.len()
    );
    assert_eq!(files(cwd), ["data", "data/shop.db"]);

    // A second process sees the data; a transaction updates and deletes; an SQL error is
    // reported with exit status 1 and rolls nothing back that was committed.
    let out = sqlite(
        cwd,
        "--dir",
        "db/shop.db",
        &[
            "BEGIN",
            "UPDATE item SET price = price * 2 WHERE price IS NOT NULL",
            "DELETE FROM n WHERE a > 10",
            "COMMIT",
            "SELECT name, price FROM item WHERE price >= 1 ORDER BY name",
            "SELECT count(*), sum(a) FROM n",
            "PRAGMA integrity_check",
        ],
        0,
    );
    assert_eq!(text(&out.stdout), "apple|1.0\nbread|4.5\n10|55\nok\n");
    let out = sqlite(cwd, "--dir", "db/shop.db", &["SELECT * FROM nosuch"], 1);
    assert_eq!(text(&out.stderr), "error: no such table: nosuch\n");
    let out = sqlite(cwd, "--dir", "db/shop.db", &["SELECT count(*) FROM n"], 0);
    assert_eq!(text(&out.stdout), "10\n");

    // Paths outside the granted directory cannot be opened or created.
    for outside in ["db/../escape.db", "/tmp/wexe-real-escape.db", "escape.db"] {
        let out = sqlite(cwd, "--dir", outside, &["CREATE TABLE t(x)"], 1);
        assert_eq!(
            text(&out.stderr),
            format!("error: cannot open {outside}: unable to open database file\n")
        );
    }
    assert!(!Path::new("/tmp/wexe-real-escape.db").exists());
    assert_eq!(files(cwd), ["data", "data/shop.db"]);
}

#[test]
fn lua_runs_a_script_with_io_in_the_granted_directory_and_exits_with_its_status() {
    let dir = match programs() {
        Ok(d) => d,
        Err(why) => {
            prerequisite::missing("lua test", why);
            return;
        }
    };
    let lua = dir.join("lua.wasm");
    let lua = lua.to_str().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    std::fs::create_dir(cwd.join("work")).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/real/exercise.lua");
    std::fs::copy(&script, cwd.join("work/exercise.lua")).unwrap();

    let out = wexe(
        cwd,
        &[
            "run",
            "--dir",
            "work::work",
            "--env",
            "LUA_TEST_VAR=hello",
            lua,
            "work/exercise.lua",
            "work",
        ],
    );
    assert_eq!(text(&out.stderr), "");
    // The output of the same script under a native (gcc) build of the same Lua, but for the
    // errno values (WASI's ENOENT is 44; ENOTCAPABLE, 76, has no native counterpart here).
    let expected = "\
words\t9\tthe,quick,brown,fox,jumps,over,the,lazy,dog
upper\tQUICK\t17\t87
gsub\tquick The fox brown over jumps lazy the dog
format\t 3.14|42  |ff|\"a\\
b\"|nil
utf8\t5\tHé€
bytes\t65\thi
sorted\talice:30 bob:30 carol:35
table\t11\t100\t0,1,4,9,16\t1\t2\t3
keys\txyz
math\t3\t3.5\t-2\t1024.0\ttrue
math2\t-4\t-3\t7\t9\t8\tinteger\tfloat\t4294967294\t1e+15
sqrt\t1.4142135624\t1\tinf\ttrue
closures\t3\t75025\t10\t4
meta\tV(42)
io lines\t6\tline 1\t10 squares sum to 385
io size\t57\t5\t1\t57
io missing\tnil\twork/no/such/file: No such file or directory\t44
os\tnumber\tnumber\thello\tnil
escape\twork/../escape.txt: Capabilities insufficient\t76
escape\t/etc/hostname: Capabilities insufficient\t76
remove\ttrue\ttrue
exiting with 3
";
    assert_eq!(text(&out.stdout), expected);
    assert_eq!(out.status.code(), Some(3), "os.exit(3) is the exit status");
    assert_eq!(
        std::fs::read_to_string(cwd.join("work/renamed.txt")).unwrap(),
        "line 1\nline 2\nline 3\nline 4\nline 5\n10 squares sum to 385\n"
    );
    assert_eq!(
        files(cwd),
        ["work", "work/exercise.lua", "work/renamed.txt"]
    );

    // An uncaught error ends the program with status 1 and the message on stderr; a script
    // outside the granted directories cannot even be loaded.
    std::fs::write(
        cwd.join("work/boom.lua"),
        "local t = {}\nprint('before')\nerror('boom ' .. #t)\n",
    )
    .unwrap();
    let out = wexe(cwd, &["run", "--dir", "work::work", lua, "work/boom.lua"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "before\n");
    assert!(
        text(&out.stderr).contains("work/boom.lua:3: boom 0"),
        "{}",
        text(&out.stderr)
    );
    let out = wexe(cwd, &["run", lua, "work/exercise.lua", "work"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("cannot open work/exercise.lua"),
        "{}",
        text(&out.stderr)
    );
}
