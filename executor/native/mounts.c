/* The container's mount tree. Targets are resolved in the container root
 * and mounted through /proc/self/fd/N; bind sources are host paths opened
 * O_PATH first, so the kernel mounts exactly what was checked. */
#include "planc.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const struct { const char *name; unsigned long bit; } mount_flags[] = {
	{"ro", MS_RDONLY}, {"nosuid", MS_NOSUID}, {"nodev", MS_NODEV}, {"noexec", MS_NOEXEC},
	{"sync", MS_SYNCHRONOUS}, {"dirsync", MS_DIRSYNC}, {"mand", MS_MANDLOCK},
	{"noatime", MS_NOATIME}, {"nodiratime", MS_NODIRATIME}, {"relatime", MS_RELATIME},
	{"strictatime", MS_STRICTATIME}, {"bind", MS_BIND}, {"rec", MS_REC}, {"remount", MS_REMOUNT},
};

/* Per-mount flags a bind remount can change (everything else is per-sb). */
#define BIND_FLAGS (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME)

static int flags_of(const mp *a, const char *where, unsigned long *out)
{
	const mp *arr = need_arr(a, "flags");
	if (!arr)
		return -1;
	*out = 0;
	for (uint32_t k = 0; k < arr->len; k++) {
		const char *f = mp_str(&arr->kids[k]);
		size_t j = 0;
		while (j < sizeof mount_flags / sizeof *mount_flags && (!f || strcmp(f, mount_flags[j].name)))
			j++;
		if (j == sizeof mount_flags / sizeof *mount_flags)
			return failx(EINVAL, "mount on \"%s\": unknown flag \"%s\"", where, f ? f : "?");
		*out |= mount_flags[j].bit;
	}
	return 0;
}

static unsigned long propagation(const char *p)
{
	static const struct { const char *name; unsigned long bit; } t[] = {
		{"shared", MS_SHARED}, {"slave", MS_SLAVE}, {"private", MS_PRIVATE}, {"unbindable", MS_UNBINDABLE},
	};
	int rec = p && p[0] == 'r';
	for (size_t j = 0; p && j < sizeof t / sizeof *t; j++)
		if (!strcmp(p + rec, t[j].name))
			return t[j].bit | (rec ? MS_REC : 0);
	return 0;
}

/* A bind remount that keeps the flags the mount already has: in a user
 * namespace nosuid/nodev/noexec/atime are locked and dropping them is EPERM. */
static int bind_remount(int fd, unsigned long want, int keep)
{
	unsigned long fl = MS_BIND | MS_REMOUNT | want;
	if (keep) {
		struct statvfs sv;
		if (fstatvfs(fd, &sv))
			return -1;
		fl |= (sv.f_flag & ST_NOSUID ? MS_NOSUID : 0) | (sv.f_flag & ST_NODEV ? MS_NODEV : 0) |
		      (sv.f_flag & ST_NOEXEC ? MS_NOEXEC : 0) | (sv.f_flag & ST_NOATIME ? MS_NOATIME : 0) |
		      (sv.f_flag & ST_NODIRATIME ? MS_NODIRATIME : 0) | (sv.f_flag & ST_RELATIME ? MS_RELATIME : 0);
	}
	int rc = mount(NULL, fdp(fd).s, NULL, fl, NULL);
	if (rc && errno == EPERM && !keep)
		return bind_remount(fd, want, 1);
	return rc;
}

static int close_ret(int rc, int fd1, int fd2)
{
	if (fd1 >= 0)
		close(fd1);
	if (fd2 >= 0)
		close(fd2);
	return rc;
}

static int not_on(const char *what, const char *path, const char *fs)
{
	if (errno == EXDEV)
		return failx(EXDEV, "%s \"%s\": not on %s", what, path, fs);
	return fail(errno, "%s \"%s\": fstatfs", what, path);
}

int op_rootfs_propagation(const mp *a, struct ctx *c)
{
	(void)c;
	const char *p = need_str(a, "propagation");
	if (!p)
		return FAILED;
	unsigned long fl = propagation(p);
	if (!fl)
		return failx(EINVAL, "rootfs propagation \"%s\": unknown", p);
	if (mount(NULL, "/", NULL, fl, NULL))
		return fail(errno, "make \"/\" %s", p);
	return DONE;
}

