/* File system calls through wasi-libc against the preopen /sandbox: files, directories,
 * links, metadata, times, flags and rights. Exits 0 when every check holds. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

#include "check.h"

static void files(void) {
    int fd = open("/sandbox/a.txt", O_RDWR | O_CREAT | O_EXCL, 0644);
    CHECK(fd >= 0);
    CHECK_ERRNO(open("/sandbox/a.txt", O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST);
    CHECK(write(fd, "hello world", 11) == 11);
    CHECK(lseek(fd, 0, SEEK_CUR) == 11);
    CHECK(lseek(fd, 6, SEEK_SET) == 6);
    char buf[32] = {0};
    CHECK(read(fd, buf, sizeof buf) == 5 && memcmp(buf, "world", 5) == 0);
    CHECK(read(fd, buf, sizeof buf) == 0);
    CHECK(pwrite(fd, "W", 1, 6) == 1);
    CHECK(pread(fd, buf, 5, 6) == 5 && memcmp(buf, "World", 5) == 0);
    CHECK(lseek(fd, -5, SEEK_END) == 6);
    CHECK_ERRNO(lseek(fd, -100, SEEK_CUR), EINVAL);
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 11 && st.st_nlink == 1);
    CHECK(ftruncate(fd, 5) == 0);
    CHECK(fstat(fd, &st) == 0 && st.st_size == 5);
    CHECK(posix_fallocate(fd, 0, 4096) == 0);
    CHECK(fstat(fd, &st) == 0 && st.st_size == 4096);
    CHECK(posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL) == 0);
    CHECK(fsync(fd) == 0);
    CHECK(fdatasync(fd) == 0);
    struct timespec times[2] = {{.tv_sec = 1000, .tv_nsec = 5}, {.tv_sec = 2000, .tv_nsec = 7}};
    CHECK(futimens(fd, times) == 0);
    CHECK(fstat(fd, &st) == 0 && st.st_atim.tv_sec == 1000 && st.st_mtim.tv_sec == 2000 &&
          st.st_mtim.tv_nsec == 7);
    CHECK(close(fd) == 0);
    CHECK_ERRNO(close(fd), EBADF);
    CHECK_ERRNO(read(fd, buf, 1), EBADF);

    /* append and truncate flags; fcntl flags */
    fd = open("/sandbox/a.txt", O_WRONLY | O_TRUNC | O_APPEND);
    CHECK(fd >= 0);
    CHECK(write(fd, "ab", 2) == 2);
    CHECK(lseek(fd, 0, SEEK_SET) == 0);
    CHECK(write(fd, "cd", 2) == 2);
    CHECK((fcntl(fd, F_GETFL) & O_APPEND) != 0);
    CHECK(fcntl(fd, F_SETFL, 0) == 0);
    CHECK((fcntl(fd, F_GETFL) & O_APPEND) == 0);
    CHECK(lseek(fd, 0, SEEK_SET) == 0 && write(fd, "X", 1) == 1);
    CHECK_ERRNO(read(fd, buf, 1), EBADF); /* opened write-only */
    close(fd);
    fd = open("/sandbox/a.txt", O_RDONLY);
    CHECK(read(fd, buf, 10) == 4 && memcmp(buf, "Xbcd", 4) == 0);
    CHECK_ERRNO(write(fd, "x", 1), EBADF); /* opened read-only */
    close(fd);
    CHECK_ERRNO(open("/sandbox/missing", O_RDONLY), ENOENT);
    CHECK_ERRNO(open("/sandbox/a.txt/x", O_RDONLY), ENOTDIR);
    CHECK_ERRNO(open("/sandbox/a.txt", O_RDONLY | O_DIRECTORY), ENOTDIR);
}

