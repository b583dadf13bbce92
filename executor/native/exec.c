/* exec into a running container (PROTOCOL.md, "Exec plans"). P opens the
 * container's cgroups while it still sees the host, then joins the
 * namespaces of the container's init through a pidfd checked to be that
 * init; the clone that follows lands in its pid namespace; P moves the new
 * process into the cgroups through the files it opened, and the process
 * enters the cgroup namespace itself. Every other init action is the
 * container's own (rlimits, credentials, cwd, exec). */
#include "planc.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* State letter and start time (fields 3 and 22) of /proc/<pid>/stat, read
 * through the runtime's procfs. */
static int proc_stat(pid_t pid, char *state, char start[24])
{
	char path[32], buf[1024];
	snprintf(path, sizeof path, "%d/stat", (int)pid);
	int fd = proc_open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	int e = errno;
	close(fd);
	if (n <= 0)
		return errno = n ? e : EIO, -1;
	buf[n] = 0;
	/* The command name may hold spaces and parentheses: fields start after the last ')'. */
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return errno = EINVAL, -1;
	p += 2;
	*state = *p;
	for (int k = 0; k < 19 && p; k++)
		if ((p = strchr(p, ' ')))
			p++;
	size_t len = p ? strcspn(p, " ") : 0;
	if (!len || len >= 24)
		return errno = EINVAL, -1;
	memcpy(start, p, len);
	start[len] = 0;
	return 0;
}

/* Are we in the same namespace of this type as pid? (joining one's own user
 * namespace is EINVAL: an init that shares ours has no user namespace to enter) */
static int same_ns(pid_t pid, const char *type)
{
	char dir[32];
	struct stat a, b;
	snprintf(dir, sizeof dir, "%d/ns", (int)pid);
	int theirs = proc_link(dir, type, O_RDONLY), ours = proc_link("self/ns", type, O_RDONLY);
	int same = theirs >= 0 && ours >= 0 && !fstat(theirs, &a) && !fstat(ours, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
	if (theirs >= 0)
		close(theirs);
	if (ours >= 0)
		close(ours);
	return same;
}

int op_ns_enter(const mp *a, struct ctx *c)
{
	int64_t pid;
	const char *start = need_str(a, "startTime");
	const mp *nss = need_arr(a, "namespaces");
	char now[24], state;
	if (need_int(a, "pid", &pid) || !start || !nss)
		return FAILED;
	if (pid < 2 || pid > 4194304)
		return failx(EINVAL, "join namespaces: %lld is not a pid", (long long)pid);
	int flags = 0;
	for (uint32_t k = 0; k < nss->len; k++) {
		const char *name = mp_str(&nss->kids[k]);
		int f = ns_flag(name);
		if (!f)
			return failx(EINVAL, "join namespaces: unknown namespace \"%s\"", name ? name : "?");
		if (f == CLONE_NEWCGROUP) /* only after the cgroup move: cgroupns.enter */
			return failx(EINVAL, "join namespaces: the cgroup namespace is entered by cgroupns.enter");
		flags |= f;
	}
	/* Opened first and checked second: if the start time matches now, the
	 * pidfd is the init's, whatever happens to the pid afterwards. */
	int pidfd = syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (pidfd < 0)
		return errno == ESRCH ? failx(ESRCH, "the container's init (pid %lld) is not running", (long long)pid)
				      : fail(errno, "pidfd_open %lld", (long long)pid);
	if (proc_stat((pid_t)pid, &state, now) || strcmp(now, start) || state == 'Z' || state == 'X') {
		close(pidfd);
		return failx(ESRCH, "pid %lld is no longer the container's init: it has exited", (long long)pid);
	}
	if ((flags & CLONE_NEWUSER) && same_ns((pid_t)pid, "user"))
		flags &= ~CLONE_NEWUSER;
	/* One call: the kernel enters the user namespace first, then the others
	 * with the credentials it gives, all or nothing. */
	if (flags && setns(pidfd, flags)) {
		int e = errno;
		close(pidfd);
		return fail(e, "join the namespaces of the container's init (pid %lld)", (long long)pid);
	}
	c->pidfd = pidfd;
	/* setns() of a mount namespace moved our root and cwd to its root: the
	 * container's /, where every container path now resolves. */
	if (flags & CLONE_NEWNS) {
		if (c->rootfd >= 0)
			close(c->rootfd);
		if ((c->rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
			return fail(errno, "open the container's root");
	}
	return DONE;
}

int op_cgroup_open(const mp *a, struct ctx *c)
{
	const char *path = need_str(a, "path"), *sub = mp_str(mp_get(a, "sub"));
	int64_t ino;
	struct stat st;
	char full[4096];
	if (!path || need_int(a, "ino", &ino))
		return FAILED;
	/* After ns.enter a host path would resolve in the container's mount namespace. */
	if (c->pidfd >= 0)
		return failx(EINVAL, "open cgroup \"%s\": the container's namespaces are joined already", path);
	if (snprintf(full, sizeof full, "%s%s%s", path, sub ? "/" : "", sub ? sub : "") >= (int)sizeof full)
		return failx(ENAMETOOLONG, "open cgroup \"%s\"", path);
	int dir = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0)
		return fail(errno, "open cgroup \"%s\"", path);
	/* The container's cgroup as create recorded it, not a directory made again under its name. */
	if (fstat(dir, &st) || !on_cgroupfs(dir) || (int64_t)st.st_ino != ino) {
		close(dir);
		return failx(ESTALE, "cgroup \"%s\" is no longer the one the container was created in", path);
	}
	if (sub) {
		struct open_how how = {
			.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
		};
		int d = syscall(SYS_openat2, dir, sub, &how, sizeof how), e = errno;
		close(dir);
		if (d < 0)
			return e == ENOENT ? failx(ENOENT, "exec --cgroup: \"%s\": no such sub-cgroup (it must exist)", full)
					   : fail(e, "exec --cgroup: open \"%s\"", full);
		dir = d;
		if (!on_cgroupfs(dir)) {
			close(dir);
			return failx(EXDEV, "exec --cgroup: \"%s\" is not a cgroup", full);
		}
	}
	/* Its membership file opened now, written by the new process itself (cgroup_entry_keep). */
	int rc = cgroup_entry_keep(c, full, dir);
	close(dir);
	return rc;
}

int op_cgroup_attach(const mp *a, struct ctx *c)
{
	const char *path = need_str(a, "path");
	return path ? cgroup_enter(c, path, "move into cgroup") : FAILED;
}

int op_cgroupns_enter(const mp *a, struct ctx *c)
{
	(void)a;
	if (c->pidfd < 0)
		return failx(EINVAL, "join the cgroup namespace: no ns.enter before it");
	return setns(c->pidfd, CLONE_NEWCGROUP) ? fail(errno, "join the container's cgroup namespace") : DONE;
}

/* After the clone, each side closes what belongs to the other: P needs no
 * cgroup membership file (the new process moves itself), the new process no
 * end of the console socket but its own (PROTOCOL.md). */
void exec_after_clone(struct ctx *c)
{
	if (c->child == 0) {
		if (c->relay >= 0)
			close(c->relay), c->relay = -1;
		return;
	}
	for (int k = 0; k < c->ncg; k++)
		if (c->cg[k].fd >= 0)
			close(c->cg[k].fd), c->cg[k].fd = -1;
	if (c->console >= 0) {
		close(c->console);
		c->console = -1;
	}
}
