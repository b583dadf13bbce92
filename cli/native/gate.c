/* The gate, for the front: the same rules as cli/state/gate.ts, with the
 * same words. An id is checked before any filesystem access; --root and a
 * container's directory are opened O_DIRECTORY|O_NOFOLLOW and must be ours
 * and writable by nobody else; every file in them is opened with openat on
 * the directory's fd, O_NOFOLLOW. */
#include "front.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ID_MAX 255
#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

static bool id_char(char c, bool first)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return true;
	return !first && (c == '_' || c == '.' || c == '+' || c == '-');
}

bool id_shaped(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > ID_MAX)
		return false;
	for (size_t k = 0; k < n; k++)
		if (!id_char(name[k], k == 0))
			return false;
	return true;
}

void check_id(const char *id)
{
	if (!id || !*id)
		fail(NULL, "invalid container id \"\": it is empty");
	/* JavaScript counts UTF-16 units; an id of more than 255 bytes that is
	 * all ASCII is the only way to pass the alphabet, so bytes do here. */
	if (!id_shaped(id)) {
		size_t units = 0;
		for (const unsigned char *p = (const unsigned char *)id; *p; p++)
			units += (*p & 0xc0) != 0x80 ? ((*p & 0xf8) == 0xf0 ? 2 : 1) : 0;
		if (units > ID_MAX)
			fail(NULL, "invalid container id %s: longer than %d characters", quote(id), ID_MAX);
		fail(NULL, "invalid container id %s: use letters, digits and _ . + - (starting with a letter or digit)", quote(id));
	}
}

/* path.resolve: absolute against the working directory, ".", ".." and "//" folded. */
void path_resolve(const char *in, char *out, size_t cap)
{
	char buf[8192];
	if (in[0] == '/')
		snprintf(buf, sizeof buf, "%s", in);
	else {
		char cwd[4096];
		if (!getcwd(cwd, sizeof cwd))
			snprintf(cwd, sizeof cwd, "/");
		snprintf(buf, sizeof buf, "%s/%s", cwd, in);
	}
	size_t n = 0;
	out[0] = 0;
	for (char *save = NULL, *seg = strtok_r(buf, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
		if (strcmp(seg, ".") == 0)
			continue;
		if (strcmp(seg, "..") == 0) {
			while (n > 0 && out[n - 1] != '/')
				n--;
			if (n > 0)
				n--;
			out[n] = 0;
			continue;
		}
		n += (size_t)snprintf(out + n, cap - n, "/%s", seg);
		if (n >= cap)
			fail(NULL, "%s: path too long", quote(in));
	}
	if (n == 0)
		snprintf(out, cap, "/");
}

/* A directory planc may keep state in: ours (the effective uid), writable by nobody else. Else the reason. */
static const char *untrusted(int fd, const char *what, char *why, size_t cap)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return snprintf(why, cap, "%s: %s", what, errno_words(errno)), why;
	uid_t uid = geteuid();
	if (!S_ISDIR(st.st_mode))
		return snprintf(why, cap, "%s is not a directory; left alone", what), why;
	if (st.st_uid != uid)
		return snprintf(why, cap, "%s is owned by uid %u, not %u; planc does not trust it and left it alone", what, st.st_uid, uid), why;
	if (st.st_mode & 022)
		return snprintf(why, cap, "%s is writable by group or others (mode %04o); planc does not trust it and left it alone", what,
				st.st_mode & 0777),
		       why;
	return NULL;
}

bool root_open(struct root *r, const char *flag)
{
	return root_open_as(r, flag, "--root");
}

bool root_open_as(struct root *r, const char *flag, const char *w)
{
	if (!*flag)
		fail(NULL, "%s %s: not a usable directory path", w, quote(flag));
	path_resolve(flag, r->path, sizeof r->path);
	r->fd = open(r->path, DIR_FLAGS);
	if (r->fd < 0) {
		int e = errno;
		struct stat st;
		if (e == ENOENT)
			return false;
		if (e == ELOOP || (e == ENOTDIR && lstat(r->path, &st) == 0 && S_ISLNK(st.st_mode)))
			fail(NULL, "%s %s: is a symbolic link; planc keeps state only in a real directory", w, r->path);
		if (e == ENOTDIR)
			fail(NULL, "%s %s: not a directory", w, r->path);
		fail(NULL, "%s %s: %s", w, r->path, errno_words(e));
	}
	char what[4200], why[4600];
	snprintf(what, sizeof what, "%s %s", w, r->path);
	if (untrusted(r->fd, what, why, sizeof why))
		fail(NULL, "%s", why);
	return true;
}

