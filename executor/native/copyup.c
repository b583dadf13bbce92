/* tmpcopyup: a tmpfs mounted over a directory of the image starts with a copy
 * of what that directory held (as runc does it: entries with their mode and
 * owner; directories, regular files, symlinks, device nodes, fifos; hard
 * links become copies; times and extended attributes are not kept). The
 * image is untrusted, so nothing is followed: every lookup is relative to an
 * fd of the directory being copied, with O_NOFOLLOW, and symlinks are copied
 * as links. */
#include "planc.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 64

static int copy_file(int from, int to, const char *name, const struct stat *st)
{
	int s = openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (s < 0)
		return -1;
	int d = openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600), rc = d < 0 ? -1 : 0;
	for (off_t left = st->st_size; !rc && left > 0;) {
		ssize_t n = sendfile(d, s, NULL, left > (1 << 30) ? (1 << 30) : left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			rc = -1; /* n == 0: the file shrank while copied */
		else
			left -= n;
	}
	if (!rc)
		rc = fchown(d, st->st_uid, st->st_gid) || fchmod(d, st->st_mode & 07777) ? -1 : 0;
	int e = errno;
	close(s);
	if (d >= 0)
		close(d);
	errno = e;
	return rc;
}

static int copy_dir(int from, int to, int depth);

static int copy_entry(int from, int to, const char *name, int depth)
{
	struct stat st;
	char link[4096];
	if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW))
		return -1;
	switch (st.st_mode & S_IFMT) {
	case S_IFREG:
		return copy_file(from, to, name, &st);
	case S_IFLNK: {
		ssize_t n = readlinkat(from, name, link, sizeof link - 1);
		if (n < 0)
			return -1;
		link[n] = 0;
		return symlinkat(link, to, name) || fchownat(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) ? -1 : 0;
	}
	case S_IFDIR: {
		if (depth >= MAX_DEPTH)
			return errno = ELOOP, -1;
		if (mkdirat(to, name, 0700))
			return -1;
		int s = openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int d = s < 0 ? -1 : openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int rc = d < 0 || copy_dir(s, d, depth + 1) || fchown(d, st.st_uid, st.st_gid) || fchmod(d, st.st_mode & 07777) ? -1 : 0;
		int e = errno;
		if (s >= 0)
			close(s);
		if (d >= 0)
			close(d);
		errno = e;
		return rc;
	}
	default: /* devices, fifos, sockets: the node itself */
		return mknodat(to, name, st.st_mode, st.st_rdev) || fchownat(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) ||
		       fchmodat(to, name, st.st_mode & 07777, 0) ? -1 : 0;
	}
}

/* Copies the entries of the directory from into the directory to. On failure
 * errno is the first error's; the failed entry's name is not kept. */
static int copy_dir(int from, int to, int depth)
{
	int fd = dup(from);
	DIR *dir = fd < 0 ? NULL : fdopendir(fd);
	if (!dir) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	int rc = 0;
	struct dirent *de;
	while (!rc && (errno = 0, de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		rc = copy_entry(from, to, de->d_name, depth);
	}
	if (!rc && errno)
		rc = -1;
	int e = errno;
	closedir(dir);
	errno = e;
	return rc;
}

/* from: an fd of the directory in the image (O_PATH is enough); to: the new,
 * still detached tmpfs. */
int copy_up(int from, int to)
{
	int s = openat(from, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int d = s < 0 ? -1 : openat(to, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = d < 0 ? -1 : copy_dir(s, d, 0), e = errno;
	if (s >= 0)
		close(s);
	if (d >= 0)
		close(d);
	errno = e;
	return rc;
}
