/* The container's mount tree, built with the fd-based mount API. Targets are
 * O_PATH fds resolved in the container root, bind sources O_PATH fds of what
 * was checked, and the kernel is handed the fds themselves (open_tree,
 * fsopen/fsmount, move_mount, mount_setattr, fspick; see AT_FD in planc.h):
 * no mount names its target by a path, so neither a symlink swapped in by a
 * racing process (CVE-2021-30465 class) nor whatever the container's /proc
 * has become after pivot_root can redirect one. */
#include "planc.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Per-mount flags a bind remount can change (everything else is per-sb). */
#define BIND_FLAGS MOUNT_FLAGS_PER_MOUNT

static int flags_of(const mp *a, const char *where, unsigned long *out)
{
	const mp *arr = need_arr(a, "flags");
	if (!arr)
		return -1;
	*out = 0;
	for (uint32_t k = 0; k < arr->len; k++) {
		const char *f = mp_str(&arr->kids[k]);
		const struct name_value *flag = LOOKUP(mount_flag_table, f);
		if (!flag)
			return failx(EINVAL, "mount on \"%s\": unknown flag \"%s\"", where, f ? f : "?");
		*out |= flag->value;
	}
	return 0;
}

/* The MS_* bits of a propagation name (with MS_REC for the r* forms); 0: unknown. */
static unsigned long propagation(const char *p)
{
	const struct name_value *v = LOOKUP(propagation_table, p);
	return v ? v->value : 0;
}

/* Per-mount attributes of a set of mount(2) flags. As with mount(2),
 * strictatime wins over noatime, and relatime is the default. */
static uint64_t attrs_of(unsigned long fl)
{
	uint64_t a = (fl & MS_RDONLY ? MOUNT_ATTR_RDONLY : 0) | (fl & MS_NOSUID ? MOUNT_ATTR_NOSUID : 0) |
		     (fl & MS_NODEV ? MOUNT_ATTR_NODEV : 0) | (fl & MS_NOEXEC ? MOUNT_ATTR_NOEXEC : 0) |
		     (fl & MS_NODIRATIME ? MOUNT_ATTR_NODIRATIME : 0);
	if (fl & MS_STRICTATIME)
		a |= MOUNT_ATTR_STRICTATIME;
	else if (fl & MS_NOATIME)
		a |= MOUNT_ATTR_NOATIME;
	return a;
}

#define ATTR_FLAGS (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODIRATIME)

/* A detached mount (open_tree, fsmount) is always passed as itself. */
#define AT_TREE(fd) (fd), ""

/* Sets the per-mount flags of the mount whose root is dfd/path to those of fl, as a
 * bind remount (MS_BIND|MS_REMOUNT) does: flags not in fl are cleared, and the
 * atime mode changes only when fl names one. keep: clear nothing but
 * read-only — in a user namespace, flags inherited from a more privileged
 * mount are locked and clearing them is EPERM. */
static int set_flags(int dfd, const char *path, unsigned long fl, int keep)
{
	struct mount_attr at = {.attr_set = attrs_of(fl)};
	at.attr_clr = (keep ? MOUNT_ATTR_RDONLY : ATTR_FLAGS) & ~at.attr_set;
	if (fl & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME))
		at.attr_clr |= MOUNT_ATTR__ATIME;
	int rc = mount_setattr(dfd, path, AT_EMPTY_PATH, &at, sizeof at);
	if (rc && errno == EPERM && !keep)
		return set_flags(dfd, path, fl, 1);
	return rc;
}

/* A detached copy of the mount (rec: the tree) at fd: what MS_BIND would attach. */
static int clone_tree(int fd, int rec)
{
	return open_tree(AT_FD(fd), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | (rec ? AT_RECURSIVE : 0));
}

/* Attaches the detached mount mnt on the target fd, and closes mnt. */
static int attach(int mnt, int target)
{
	if (mnt < 0)
		return -1;
	int rc = move_mount(mnt, "", AT_FD(target), MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH | AT_FD_MOVE), e = errno;
	close(mnt);
	errno = e;
	return rc;
}

int mount_bind(int src, int dst, int rec)
{
	return attach(clone_tree(src, rec), dst);
}

/* A new detached filesystem, configured as mount(2) would from the same
 * arguments: its source, each comma-separated option of data ("key" or
 * "key=value"), and the superblock flags among fl. */
static int new_fs(const char *type, const char *src, const char *data, unsigned long fl)
{
	char *opts = strdup(data), *save = NULL;
	int fs = opts ? fsopen(type, FSOPEN_CLOEXEC) : -1;
	int rc = fs < 0 ? -1 : fsconfig(fs, FSCONFIG_SET_STRING, "source", src, 0);
	for (char *o = strtok_r(opts, ",", &save); !rc && o; o = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(o, '=');
		if (eq)
			*eq = 0;
		rc = fsconfig(fs, eq ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG, o, eq ? eq + 1 : NULL, 0);
	}
	for (size_t k = 0; !rc && k < N_MOUNT_FLAGS; k++)
		if (fl & mount_flag_table[k].value & MOUNT_FLAGS_SUPERBLOCK)
			rc = fsconfig(fs, FSCONFIG_SET_FLAG, mount_flag_table[k].name, NULL, 0);
	if (!rc)
		rc = fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0);
	int m = rc ? -1 : fsmount(fs, FSMOUNT_CLOEXEC, (unsigned)attrs_of(fl)), e = errno;
	if (fs >= 0)
		close(fs);
	free(opts);
	errno = e;
	return m;
}

