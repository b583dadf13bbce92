/* Device nodes and symlinks in the container's /dev. */
#include "planc.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int op_mknod(const mp *a, struct ctx *c)
{
	const char *path = need_str(a, "path"), *kind = need_str(a, "kind");
	int64_t maj, min, mode, uid, gid;
	char base[256];
	if (!path || !kind || need_int(a, "major", &maj) || need_int(a, "minor", &min) ||
	    need_int(a, "mode", &mode) || need_int(a, "uid", &uid) || need_int(a, "gid", &gid))
		return FAILED;
	mode_t type = !strcmp(kind, "c") || !strcmp(kind, "u") ? S_IFCHR : !strcmp(kind, "b") ? S_IFBLK
		    : !strcmp(kind, "p") ? S_IFIFO : 0;
	if (!type)
		return failx(EINVAL, "mknod \"%s\": unknown kind \"%s\"", path, kind);
	int p = path_parent(c, path, base);
	if (p < 0)
		return fail(errno, "mknod \"%s\": open parent", path);
	/* The plan's mode is exact: the umask must not take bits away. */
	mode_t old = umask(0);
	dev_t dev = makedev((unsigned)maj, (unsigned)min);
	int rc = mknodat(p, base, type | (mode & 07777), dev);
	if (rc && errno == EEXIST && !unlinkat(p, base, 0))
		rc = mknodat(p, base, type | (mode & 07777), dev);
	int e = errno;
	umask(old);
	if (!rc && fchownat(p, base, (uid_t)uid, (gid_t)gid, AT_SYMLINK_NOFOLLOW))
		rc = -1, e = errno;
	close(p);
	return rc ? fail(e, "mknod \"%s\"", path) : DONE;
}

int op_device_bind(const mp *a, struct ctx *c)
{
	const char *path = need_str(a, "path"), *src = need_str(a, "source");
	if (!path || !src)
		return FAILED;
	int s = open(src, O_PATH | O_CLOEXEC);
	if (s < 0)
		return fail(errno, "bind device \"%s\" on \"%s\": open source", src, path);
	int t = path_resolve(c, path, MK_FILE);
	int rc = t < 0 ? -1 : mount_bind(s, t, 0);
	int e = errno;
	close(s);
	if (t >= 0)
		close(t);
	return rc ? fail(e, "bind device \"%s\" on \"%s\"", src, path) : DONE;
}

int op_symlink(const mp *a, struct ctx *c)
{
	const char *path = need_str(a, "path"), *target = need_str(a, "target");
	char base[256];
	if (!path || !target)
		return FAILED;
	int p = path_parent(c, path, base);
	if (p < 0)
		return fail(errno, "symlink \"%s\": open parent", path);
	int rc = symlinkat(target, p, base), e = errno;
	close(p);
	if (rc && e == EEXIST)
		return skip("already exists");
	return rc ? fail(e, "symlink \"%s\" -> \"%s\"", path, target) : DONE;
}
