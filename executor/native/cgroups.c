/* cgroup directories and control files, written by P in the runtime's
 * namespaces (host paths: these come from the planner, not the image). */
#include "planc.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <sys/statfs.h>
#include <unistd.h>

/* Only files of a cgroup filesystem: a wrong path must not become a write
 * to an arbitrary host file. */
static int cgroup_open(const char *path, int flags)
{
	struct statfs st;
	int fd = open(path, flags | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0 && (fstatfs(fd, &st) || (st.f_type != CGROUP_SUPER_MAGIC && st.f_type != CGROUP2_SUPER_MAGIC))) {
		close(fd);
		errno = EXDEV;
		return -1;
	}
	return fd;
}

int op_cgroup_create(const mp *a, struct ctx *c)
{
	(void)c;
	const char *path = need_str(a, "path");
	if (!path)
		return FAILED;
	return mkdir_p(path) ? fail(errno, "create cgroup \"%s\"", path) : DONE;
}

int op_cgroup_write(const mp *a, struct ctx *c)
{
	(void)c;
	const char *path = need_str(a, "path"), *file = need_str(a, "file"), *value = need_str(a, "value");
	char full[4096];
	if (!path || !file || !value)
		return FAILED;
	if (snprintf(full, sizeof full, "%s/%s", path, file) >= (int)sizeof full)
		return failx(ENAMETOOLONG, "cgroup write \"%s\": path too long", file);
	if (write_file(full, value, cgroup_open))
		return fail(errno, "cgroup write \"%s\" = \"%s\"", file, value);
	return DONE;
}

int op_cgroup_join(const mp *a, struct ctx *c)
{
	const char *path = need_str(a, "path");
	char full[4096], pid[24];
	if (!path)
		return FAILED;
	snprintf(pid, sizeof pid, "%d", (int)c->child);
	if (snprintf(full, sizeof full, "%s/cgroup.procs", path) >= (int)sizeof full)
		return failx(ENAMETOOLONG, "cgroup join: path too long");
	if (write_file(full, pid, cgroup_open))
		return fail(errno, "cgroup join \"%s\"", path);
	return DONE;
}