int op_rootfs_bind(const mp *a, struct ctx *c)
{
	const char *path = need_str(a, "path");
	if (!path)
		return FAILED;
	int s = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s < 0)
		return fail(errno, "open rootfs \"%s\"", path);
	if (mount(fdp(s).s, fdp(s).s, NULL, MS_BIND | MS_REC, NULL))
		return close_ret(fail(errno, "bind rootfs \"%s\"", path), s, -1);
	close(s);
	/* Reopened by path: the new fd names the bind mount, not the dir below. */
	if ((c->rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return fail(errno, "open rootfs \"%s\"", path);
	return DONE;
}

static int reopen_root(struct ctx *c)
{
	close(c->rootfd);
	if ((c->rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return fail(errno, "open new \"/\"");
	return DONE;
}

int op_rootfs_pivot(const mp *a, struct ctx *c)
{
	(void)a;
	if (c->rootfd < 0)
		return failx(EINVAL, "pivot_root: no rootfs.bind before it");
	if (fchdir(c->rootfd))
		return fail(errno, "pivot_root: chdir to rootfs");
	/* pivot_root(".", ".") stacks the old root on the new one, no put_old dir needed. */
	if (syscall(SYS_pivot_root, ".", "."))
		return fail(errno, "pivot_root");
	/* rslave first so detaching the old root cannot propagate unmounts to the host. */
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL))
		return fail(errno, "pivot_root: make old root rslave");
	if (umount2(".", MNT_DETACH))
		return fail(errno, "pivot_root: detach old root");
	if (chdir("/"))
		return fail(errno, "pivot_root: chdir \"/\"");
	return reopen_root(c);
}

int op_rootfs_chroot(const mp *a, struct ctx *c)
{
	(void)a;
	if (c->rootfd < 0)
		return failx(EINVAL, "chroot: no rootfs.bind before it");
	if (fchdir(c->rootfd))
		return fail(errno, "chroot: chdir to rootfs");
	if (mount(".", "/", NULL, MS_MOVE, NULL))
		return fail(errno, "chroot: move rootfs onto \"/\"");
	if (chroot(".") || chdir("/"))
		return fail(errno, "chroot");
	return reopen_root(c);
}

int op_rootfs_readonly(const mp *a, struct ctx *c)
{
	(void)a;
	if (c->rootfd < 0)
		return failx(EINVAL, "remount \"/\" read-only: no rootfs");
	if (bind_remount(c->rootfd, MS_RDONLY, 1))
		return fail(errno, "remount \"/\" read-only");
	return DONE;
}

int op_mount(const mp *a, struct ctx *c)
{
	const char *src = need_str(a, "source"), *dst = need_str(a, "target");
	const char *type = need_str(a, "fstype"), *data = need_str(a, "data"), *create = need_str(a, "create");
	const char *fs = mp_str(mp_get(a, "expectFs"));
	unsigned long fl;
	if (!src || !dst || !type || !data || !create || flags_of(a, dst, &fl))
		return FAILED;
	int mk = MK_DIR, s = -1, t;
	if (fl & MS_BIND) {
		struct stat st;
		if ((s = open(src, O_PATH | O_CLOEXEC)) < 0)
			return fail(errno, "mount \"%s\" on \"%s\": open source", src, dst);
		if (!strcmp(create, "auto") && !fstat(s, &st) && !S_ISDIR(st.st_mode))
			mk = MK_FILE;
	}
	if ((t = path_resolve(c, dst, mk)) < 0)
		return close_ret(fail(errno, "mount \"%s\" on \"%s\": open target", src, dst), s, -1);
	if (expect_fs(t, fs))
		return close_ret(not_on("mount on", dst, fs), s, t);
	int rc;
	if (fl & MS_BIND) {
		rc = mount(fdp(s).s, fdp(t).s, NULL, MS_BIND | (fl & MS_REC), NULL);
		close_ret(0, s, t);
		/* A bind mount ignores its other flags: they need a remount of the new mount. */
		if (!rc && (fl & BIND_FLAGS)) {
			if ((t = path_resolve(c, dst, MK_NONE)) < 0)
				return fail(errno, "mount \"%s\" on \"%s\": reopen target", src, dst);
			rc = close_ret(bind_remount(t, fl & BIND_FLAGS, 0), t, -1);
		}
	} else {
		rc = close_ret(mount(src, fdp(t).s, type, fl, *data ? data : NULL), t, -1);
	}
	return rc ? fail(errno, "mount \"%s\" on \"%s\"", src, dst) : DONE;
}

int op_mount_remount(const mp *a, struct ctx *c)
{
	const char *dst = need_str(a, "target");
	unsigned long fl;
	if (!dst || flags_of(a, dst, &fl))
		return FAILED;
	int t = path_resolve(c, dst, MK_NONE);
	if (t < 0)
		return fail(errno, "remount \"%s\"", dst);
	int rc = fl & MS_BIND ? bind_remount(t, fl & ~(MS_BIND | MS_REMOUNT), 0)
			      : mount(NULL, fdp(t).s, NULL, fl | MS_REMOUNT, NULL);
	return close_ret(rc ? fail(errno, "remount \"%s\"", dst) : DONE, t, -1);
}

int op_mount_propagation(const mp *a, struct ctx *c)
{
	const char *dst = need_str(a, "target"), *p = need_str(a, "propagation");
	if (!dst || !p)
		return FAILED;
	unsigned long fl = propagation(p);
	if (!fl)
		return failx(EINVAL, "propagation \"%s\" of \"%s\": unknown", p, dst);
	int t = path_resolve(c, dst, MK_NONE);
	if (t < 0)
		return fail(errno, "make \"%s\" %s", dst, p);
	int rc = mount(NULL, fdp(t).s, NULL, fl, NULL);
	return close_ret(rc ? fail(errno, "make \"%s\" %s", dst, p) : DONE, t, -1);
}

/* Resolves a mask/readonly path; a path the image does not have is skipped. */
static int protect_target(const mp *a, struct ctx *c, const char *what, const char **path, int *fd)
{
	const char *fs = mp_str(mp_get(a, "expectFs"));
	if (!(*path = need_str(a, "path")))
		return FAILED;
	if ((*fd = path_resolve(c, *path, MK_NONE)) < 0)
		return errno == ENOENT ? skip("does not exist") : fail(errno, "%s \"%s\"", what, *path);
	if (expect_fs(*fd, fs))
		return close_ret(not_on(what, *path, fs), *fd, -1);
	return DONE;
}

int op_mask(const mp *a, struct ctx *c)
{
	const char *path;
	struct stat st;
	int t, n = -1, rc = protect_target(a, c, "mask", &path, &t);
	if (rc != DONE)
		return rc;
	if (fstat(t, &st))
		return close_ret(fail(errno, "mask \"%s\"", path), t, -1);
	if (S_ISDIR(st.st_mode)) {
		rc = mount("tmpfs", fdp(t).s, "tmpfs", MS_RDONLY, NULL);
	} else {
		/* The container's /dev/null must really be 1:3, or the "mask" would
		 * expose whatever the image put there instead. */
		if ((n = path_resolve(c, "/dev/null", MK_NONE)) < 0 || fstat(n, &st))
			return close_ret(fail(errno, "mask \"%s\": open /dev/null", path), t, n);
		if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
			return close_ret(failx(EINVAL, "mask \"%s\": /dev/null is not the null device", path), t, n);
		rc = mount(fdp(n).s, fdp(t).s, NULL, MS_BIND, NULL);
	}
	return close_ret(rc ? fail(errno, "mask \"%s\"", path) : DONE, t, n);
}

int op_readonly(const mp *a, struct ctx *c)
{
	const char *path;
	int t, rc = protect_target(a, c, "readonly", &path, &t);
	if (rc != DONE)
		return rc;
	rc = mount(fdp(t).s, fdp(t).s, NULL, MS_BIND | MS_REC, NULL);
	close(t);
	if (rc)
		return fail(errno, "readonly \"%s\": bind", path);
	if ((t = path_resolve(c, path, MK_NONE)) < 0)
		return fail(errno, "readonly \"%s\": reopen", path);
	rc = bind_remount(t, MS_RDONLY | MS_REC, 1);
	return close_ret(rc ? fail(errno, "readonly \"%s\": remount", path) : DONE, t, -1);
}
