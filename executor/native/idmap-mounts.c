/* Id-mapped bind mounts (mount_setattr(2) MOUNT_ATTR_IDMAP). The kernel lets
 * only a holder of CAP_SYS_ADMIN over the source's filesystem id-map a mount,
 * and an init in a user namespace has none over the host's, so P makes the
 * mapped copy in the host stage, before the clone: open_tree(OPEN_TREE_CLONE)
 * of the source, a user namespace carrying the mappings, mount_setattr on the
 * detached copy. The copy stays detached, its fd held under the index of the
 * action that made it; C inherits the fd through clone3 and attaches it with
 * move_mount where the plan's mount.attach says. P drops its own copies of the
 * fds right after the clone, so nothing of the host's mount tree stays pinned
 * by a waiting executor. */
#include "planc.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static struct held {
	int index, fd;
} *held;
static int nheld;

static int hold(int index, int fd)
{
	struct held *h = realloc(held, (nheld + 1) * sizeof *held);
	if (!h)
		return -1;
	held = h;
	held[nheld++] = (struct held){index, fd};
	return 0;
}

/* The fd held for action index, handed over (it is no longer held). */
static int take(int index)
{
	for (int k = 0; k < nheld; k++)
		if (held[k].index == index) {
			int fd = held[k].fd;
			held[k] = held[--nheld];
			return fd;
		}
	return -1;
}

void held_close_all(void)
{
	for (int k = 0; k < nheld; k++)
		close(held[k].fd);
	nheld = 0;
}

/* "containerID hostID size" lines of a uid_map/gid_map from a plan array. */
static int map_text(const mp *a, const char *key, char *buf, size_t cap)
{
	const mp *map = need_arr(a, key);
	size_t n = 0;
	if (!map)
		return -1;
	buf[0] = 0;
	for (uint32_t k = 0; k < map->len; k++) {
		int64_t cid, hid, size;
		const mp *e = &map->kids[k];
		if (need_int(e, "containerID", &cid) || need_int(e, "hostID", &hid) || need_int(e, "size", &size))
			return -1;
		int w = snprintf(buf + n, cap - n, "%lld %lld %lld\n", (long long)cid, (long long)hid, (long long)size);
		if (w < 0 || (size_t)w >= cap - n)
			return failx(E2BIG, "id-mapped mount: %s has too many entries", key);
		n += w;
	}
	return 0;
}

/* A user namespace with these maps, as an fd. A namespace gets its maps from
 * a process outside it, so a child is cloned into a new one and waits on a
 * pipe while we write its maps and open its namespace file; then it exits and
 * is reaped. The namespace lives on in the fd. */
static int userns_with(const char *uidmap, const char *gidmap)
{
	int p[2], fd = -1, e = 0;
	char path[64];
	if (pipe2(p, O_CLOEXEC))
		return -1;
	struct clone_args ca = {.flags = CLONE_NEWUSER, .exit_signal = SIGCHLD};
	pid_t pid = syscall(SYS_clone3, &ca, sizeof ca);
	if (pid == 0) {
		char b;
		close(p[1]);
		/* EOF (the parent closed its end, or died): done. */
		while (read(p[0], &b, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(p[0]);
	if (pid < 0) {
		e = errno;
		close(p[1]);
		errno = e;
		return -1;
	}
	snprintf(path, sizeof path, "%d/uid_map", (int)pid);
	if (write_file(path, uidmap, proc_open))
		e = errno;
	snprintf(path, sizeof path, "%d/gid_map", (int)pid);
	if (!e && write_file(path, gidmap, proc_open))
		e = errno;
	snprintf(path, sizeof path, "%d/ns", (int)pid);
	if (!e && (fd = proc_link(path, "user", O_RDONLY)) < 0)
		e = errno;
	close(p[1]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	errno = e;
	return e ? -1 : fd;
}

static int flag(const mp *a, const char *key, int *out)
{
	const mp *v = mp_get(a, key);
	if (!v || v->type != MP_BOOL)
		return failx(EINVAL, "plan: field \"%s\" missing or not a boolean", key);
	*out = (int)v->i;
	return 0;
}

int op_mount_idmap(const mp *a, struct ctx *c)
{
	(void)c;
	const char *src = need_str(a, "source");
	char uidmap[4096], gidmap[4096];
	int rec = 0, idrec = 0;
	if (!src || flag(a, "recursive", &rec) || flag(a, "idmapRecursive", &idrec) ||
	    map_text(a, "uidMappings", uidmap, sizeof uidmap) || map_text(a, "gidMappings", gidmap, sizeof gidmap))
		return FAILED;
	int s = open(src, O_PATH | O_CLOEXEC);
	if (s < 0)
		return fail(errno, "id-mapped mount of \"%s\": open source", src);
	int m = open_tree(s, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | (rec ? AT_RECURSIVE : 0)), e = errno;
	close(s);
	if (m < 0)
		return fail(e, "id-mapped mount of \"%s\": copy the mount", src);
	int ns = userns_with(uidmap, gidmap);
	if (ns < 0) {
		e = errno;
		close(m);
		return fail(e, "id-mapped mount of \"%s\": make a user namespace with its mappings", src);
	}
	struct mount_attr at = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = ns};
	int rc = mount_setattr(m, "", AT_EMPTY_PATH | (idrec ? AT_RECURSIVE : 0), &at, sizeof at);
	e = errno;
	close(ns);
	if (rc) {
		close(m);
		/* EINVAL: the filesystem (or, with ridmap, one below) cannot be id-mapped, e.g. it is already id-mapped or has no support. */
		return failx(e, "id-mapped mount of \"%s\": %s%s", src, err_words(e),
			     e == EINVAL ? " (its filesystem, or one mounted below it, does not support id-mapped mounts)" : "");
	}
	if (hold(report_index(), m)) {
		close(m);
		return fail(ENOMEM, "id-mapped mount of \"%s\"", src);
	}
	return DONE;
}

int op_mount_attach(const mp *a, struct ctx *c)
{
	const char *dst = need_str(a, "target"), *create = need_str(a, "create");
	const char *fs = mp_str(mp_get(a, "expectFs"));
	int64_t from;
	struct stat st;
	if (!dst || !create || need_int(a, "detached", &from))
		return FAILED;
	int m = take((int)from);
	if (m < 0)
		return failx(EINVAL, "attach onto \"%s\": action %lld made no detached mount", dst, (long long)from);
	int mk = MK_DIR;
	if (!strcmp(create, "auto") && !fstat(m, &st) && !S_ISDIR(st.st_mode))
		mk = MK_FILE;
	int t = path_resolve(c, dst, mk), e = errno;
	if (t < 0) {
		close(m);
		return fail(e, "attach the id-mapped mount onto \"%s\": open target", dst);
	}
	int rc = expect_fs(t, fs);
	if (rc) {
		e = errno;
		close(m), close(t);
		return e == EXDEV ? failx(EXDEV, "attach onto \"%s\": not on %s", dst, fs) : fail(e, "attach onto \"%s\": fstatfs", dst);
	}
	rc = move_mount(m, "", AT_FD(t), MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH | AT_FD_MOVE);
	e = errno;
	close(m);
	close(t);
	return rc ? fail(e, "attach the id-mapped mount onto \"%s\"", dst) : DONE;
}
