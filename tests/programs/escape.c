/* The sandbox escape suite. The host preopens /sandbox (read-write) and /ro (read-only) and
 * puts, inside /sandbox, symlinks that point out: up (`up` -> ..), to an absolute path (`abs`
 * -> /etc), a dangling one to outside (`dangle` -> ../created-outside), a loop (`loop1` <->
 * `loop2`). Every attempt must fail with the expected errno; the host then checks that nothing
 * outside changed. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

#include "check.h"

#define NOTCAP __WASI_ERRNO_NOTCAPABLE

static __wasi_errno_t raw_open(const char *path, __wasi_lookupflags_t follow, __wasi_oflags_t of) {
    __wasi_fd_t fd;
    __wasi_errno_t e = __wasi_path_open(3, follow, path, of, __WASI_RIGHTS_FD_READ |
                                        __WASI_RIGHTS_FD_WRITE, 0, 0, &fd);
    if (e == 0) (void)!__wasi_fd_close(fd);
    return e;
}

int main(void) {
    struct stat st;
    /* `..` in every position */
    CHECK_ERRNO(open("/sandbox/../secret.txt", O_RDONLY), ENOTCAPABLE);
    CHECK_ERRNO(open("/sandbox/sub/../../secret.txt", O_RDONLY), ENOTCAPABLE);
    CHECK_ERRNO(open("/sandbox/..", O_RDONLY | O_DIRECTORY), ENOTCAPABLE);
    CHECK_ERRNO(stat("/sandbox/../secret.txt", &st), ENOTCAPABLE);
    CHECK_WASI(raw_open("../secret.txt", 0, 0), NOTCAP);
    CHECK_WASI(raw_open("sub/../../secret.txt", 0, 0), NOTCAP);
    /* absolute paths handed to the host directly */
    CHECK_WASI(raw_open("/etc/passwd", 0, 0), NOTCAP);
    CHECK_WASI(raw_open("/", 0, __WASI_OFLAGS_DIRECTORY), NOTCAP);
    /* a path under no preopen never reaches the host */
    CHECK_ERRNO(open("/etc/passwd", O_RDONLY), ENOTCAPABLE);

    /* symlinks, last component and intermediate */
    CHECK_WASI(raw_open("up", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, __WASI_OFLAGS_DIRECTORY), NOTCAP);
    CHECK_WASI(raw_open("up/secret.txt", 0, 0), NOTCAP);
    CHECK_WASI(raw_open("up/secret.txt", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0), NOTCAP);
    CHECK_WASI(raw_open("abs/passwd", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0), NOTCAP);
    CHECK_WASI(raw_open("abs", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, __WASI_OFLAGS_DIRECTORY), NOTCAP);
    CHECK_ERRNO(open("/sandbox/up/secret.txt", O_RDONLY), ENOTCAPABLE);
    CHECK_ERRNO(stat("/sandbox/up/secret.txt", &st), ENOTCAPABLE);
    CHECK_ERRNO(stat("/sandbox/abs", &st), ENOTCAPABLE);
    CHECK(lstat("/sandbox/abs", &st) == 0 && S_ISLNK(st.st_mode)); /* the link itself is fine */
    /* not following the last symlink: the open refuses it, as O_NOFOLLOW does natively */
    CHECK_WASI(raw_open("up", 0, __WASI_OFLAGS_DIRECTORY), __WASI_ERRNO_NOTDIR);
    CHECK_WASI(raw_open("abs", 0, 0), __WASI_ERRNO_LOOP);
    /* dangling symlink out: creating through it must not create anything */
    CHECK_WASI(raw_open("dangle", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, __WASI_OFLAGS_CREAT), NOTCAP);
    CHECK_ERRNO(open("/sandbox/dangle", O_WRONLY | O_CREAT, 0644), ENOTCAPABLE);
    CHECK_ERRNO(open("/sandbox/dangle", O_RDONLY | O_CREAT, 0644), ENOTCAPABLE);
    /* symlink loops */
    CHECK_WASI(raw_open("loop1", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0), __WASI_ERRNO_LOOP);
    CHECK_ERRNO(stat("/sandbox/loop1/x", &st), ELOOP);

    /* creating, removing, linking and renaming outside */
    CHECK_ERRNO(mkdir("/sandbox/../newdir", 0755), ENOTCAPABLE);
    CHECK_ERRNO(mkdir("/sandbox/up/newdir", 0755), ENOTCAPABLE);
    CHECK_ERRNO(rmdir("/sandbox/../outside-dir"), ENOTCAPABLE);
    CHECK_ERRNO(unlink("/sandbox/../secret.txt"), ENOTCAPABLE);
    CHECK_ERRNO(unlink("/sandbox/up/secret.txt"), ENOTCAPABLE);
    CHECK_ERRNO(link("/sandbox/inside.txt", "/sandbox/../hardlink"), ENOTCAPABLE);
    CHECK_ERRNO(link("/sandbox/../secret.txt", "/sandbox/stolen"), ENOTCAPABLE);
    CHECK_ERRNO(link("/sandbox/up/secret.txt", "/sandbox/stolen"), ENOTCAPABLE);
    CHECK_ERRNO(rename("/sandbox/inside.txt", "/sandbox/../moved"), ENOTCAPABLE);
    CHECK_ERRNO(rename("/sandbox/../secret.txt", "/sandbox/moved"), ENOTCAPABLE);
    CHECK_ERRNO(rename("/sandbox/inside.txt", "/sandbox/up/moved"), ENOTCAPABLE);
    CHECK_ERRNO(symlink("/etc/passwd", "/sandbox/newabs"), ENOTCAPABLE);
    CHECK_ERRNO(symlink("x", "/sandbox/../newlink"), ENOTCAPABLE);
    CHECK_WASI(__wasi_path_filestat_set_times(3, 0, "../secret.txt", 1, 1,
                                              __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM),
               NOTCAP);
    CHECK_WASI(__wasi_path_filestat_set_times(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "up/secret.txt",
                                              1, 1, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM),
               NOTCAP);
    char buf[64];
    CHECK_ERRNO(readlink("/sandbox/../link-outside", buf, sizeof buf), ENOTCAPABLE);
    /* renaming the preopen's own entry `..` or into it */
    CHECK_ERRNO(rename("/sandbox/..", "/sandbox/x"), ENOTCAPABLE);

    /* the read-only preopen: read yes, change nothing */
    int fd = open("/ro/file.txt", O_RDONLY);
    CHECK(fd >= 0);
    CHECK(read(fd, buf, sizeof buf) == 8 && memcmp(buf, "readonly", 8) == 0);
    CHECK_ERRNO(write(fd, "x", 1), EBADF);
    close(fd);
    CHECK(opendir("/ro") != NULL);
    CHECK_ERRNO(open("/ro/file.txt", O_WRONLY), ENOTCAPABLE);
    CHECK_ERRNO(open("/ro/file.txt", O_RDWR), ENOTCAPABLE);
    CHECK_ERRNO(open("/ro/new.txt", O_WRONLY | O_CREAT, 0644), ENOTCAPABLE);
    /* creating without asking to write (O_CREAT with read-only access, which WASI allows) */
    CHECK_ERRNO(open("/ro/new.txt", O_RDONLY | O_CREAT, 0644), ENOTCAPABLE);
    CHECK_ERRNO(open("/ro/file.txt", O_RDONLY | O_TRUNC), ENOTCAPABLE);
    CHECK_ERRNO(mkdir("/ro/d", 0755), ENOTCAPABLE);
    CHECK_ERRNO(unlink("/ro/file.txt"), ENOTCAPABLE);
    CHECK_ERRNO(rename("/ro/file.txt", "/ro/other.txt"), ENOTCAPABLE);
    CHECK_ERRNO(rename("/ro/file.txt", "/sandbox/taken.txt"), ENOTCAPABLE);
    CHECK_ERRNO(link("/ro/file.txt", "/ro/l"), ENOTCAPABLE);
    CHECK_ERRNO(symlink("file.txt", "/ro/s"), ENOTCAPABLE);
    /* the preopen's rights cannot be raised again */
    __wasi_fdstat_t fs;
    CHECK_WASI(__wasi_fd_fdstat_get(4, &fs), 0);
    CHECK((fs.fs_rights_base & __WASI_RIGHTS_PATH_CREATE_FILE) == 0);
    CHECK_WASI(__wasi_fd_fdstat_set_rights(4, fs.fs_rights_base | __WASI_RIGHTS_PATH_CREATE_FILE,
                                           fs.fs_rights_inheriting),
               NOTCAP);
    /* fds that were never given */
    CHECK_WASI(__wasi_fd_prestat_get(5, &(__wasi_prestat_t){0}), __WASI_ERRNO_BADF);
    CHECK_ERRNO(read(5, buf, 1), EBADF);
    CHECK_ERRNO(write(100, buf, 1), EBADF);
    printf("escape ok\n");
    return 0;
}
