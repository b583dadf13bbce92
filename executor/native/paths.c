/* Container path resolution. Every container path is resolved by the kernel
 * inside the container root (openat2 RESOLVE_IN_ROOT), never by joining
 * strings onto a host path, so a symlink in the image cannot point a mount
 * or a write outside the rootfs (CVE-2021-30465 class). */
#include "planc.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef PLANC_WEAKEN_PROC
struct fdp fdp(int fd)
{
	struct fdp p;
	snprintf(p.s, sizeof p.s, "/proc/self/fd/%d", fd);
	return p;
}
#endif

static int in_root(struct ctx *c, const char *path, int flags)
{
	struct open_how how = {
		.flags = flags | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	if (c->rootfd < 0) {
		errno = EBADF; /* no rootfs.bind yet: nothing to resolve in */
		return -1;
	}
#ifdef PLANC_WEAKEN_RESOLVE
	/* Test-only regression (escapes.test.ts): the container path taken relative to
	 * the rootfs, but resolved with the runtime's root, as a string join would be:
	 * an absolute symlink in the rootfs points at the host. */
	while (*path == '/')
		path++;
	if (!*path)
		path = ".";
	how.resolve = 0;
#endif
	for (int tries = 0; tries < 16; tries++) {
		int fd = syscall(SYS_openat2, c->rootfd, path, &how, sizeof how);
		if (fd >= 0 || errno != EAGAIN) /* EAGAIN: a concurrent rename, retry */
			return fd;
	}
	return -1;
}

/* O_PATH fd of a container path. With mk, missing components are created
 * one by one with mkdirat() on a parent that was itself resolved in root. */
int path_resolve(struct ctx *c, const char *path, int mk)
{
	int fd = in_root(c, path, O_PATH);
	if (fd >= 0 || errno != ENOENT || mk == MK_NONE)
		return fd;
	char buf[4096];
	if (snprintf(buf, sizeof buf, "/%s", path) >= (int)sizeof buf)
		return errno = ENAMETOOLONG, -1;
	int parent = in_root(c, "/", O_PATH | O_DIRECTORY);
	char *p = buf;
	while (parent >= 0) {
		while (*p == '/')
			p++;
		if (!*p)
			return parent;
		char *e = p + strcspn(p, "/");
		char saved = *e;
		*e = 0;
		int last = !saved || !e[1 + strspn(e + 1, "/")];
		int next = in_root(c, buf, O_PATH);
		if (next < 0 && errno == ENOENT) {
			int rc;
			if (last && mk == MK_FILE) {
				if ((rc = openat(parent, p, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644)) >= 0)
					rc = close(rc);
			} else {
				rc = mkdirat(parent, p, 0755);
			}
			/* EEXIST: a racing creator or a dangling symlink; resolving again decides. */
			next = rc && errno != EEXIST ? -1 : in_root(c, buf, O_PATH);
		}
		int e2 = errno;
		close(parent);
		errno = e2;
		parent = next;
		*e = saved;
		p = e;
	}
	return -1;
}

/* Resolves (creating) the parent directory of path; the last component
 * goes to base for the *at() call that creates it. */
int path_parent(struct ctx *c, const char *path, char base[256])
{
	char dir[4096];
	size_t n = strlen(path);
	if (n >= sizeof dir)
		return errno = ENAMETOOLONG, -1;
	memcpy(dir, path, n + 1);
	while (n > 1 && dir[n - 1] == '/')
		dir[--n] = 0;
	char *slash = strrchr(dir, '/');
	const char *name = slash ? slash + 1 : dir;
	if (!*name || !strcmp(name, ".") || !strcmp(name, "..") || strlen(name) > 255)
		return errno = EINVAL, -1;
	strcpy(base, name);
	if (slash)
		slash[slash == dir] = 0; /* keep "/" for a top-level name */
	return path_resolve(c, slash ? dir : ".", MK_DIR);
}

/* The /proc and /sys checks: a bind mount or a symlink in the image must
 * not pass for the kernel's own filesystem. */
int expect_fs(int fd, const char *fs)
{
	struct statfs st;
#ifdef PLANC_WEAKEN_FSCHECK
	fs = NULL; /* test-only regression (escapes.test.ts): no filesystem check */
#endif
	if (!fs)
		return 0;
	if (fstatfs(fd, &st))
		return -1;
	if ((!strcmp(fs, "proc") && st.f_type == PROC_SUPER_MAGIC) ||
	    (!strcmp(fs, "sysfs") && st.f_type == SYSFS_MAGIC))
		return 0;
	errno = EXDEV;
	return -1;
}

/* The runtime's procfs. Opened once at start, before any namespace is joined
 * or the root changes, and checked to be the root of a procfs; every /proc
 * access of the executor goes below it. After pivot_root the container's own
 * /proc is whatever the config and the image made of it (a plain directory
 * bound over /proc, a directory of crafted links bound over /proc/1), so no
 * "/proc/..." string is ever resolved in the container's mount namespace. */
static int proc_root = -1;

#define PROC_ROOT_INO 1 /* fs/proc/internal.h */

int proc_init(void)
{
	struct statfs sf;
	struct stat st;
	/* O_NOFOLLOW: a symlink named /proc is opened as itself and fails the checks. */
	int fd = open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstatfs(fd, &sf) || fstat(fd, &st) || sf.f_type != PROC_SUPER_MAGIC || st.st_ino != PROC_ROOT_INO) {
		close(fd);
		return errno = EXDEV, -1;
	}
	proc_root = fd;
	return 0;
}