bool cdir_open(struct cdir *d, struct root *r, const char *id)
{
	check_id(id);
	d->root = r, d->id = id;
	snprintf(d->path, sizeof d->path, "%s/%s", r->path, id);
	d->fd = openat(r->fd, id, DIR_FLAGS);
	if (d->fd < 0) {
		int e = errno;
		if (e == ENOENT)
			return false;
		if (e == ELOOP || e == ENOTDIR)
			fail(NULL, "state of %s in %s is not a directory planc made; left alone", quote(id), r->path);
		fail(NULL, "open state of %s: %s", quote(id), errno_words(e));
	}
	char what[4400], why[4800];
	snprintf(what, sizeof what, "state directory %s", d->path);
	if (untrusted(d->fd, what, why, sizeof why))
		fail(NULL, "%s", why);
	return true;
}

void cdir_lock(struct cdir *d)
{
	for (int waited = 0;; waited += 2) {
		if (flock(d->fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno != EWOULDBLOCK && errno != EINTR)
			fail(NULL, "lock container %s: errno %d", quote(d->id), errno);
		if (waited >= 10000)
			fail(d->id, "container is busy: another planc process holds its lock");
		nanosleep(&(struct timespec){0, 2000000}, NULL);
	}
	/* The holder before us may have deleted it: a removed directory has no links. */
	struct stat st;
	if (fstat(d->fd, &st) < 0 || st.st_nlink == 0)
		fail(d->id, "container does not exist");
}

char *cdir_read(struct cdir *d, const char *name, size_t max, size_t *len)
{
	int fd = openat(d->fd, name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return NULL;
		if (errno == ELOOP)
			fail(NULL, "%s/%s is a symbolic link; planc does not follow it", d->path, name);
		fail(NULL, "read %s/%s: %s", d->path, name, errno_words(errno));
	}
	struct stat st;
	if (fstat(fd, &st) < 0)
		fail(NULL, "read %s/%s: %s", d->path, name, errno_words(errno));
	if (!S_ISREG(st.st_mode))
		fail(NULL, "%s/%s is not a regular file", d->path, name);
	if ((size_t)st.st_size > max)
		fail(NULL, "%s/%s is larger than %zu bytes", d->path, name, max);
	char *buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		fail(NULL, "read %s/%s: out of memory", d->path, name);
	size_t n = 0;
	for (ssize_t r; n < (size_t)st.st_size && (r = read(fd, buf + n, (size_t)st.st_size - n)) > 0;)
		n += (size_t)r;
	close(fd);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

bool cdir_has(struct cdir *d, const char *name)
{
	struct stat st;
	return fstatat(d->fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

void cdir_write(struct cdir *d, const char *name, const char *data, size_t len)
{
	unsigned char rnd[6];
	int rfd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (rfd < 0 || read(rfd, rnd, sizeof rnd) != (ssize_t)sizeof rnd)
		fail(NULL, "write %s/%s: no randomness for a temp name", d->path, name);
	close(rfd);
	char tmp[300];
	snprintf(tmp, sizeof tmp, ".%s.%02x%02x%02x%02x%02x%02x.tmp", name, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
	int fd = openat(d->fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		fail(NULL, "write %s/%s: %s", d->path, name, errno_words(errno));
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, data + off, len - off);
		if (w <= 0) {
			int e = w < 0 ? errno : EIO;
			close(fd);
			unlinkat(d->fd, tmp, 0);
			fail(NULL, "write %s/%s: %s", d->path, name, errno_words(e));
		}
		off += (size_t)w;
	}
	close(fd);
	/* rename(2) through the directory's fd (/proc/self/fd/N/name), as the gate always reached its files: the kernel
	 * resolves both names from the open directory. */
	char from[320], to[320];
	snprintf(from, sizeof from, "/proc/self/fd/%d/%s", d->fd, tmp);
	snprintf(to, sizeof to, "/proc/self/fd/%d/%.255s", d->fd, name);
	if (rename(from, to) < 0) {
		int e = errno;
		unlinkat(d->fd, tmp, 0);
		fail(NULL, "write %s/%s: %s", d->path, name, errno_words(e));
	}
}

void cdir_unlink(struct cdir *d, const char *name)
{
	if (unlinkat(d->fd, name, 0) < 0 && errno != ENOENT)
		fail(NULL, "remove %s/%s: %s", d->path, name, errno_words(errno));
}

void cdir_open_existing(struct cdir *d, struct root *root, const char *root_flag, const char *id)
{
	check_id(id);
	if (!root_open(root, root_flag) || !cdir_open(d, root, id))
		fail(id, "container does not exist");
}

bool root_open_make(struct root *r, const char *flag, const char *w)
{
	if (root_open_as(r, flag, w))
		return true;
	/* Missing: made, each missing component 0700 (mkdirSync recursive), then opened and checked as any. */
	char path[4096];
	snprintf(path, sizeof path, "%s", r->path);
	for (char *s = path + 1;; s++) {
		if (*s != '/' && *s)
			continue;
		char c = *s;
		*s = 0;
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			fail(NULL, "%s %s: %s", w, r->path, errno_words(errno));
		*s = c;
		if (!c)
			break;
	}
	return root_open_as(r, flag, w);
}

/* A claim in progress: the private name a create makes its directory under before renaming it to the id. */
static bool claim_name(const char *n)
{
	if (strncmp(n, ".creating-", 10) != 0 || strlen(n) != 26)
		return false;
	for (const char *p = n + 10; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

/* Claims a create abandoned (killed between making its private directory and renaming it into place):
 * nobody holds their lock, and nothing was written into them yet. */
static void sweep_claims(struct root *r)
{
	int fd = openat(r->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	if (!dir) {
		if (fd >= 0)
			close(fd);
		return;
	}
	for (struct dirent *e; (e = readdir(dir));) {
		if (!claim_name(e->d_name))
			continue;
		int cfd = openat(r->fd, e->d_name, DIR_FLAGS);
		if (cfd < 0)
			continue; /* gone meanwhile, or not a directory: not ours to touch */
		if (flock(cfd, LOCK_EX | LOCK_NB) == 0) {
			/* rmdir fails on a directory that is not empty: only an empty claim goes. */
			unlinkat(r->fd, e->d_name, AT_REMOVEDIR);
		}
		close(cfd);
	}
	closedir(dir);
}

bool cdir_claim(struct cdir *d, struct root *r, const char *id)
{
	check_id(id);
	d->root = r, d->id = id;
	snprintf(d->path, sizeof d->path, "%s/%s", r->path, id);
	sweep_claims(r);
	char tmp[32];
	d->fd = -1;
	/* A concurrent create may sweep our claim between mkdir and flock, taking it for abandoned: try again. */
	for (int attempt = 0; d->fd < 0; attempt++) {
		unsigned char rnd[8];
		int rfd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
		if (rfd < 0 || read(rfd, rnd, sizeof rnd) != (ssize_t)sizeof rnd)
			fail(NULL, "claim state directory for %s in %s: no randomness for a private name", quote(id), r->path);
		close(rfd);
		snprintf(tmp, sizeof tmp, ".creating-%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5],
			 rnd[6], rnd[7]);
		int e = 0;
		struct stat st;
		char at[64];
		snprintf(at, sizeof at, "/proc/self/fd/%d/%s", r->fd, tmp);
		if (mkdir(at, 0711) < 0)
			e = errno;
		else if ((d->fd = openat(r->fd, tmp, DIR_FLAGS)) < 0)
			e = errno;
		else if (flock(d->fd, LOCK_EX | LOCK_NB) < 0 || fstat(d->fd, &st) < 0 || st.st_nlink == 0)
			e = ENOENT;
		if (e) {
			if (d->fd >= 0)
				close(d->fd);
			d->fd = -1;
			if (e != ENOENT || attempt >= 5)
				fail(NULL, "claim state directory for %s in %s: %s", quote(id), r->path, errno_words(e));
		}
	}
	/* Renamed into place without replacing: no other verb ever sees it unlocked and empty, and two creates of one id cannot both succeed. */
	if (renameat2(r->fd, tmp, r->fd, id, RENAME_NOREPLACE) < 0) {
		int e = errno;
		close(d->fd);
		unlinkat(r->fd, tmp, AT_REMOVEDIR);
		if (e == EEXIST)
			return false;
		fail(NULL, "claim state directory for %s: errno %d", quote(id), e);
	}
	return true;
}
