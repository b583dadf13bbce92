/* cgroup directories and control files, written by P in the runtime's
 * namespaces (host paths: these come from the planner, not the image). */
#include "planc.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

/* 1 or 2: which cgroup version's filesystem fd is on; 0: none (or fstatfs failed, errno says why). */
static int cgroupfs_version(int fd)
{
	struct statfs st;
	if (fstatfs(fd, &st))
		return 0;
	return st.f_type == CGROUP_SUPER_MAGIC ? 1 : st.f_type == CGROUP2_SUPER_MAGIC ? 2 : 0;
}

int on_cgroupfs(int fd)
{
	return cgroupfs_version(fd) != 0;
}

/* Only files of a cgroup filesystem: a wrong path must not become a write
 * to an arbitrary host file. */
static int cgroup_open(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0 && !on_cgroupfs(fd)) {
		close(fd);
		errno = EXDEV;
		return -1;
	}
	return fd;
}

/* Splits path into its directory (dir, at most 4096 bytes) and last name. */
static const char *split(const char *path, char dir[4096])
{
	size_t n = strlen(path);
	if (n >= 4096)
		return errno = ENAMETOOLONG, NULL;
	memcpy(dir, path, n + 1);
	while (n > 1 && dir[n - 1] == '/')
		dir[--n] = 0;
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return errno = EINVAL, NULL; /* "/x": no cgroup is a top-level directory */
	*slash = 0;
	const char *name = slash + 1;
	if (!*name || !strcmp(name, ".") || !strcmp(name, "..") || strlen(name) > 255)
		return errno = EINVAL, NULL;
	return name;
}

/* An O_PATH fd of the directory path. A missing component is created with
 * mkdirat(), and only in a directory that is on a cgroup filesystem: above
 * the hierarchies (/sys/fs/cgroup itself) or elsewhere on the host, nothing
 * is created. */
static int cgroup_dir(const char *path, int depth)
{
	char dir[4096];
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 || errno != ENOENT || depth > 64)
		return fd;
	const char *name = split(path, dir);
	int p = name ? cgroup_dir(dir, depth + 1) : -1;
	if (p < 0)
		return -1;
	if (!on_cgroupfs(p)) {
		close(p);
		return errno = EXDEV, -1;
	}
	if (mkdirat(p, name, 0755) && errno != EEXIST) {
		int e = errno;
		close(p);
		return errno = e, -1;
	}
	fd = openat(p, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int e = errno;
	close(p);
	errno = e;
	return fd;
}

/* v1 cpuset: no task can join a cpuset without cpus and mems, and a new one
 * has neither. Each file of `inherit` (cpuset.cpus, cpuset.mems) that is
 * empty in dir gets parent's value, as runc does for every level it passes. */
static int read_at(int dir, const char *name, char *buf, size_t size)
{
	int fd = openat(dir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	if (!on_cgroupfs(fd)) {
		close(fd);
		return errno = EXDEV, -1;
	}
	size_t n = 0;
	ssize_t r;
	while (n < size - 1 && ((r = read(fd, buf + n, size - 1 - n)) > 0 || (r < 0 && errno == EINTR)))
		n += r > 0 ? (size_t)r : 0;
	int e = errno;
	close(fd);
	buf[n] = 0;
	if (r < 0)
		return errno = e, -1;
	if (n == size - 1)
		return errno = E2BIG, -1;
	return (int)n;
}

static int blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\n' && *s != '\t')
			return 0;
	return 1;
}