/* A remount without MS_BIND: the superblock flags of the filesystem at fd
 * (set or cleared, as mount(2) with MS_REMOUNT does), then its mount flags. */
static int remount_sb(int fd, unsigned long fl)
{
	int fs = fspick(AT_FD(fd), FSPICK_CLOEXEC | FSPICK_EMPTY_PATH);
	if (fs < 0)
		return -1;
	int rc = fsconfig(fs, FSCONFIG_SET_FLAG, fl & MS_RDONLY ? "ro" : "rw", NULL, 0) ||
		 fsconfig(fs, FSCONFIG_SET_FLAG, fl & MS_SYNCHRONOUS ? "sync" : "async", NULL, 0) ||
		 (fl & MS_MANDLOCK && fsconfig(fs, FSCONFIG_SET_FLAG, "mand", NULL, 0)) ||
		 (fl & MS_DIRSYNC && fsconfig(fs, FSCONFIG_SET_FLAG, "dirsync", NULL, 0)) ||
		 fsconfig(fs, FSCONFIG_CMD_RECONFIGURE, NULL, NULL, 0);
	int e = errno;
	close(fs);
	errno = e;
	return rc ? -1 : set_flags(AT_FD(fd), fl, 0);
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
	int m = clone_tree(s, 1);
	/* After the move the fd of the copy names the new mount: no second lookup of path. */
	int rc = m < 0 ? -1 : move_mount(m, "", AT_FD(s), MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH | AT_FD_MOVE);
	int e = errno;
	close(s);
	if (rc) {
		if (m >= 0)
			close(m);
		return fail(e, "bind rootfs \"%s\"", path);
	}
	c->rootfd = m;
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
	if (set_flags(AT_FD(c->rootfd), MS_RDONLY, 1))
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
	if (fl & MS_REMOUNT)
		return failx(EINVAL, "mount on \"%s\": flag \"remount\" belongs to mount.remount", dst);
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
	int m;
	if (fl & MS_BIND) {
		m = clone_tree(s, fl & MS_REC);
		/* Flags go on the copy before it is attached: it never appears without them. */
		if (m >= 0 && (fl & BIND_FLAGS) && set_flags(AT_TREE(m), fl & BIND_FLAGS, 0)) {
			int e = errno;
			close(m);
			errno = e;
			m = -1;
		}
	} else {
		m = new_fs(type, src, data, fl);
		/* tmpcopyup: the new tmpfs gets a copy of what the directory it covers held, before it covers it. */
		const mp *copy = mp_get(a, "copyUp");
		if (m >= 0 && copy && copy->type == MP_BOOL && copy->i && copy_up(t, m)) {
			int e = errno;
			close(m);
			return close_ret(failx(e, "mount \"%s\" on \"%s\": copy up what it held: %s", src, dst, err_words(e)), s, t);
		}
	}
	int rc = attach(m, t);
	return close_ret(rc ? fail(errno, "mount \"%s\" on \"%s\"", src, dst) : DONE, s, t);
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
	int rc = fl & MS_BIND ? set_flags(AT_FD(t), fl & BIND_FLAGS, 0) : remount_sb(t, fl);
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
	struct mount_attr at = {.propagation = fl & ~MS_REC};
	int rc = mount_setattr(AT_FD(t), AT_EMPTY_PATH | (fl & MS_REC ? AT_RECURSIVE : 0), &at, sizeof at);
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
		rc = attach(new_fs("tmpfs", "tmpfs", "", MS_RDONLY), t);
	} else {
		/* The container's /dev/null must really be 1:3, or the "mask" would
		 * expose whatever the image put there instead. */
		if ((n = path_resolve(c, "/dev/null", MK_NONE)) < 0 || fstat(n, &st))
			return close_ret(fail(errno, "mask \"%s\": open /dev/null", path), t, n);
		if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
			return close_ret(failx(EINVAL, "mask \"%s\": /dev/null is not the null device", path), t, n);
		rc = mount_bind(n, t, 0);
	}
	return close_ret(rc ? fail(errno, "mask \"%s\"", path) : DONE, t, n);
}

/* A read-only copy of the tree at the path, attached over it: it appears read-only at once. */
int op_readonly(const mp *a, struct ctx *c)
{
	const char *path;
	int t, rc = protect_target(a, c, "readonly", &path, &t);
	if (rc != DONE)
		return rc;
	int m = clone_tree(t, 1);
	if (m >= 0 && set_flags(AT_TREE(m), MS_RDONLY, 1)) {
		int e = errno;
		close(m);
		errno = e;
		m = -1;
	}
	rc = attach(m, t);
	return close_ret(rc ? fail(errno, "readonly \"%s\"", path) : DONE, t, -1);
}