static void directories(void) {
    CHECK(mkdir("/sandbox/d", 0755) == 0);
    CHECK_ERRNO(mkdir("/sandbox/d", 0755), EEXIST);
    struct stat st;
    CHECK(stat("/sandbox/d", &st) == 0 && S_ISDIR(st.st_mode));
    CHECK(close(open("/sandbox/d/one", O_CREAT | O_WRONLY, 0644)) == 0);
    CHECK(close(open("/sandbox/d/two", O_CREAT | O_WRONLY, 0644)) == 0);
    CHECK(link("/sandbox/d/one", "/sandbox/d/three") == 0);
    CHECK(stat("/sandbox/d/one", &st) == 0 && st.st_nlink == 2);
    CHECK(rename("/sandbox/d/two", "/sandbox/d/four") == 0);
    CHECK_ERRNO(stat("/sandbox/d/two", &st), ENOENT);
    CHECK(symlink("one", "/sandbox/d/sym") == 0);
    CHECK(lstat("/sandbox/d/sym", &st) == 0 && S_ISLNK(st.st_mode));
    CHECK(stat("/sandbox/d/sym", &st) == 0 && S_ISREG(st.st_mode));
    char target[64] = {0};
    CHECK(readlink("/sandbox/d/sym", target, sizeof target) == 3 && strcmp(target, "one") == 0);
    struct timespec times[2] = {{.tv_sec = 0, .tv_nsec = UTIME_OMIT}, {.tv_sec = 3000, .tv_nsec = 0}};
    CHECK(utimensat(AT_FDCWD, "/sandbox/d/four", times, 0) == 0);
    CHECK(stat("/sandbox/d/four", &st) == 0 && st.st_mtim.tv_sec == 3000);

    DIR *dir = opendir("/sandbox/d");
    CHECK(dir != NULL);
    int seen = 0, count = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        count++;
        if (strcmp(e->d_name, "one") == 0) { seen |= 1; CHECK(e->d_type == DT_REG); }
        if (strcmp(e->d_name, "three") == 0) seen |= 2;
        if (strcmp(e->d_name, "four") == 0) seen |= 4;
        if (strcmp(e->d_name, "sym") == 0) { seen |= 8; CHECK(e->d_type == DT_LNK); }
        if (strcmp(e->d_name, ".") == 0) { seen |= 16; CHECK(e->d_type == DT_DIR); }
    }
    CHECK(seen == 31 && count == 6);
    CHECK(closedir(dir) == 0);

    CHECK_ERRNO(rmdir("/sandbox/d"), ENOTEMPTY);
    CHECK_ERRNO(unlink("/sandbox/d"), EISDIR);
    CHECK(unlink("/sandbox/d/one") == 0);
    CHECK(unlink("/sandbox/d/three") == 0);
    CHECK(unlink("/sandbox/d/four") == 0);
    CHECK(unlink("/sandbox/d/sym") == 0);
    CHECK(rmdir("/sandbox/d") == 0);
    CHECK_ERRNO(rmdir("/sandbox/d"), ENOENT);
}

static void raw_calls(void) {
    /* preopens as wasi-libc found them */
    __wasi_prestat_t pre;
    CHECK_WASI(__wasi_fd_prestat_get(3, &pre), 0);
    CHECK(pre.tag == __WASI_PREOPENTYPE_DIR && pre.u.dir.pr_name_len == 8);
    char name[16] = {0};
    CHECK_WASI(__wasi_fd_prestat_dir_name(3, (uint8_t *)name, 8), 0);
    CHECK(strcmp(name, "/sandbox") == 0);
    CHECK_WASI(__wasi_fd_prestat_get(0, &pre), __WASI_ERRNO_BADF);

    /* rights can be dropped, never regained */
    int fd = open("/sandbox/r.txt", O_RDWR | O_CREAT, 0644);
    CHECK(fd >= 0);
    __wasi_fdstat_t fs;
    CHECK_WASI(__wasi_fd_fdstat_get(fd, &fs), 0);
    CHECK(fs.fs_filetype == __WASI_FILETYPE_REGULAR_FILE);
    CHECK(fs.fs_rights_base & __WASI_RIGHTS_FD_WRITE);
    CHECK_WASI(__wasi_fd_fdstat_set_rights(fd, __WASI_RIGHTS_FD_READ, 0), 0);
    CHECK_ERRNO(write(fd, "x", 1), EBADF);
    CHECK_ERRNO(lseek(fd, 0, SEEK_SET), ESPIPE); /* wasi-libc reports ENOTCAPABLE so */
    CHECK_WASI(__wasi_fd_fdstat_set_rights(fd, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0),
               __WASI_ERRNO_NOTCAPABLE);

    /* renumber */
    int fd2 = open("/sandbox/r.txt", O_RDONLY);
    CHECK(fd2 >= 0);
    CHECK_WASI(__wasi_fd_renumber(fd2, fd), 0);
    CHECK_ERRNO(close(fd2), EBADF);
    CHECK(close(fd) == 0);
    CHECK_WASI(__wasi_fd_renumber(fd, 1), __WASI_ERRNO_BADF);

    /* fd_tell, fd_filestat_set_size through the raw API */
    fd = open("/sandbox/r.txt", O_RDWR);
    __wasi_filesize_t pos;
    CHECK(write(fd, "12345", 5) == 5);
    CHECK_WASI(__wasi_fd_tell(fd, &pos), 0);
    CHECK(pos == 5);
    CHECK_WASI(__wasi_fd_filestat_set_size(fd, 2), 0);
    __wasi_filestat_t fst;
    CHECK_WASI(__wasi_fd_filestat_get(fd, &fst), 0);
    CHECK(fst.size == 2 && fst.filetype == __WASI_FILETYPE_REGULAR_FILE);
    CHECK_WASI(__wasi_path_filestat_set_times(3, 0, "r.txt", 0, 0,
                                              __WASI_FSTFLAGS_ATIM_NOW | __WASI_FSTFLAGS_MTIM_NOW),
               0);
    CHECK_WASI(__wasi_path_filestat_get(3, 0, "r.txt", &fst), 0);
    CHECK(fst.mtim > 1600000000ull * 1000000000ull);
    CHECK_WASI(__wasi_fd_allocate(fd, 0, 0), __WASI_ERRNO_INVAL);
    close(fd);
    CHECK(unlink("/sandbox/r.txt") == 0);
}

int main(void) {
    files();
    directories();
    raw_calls();
    printf("fs ok\n");
    return 0;
}
