//! Escapes through the file system: `..`, absolute paths, symlinks out of a preopen (last and
//! middle components, dangling, absolute, loops), hard links, renames and removals outside, and
//! writes through a read-only grant — the C program `tests/programs/escape.c` tries each and
//! checks the errno, through the `wexe` command in both tiers.

use crate::both_tiers;
use crate::harness::{World, c_program};

both_tiers!(paths_out_of_a_preopen_are_refused, |tier| {
    use std::os::unix::fs::symlink;
    let mut w = World::new();
    let sandbox = w.granted();
    std::fs::create_dir_all(sandbox.join("sub")).unwrap();
    std::fs::create_dir_all(w.path("ro")).unwrap();
    std::fs::create_dir_all(w.path("outside-dir")).unwrap();
    std::fs::write(w.path("secret.txt"), "secret").unwrap();
    std::fs::write(w.path("ro/file.txt"), "readonly").unwrap();
    std::fs::write(sandbox.join("inside.txt"), "inside").unwrap();
    symlink("..", sandbox.join("up")).unwrap();
    symlink("/etc", sandbox.join("abs")).unwrap();
    symlink("../created-outside", sandbox.join("dangle")).unwrap();
    symlink("loop2", sandbox.join("loop1")).unwrap();
    symlink("loop1", sandbox.join("loop2")).unwrap();
    symlink("granted/inside.txt", w.path("link-outside")).unwrap();
    let prog = c_program("escape", w.root());
    w.seal();

    let dir = format!("{}::/sandbox", sandbox.display());
    let ro = format!("{}::/ro", w.path("ro").display());
    let run = w.wexe(&[
        "run",
        "--tier",
        tier,
        "--dir",
        &dir,
        "--dir-ro",
        &ro,
        prog.to_str().unwrap(),
    ]);
    run.assert_status(0);
    assert_eq!(run.stdout, "escape ok\n", "{run:#?}");
    w.assert_untouched();
    assert!(!w.path("created-outside").exists());
});