static int inherit_from(int parent, int dir, char **inherit)
{
	char own[4096], theirs[4096];
	for (; inherit && *inherit; inherit++) {
		const char *f = *inherit;
		if (strcmp(f, "cpuset.cpus") && strcmp(f, "cpuset.mems"))
			return errno = EINVAL, -1; /* the plan schema allows only these two */
		if (read_at(dir, f, own, sizeof own) < 0)
			return -1;
		if (!blank(own))
			continue;
		int n = read_at(parent, f, theirs, sizeof theirs);
		if (n < 0)
			return -1;
		int fd = openat(dir, f, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			return -1;
		int rc = on_cgroupfs(fd) ? write_all(fd, theirs, (size_t)n) : (errno = EXDEV, -1);
		int e = errno;
		close(fd);
		if (rc)
			return errno = e, -1;
	}
	return 0;
}

/* cgroup_dir for a cgroup that inherits (v1 cpuset): every level from the
 * hierarchy's root down is visited, found or made, so that an empty
 * ancestor is filled before its child copies it. Above the hierarchy (the
 * parent is not on cgroupfs) nothing is made or written. */
static int inheriting_dir(const char *path, int depth, char **inherit)
{
	char dir[4096];
	if (depth > 64)
		return errno = ELOOP, -1;
	const char *name = split(path, dir);
	if (!name)
		return open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int p = inheriting_dir(dir, depth + 1, inherit);
	if (p < 0)
		return -1;
	if (!on_cgroupfs(p)) {
		close(p);
		return open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	if (mkdirat(p, name, 0755) && errno != EEXIST) {
		int e = errno;
		close(p);
		return errno = e, -1;
	}
	int fd = openat(p, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && inherit_from(p, fd, inherit)) {
		int e = errno;
		close(fd);
		fd = -1;
		errno = e;
	}
	int e = errno;
	close(p);
	errno = e;
	return fd;
}

/* Members of the cgroup dir (lines of its cgroup.procs), or -1. */
static long members(int dir)
{
	char buf[4096];
	long n = 0;
	ssize_t r;
	int fd = openat(dir, "cgroup.procs", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	while ((r = read(fd, buf, sizeof buf)) > 0 || (r < 0 && errno == EINTR))
		for (ssize_t k = 0; k < r; k++)
			n += buf[k] == '\n';
	int e = errno;
	close(fd);
	errno = e;
	return r < 0 ? -1 : n;
}

/* The container's cgroup: made with mkdir in a directory checked to be on a
 * cgroup filesystem. One that already exists is joined only while it has no
 * process: planc never shares a cgroup with processes it did not start (its
 * teardown kills a cgroup's members). The record tells the teardown which
 * directory this was and whether planc made it (PROTOCOL.md). With inherit
 * (v1 cpuset), every level on the way gets its parent's cpus and mems where
 * it has none; a leaf that cannot get them is removed again if planc made it. */
static int create(const char *path, char **inherit, struct ctx *c)
{
	char dir[4096];
	struct stat st;
	const char *name = split(path, dir);
	if (!name)
		return fail(errno, "create cgroup \"%s\"", path);
	int p = inherit ? inheriting_dir(dir, 0, inherit) : cgroup_dir(dir, 0);
	if (p < 0)
		return fail(errno, "create cgroup \"%s\": open \"%s\"", path, dir);
	if (!on_cgroupfs(p)) {
		close(p);
		return failx(EXDEV, "create cgroup \"%s\": \"%s\" is not on a cgroup filesystem", path, dir);
	}
	int made = !mkdirat(p, name, 0755), d = -1;
	if (made || errno == EEXIST)
		d = openat(p, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int e = errno;
	if (d < 0) {
		close(p);
		return fail(e, "create cgroup \"%s\"", path);
	}
	long n = made ? 0 : members(d);
	if (n < 0 || fstat(d, &st)) {
		e = errno;
		close(d);
		close(p);
		return fail(e, "create cgroup \"%s\"", path);
	}
	if (n > 0) {
		close(d);
		close(p);
		return failx(EBUSY, "create cgroup \"%s\": it already has %ld process%s; planc does not share a cgroup with "
			     "processes it did not start", path, n, n == 1 ? "" : "es");
	}
	if (inherit && inherit_from(p, d, inherit)) {
		e = errno;
		close(d);
		if (made)
			unlinkat(p, name, AT_REMOVEDIR);
		close(p);
		return fail(e, "create cgroup \"%s\": copy cpuset.cpus and cpuset.mems from \"%s\"", path, dir);
	}
	if (cgroup_entry_keep(c, path, d) == FAILED) {
		close(d);
		if (made)
			unlinkat(p, name, AT_REMOVEDIR);
		close(p);
		return FAILED;
	}
	close(d);
	close(p);
	report_field("ino", (long long)st.st_ino);
	report_flag("made", made);
	return DONE;
}

int op_cgroup_create(const mp *a, struct ctx *c)
{
	const char *path = need_str(a, "path");
	if (!path)
		return FAILED;
	const mp *inh = mp_get(a, "inherit");
	char **inherit = inh ? mp_strv(inh) : NULL;
	if (inh && !inherit)
		return failx(EINVAL, "plan: field \"inherit\" is not an array of strings");
	int rc = create(path, inherit, c);
	free(inherit);
	return rc;
}

int op_cgroup_write(const mp *a, struct ctx *c)
{
	(void)c;
	const char *path = need_str(a, "path"), *file = need_str(a, "file"), *value = need_str(a, "value");
	char full[4096];
	if (!path || !file || !value)
		return FAILED;
#ifdef PLANC_WEAKEN_DEVICES
	if (!strncmp(file, "devices.", 8)) /* test-only regression (escapes.test.ts): no device rules */
		return DONE;
#endif
	if (snprintf(full, sizeof full, "%s/%s", path, file) >= (int)sizeof full)
		return failx(ENAMETOOLONG, "cgroup write \"%s\": path too long", file);
	if (write_file(full, value, cgroup_open))
		return fail(errno, "cgroup write \"%s\" = \"%s\"", file, value);
	return DONE;
}

/* The file a process writes "0" to in order to move itself into the cgroup
 * dir (an O_PATH fd), opened now with the runtime's credentials: cgroupfs
 * checks a move with the opener's, and the init may by then be an unmapped
 * id in a user namespace. On v1 that is `tasks`, which moves the writing
 * thread (all of a single-threaded init) without the kernel's global
 * threadgroup lock: a write to v1 cgroup.procs, or of another process's id,
 * takes that lock for writing, and the first such write after a quiet spell
 * waits for an RCU grace period (5-27 ms on this VM). v2 moves a process only
 * through cgroup.procs (cgroup.threads stays within one domain). */
int cgroup_entry_keep(struct ctx *c, const char *path, int dir)
{
	errno = 0;
	int version = cgroupfs_version(dir);
	if (!version)
		return errno ? fail(errno, "open cgroup \"%s\"", path) : failx(EXDEV, "cgroup \"%s\" is not on a cgroup filesystem", path);
	const char *file = version == 1 ? "tasks" : "cgroup.procs";
	if ((size_t)c->ncg >= sizeof c->cg / sizeof *c->cg)
		return failx(E2BIG, "open cgroup \"%s\": too many cgroups", path);
	int fd = openat(dir, file, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return fail(errno, "open \"%s/%s\"", path, file);
	if (!(c->cg[c->ncg].path = strdup(path))) {
		close(fd);
		return fail(ENOMEM, "open cgroup \"%s\"", path);
	}
	c->cg[c->ncg++].fd = fd;
	return DONE;
}

/* The init (or exec's process) moves itself into a cgroup kept by
 * cgroup_entry_keep: "0" names the writer. The handle is closed either way. */
int cgroup_enter(struct ctx *c, const char *path, const char *what)
{
	for (int k = 0; k < c->ncg; k++) {
		if (c->cg[k].fd < 0 || strcmp(c->cg[k].path, path))
			continue;
		int rc = write_all(c->cg[k].fd, "0", 1), e = errno;
		close(c->cg[k].fd);
		c->cg[k].fd = -1;
		return rc ? fail(e, "%s \"%s\"", what, path) : DONE;
	}
	return failx(EINVAL, "%s \"%s\": the plan opened no such cgroup before the clone", what, path);
}

int op_cgroup_join(const mp *a, struct ctx *c)
{
	const char *path = need_str(a, "path");
	return path ? cgroup_enter(c, path, "cgroup join") : FAILED;
}