int proc_handle(void)
{
	return proc_root;
}

/* Before execve: the container gets no handle on the runtime's procfs. */
void proc_close(void)
{
	if (proc_root >= 0)
		close(proc_root);
	proc_root = -1;
}

/* path is relative to the procfs root ("self/setgroups", "sys/kernel/..."). The
 * lookup stays below it (plain links like "self" are followed, magic links
 * never), and the file must be procfs. */
int proc_open(const char *path, int flags)
{
	struct open_how how = {
		.flags = flags | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	if (proc_root < 0)
		return errno = EBADF, -1;
	int fd = syscall(SYS_openat2, proc_root, path, &how, sizeof how);
	if (fd >= 0 && expect_fs(fd, "proc")) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The files of a non-dumpable process (as the executor is) belong to host root: in a user
 * namespace the init, root there but another uid on the host, may not open its own
 * /proc/self files for writing. It turns dumpable for that one open, as crun's init is at
 * that point; the kernel checks the opener's rights in the namespace at the write. */
int proc_open_own(const char *path, int flags)
{
	int fd = proc_open(path, flags);
	if (fd < 0 && errno == EACCES) {
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		fd = proc_open(path, flags);
		int e = errno;
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		errno = e;
	}
	return fd;
}

/* Opens what the magic link dir/name points at (self/exe, self/fd/N): dir is
 * reached as in proc_open, then only the link itself is followed. */
int proc_link(const char *dir, const char *name, int flags)
{
	if (strchr(name, '/'))
		return errno = EINVAL, -1;
	int d = proc_open(dir, O_PATH | O_DIRECTORY);
	if (d < 0)
		return -1;
	int fd = openat(d, name, flags | O_CLOEXEC), e = errno;
	close(d);
	errno = e;
	return fd;
}

int write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w, n -= w;
	}
	return 0;
}

/* Kernel control files take a value in one write(); the error of that write
 * is the answer, so it is kept in errno. opener checks where the file is
 * (proc_open, cgroup files). */
int write_file(const char *path, const char *s, int (*opener)(const char *, int))
{
	int fd = opener(path, O_WRONLY);
	if (fd < 0)
		return -1;
	int rc = write_all(fd, s, strlen(s));
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}
