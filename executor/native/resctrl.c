/* linux.intelRdt: the container's resctrl group (Intel RDT / AMD QoS), made
 * and joined by P in the runtime's namespaces. Only directories and files of
 * a resctrl filesystem are touched (statfs magic): a wrong path must not
 * become a directory or a write somewhere else on the host. */
#include "planc.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#ifndef RDTGROUP_SUPER_MAGIC
#define RDTGROUP_SUPER_MAGIC 0x7655821
#endif

static int on_resctrl(int fd)
{
	struct statfs st;
	return !fstatfs(fd, &st) && st.f_type == RDTGROUP_SUPER_MAGIC;
}

/* fd of a file or directory at (dir, name), refused unless it is on resctrl. */
static int rdt_openat(int dir, const char *name, int flags)
{
	int fd = openat(dir, name, flags | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0 && !on_resctrl(fd)) {
		close(fd);
		return errno = EXDEV, -1;
	}
	return fd;
}

/* The group's schemata file, read whole (it is a few lines per resource). */
static int read_schemata(int dir, char *buf, size_t size)
{
	int fd = rdt_openat(dir, "schemata", O_RDONLY);
	if (fd < 0)
		return -1;
	size_t n = 0;
	ssize_t r = 0;
	while (n < size - 1 && ((r = read(fd, buf + n, size - 1 - n)) > 0 || (r < 0 && errno == EINTR)))
		n += r > 0 ? (size_t)r : 0;
	int e = errno;
	close(fd);
	buf[n] = 0;
	return r < 0 ? (errno = e, -1) : 0;
}

/* A value as the kernel prints it may have leading zeros (CBMs are padded)
 * and another case: compare without them. */
static int same_value(const char *a, size_t an, const char *b, size_t bn)
{
	while (an > 1 && *a == '0')
		a++, an--;
	while (bn > 1 && *b == '0')
		b++, bn--;
	if (an != bn)
		return 0;
	for (size_t k = 0; k < an; k++)
		if (tolower((unsigned char)a[k]) != tolower((unsigned char)b[k]))
			return 0;
	return 1;
}

static const char *skip_space(const char *s, const char *end)
{
	while (s < end && isspace((unsigned char)*s))
		s++;
	return s;
}

/* Does the schemata text hold what `want` ("L3:0=7f0;1=1f") asks for: the
 * resource's line, with every domain the line names at that value? */
static int schemata_has(const char *text, const char *want)
{
	const char *colon = strchr(want, ':');
	if (!colon)
		return 0;
	const char *res = skip_space(want, colon);
	size_t rlen = (size_t)(colon - res);
	while (rlen && isspace((unsigned char)res[rlen - 1]))
		rlen--;
	for (const char *line = text; *line;) {
		const char *eol = strchr(line, '\n');
		if (!eol)
			eol = line + strlen(line);
		const char *l = skip_space(line, eol), *lc = memchr(l, ':', (size_t)(eol - l));
		if (lc && (size_t)(lc - l) == rlen && !strncmp(l, res, rlen)) {
			/* every "dom=val" of want must be in this line */
			for (const char *p = colon + 1; *p;) {
				const char *end = strchr(p, ';');
				if (!end)
					end = p + strlen(p);
				const char *eq = memchr(p, '=', (size_t)(end - p));
				if (!eq)
					return 0;
				const char *dom = skip_space(p, eq);
				size_t dlen = (size_t)(eq - dom);
				int found = 0;
				for (const char *q = lc + 1; q < eol && !found;) {
					const char *qe = memchr(q, ';', (size_t)(eol - q));
					if (!qe)
						qe = eol;
					const char *qeq = memchr(q, '=', (size_t)(qe - q));
					const char *qd = skip_space(q, qe);
					if (qeq && (size_t)(qeq - qd) == dlen && !strncmp(qd, dom, dlen)) {
						const char *v = skip_space(eq + 1, end), *qv = skip_space(qeq + 1, qe);
						size_t vn = (size_t)(end - v), qn = (size_t)(qe - qv);
						while (vn && isspace((unsigned char)v[vn - 1]))
							vn--;
						while (qn && isspace((unsigned char)qv[qn - 1]))
							qn--;
						if (!same_value(v, vn, qv, qn))
							return 0;
						found = 1;
					}
					q = qe + (qe < eol);
				}
				if (!found)
					return 0;
				p = end + (*end == ';');
			}
			return 1;
		}
		line = eol + (*eol == '\n');
	}
	return 0;
}

static int write_lines(int dir, char **lines)
{
	for (; lines && *lines; lines++) {
		int fd = rdt_openat(dir, "schemata", O_WRONLY);
		if (fd < 0)
			return -1;
		int rc = write_all(fd, *lines, strlen(*lines));
		int e = errno;
		close(fd);
		if (rc)
			return errno = e, -1;
	}
	return 0;
}

/* exists: "refuse" (the container's own group, made here), "use" (made when
 * missing, else its schemata compared), "required" (configured already). */
int op_resctrl_create(const mp *a, struct ctx *c)
{
	(void)c;
	const char *path = need_str(a, "path"), *exists = need_str(a, "exists");
	char dir[4096];
	struct stat st;
	if (!path || !exists)
		return FAILED;
	int refuse = !strcmp(exists, "refuse"), required = !strcmp(exists, "required");
	if (!refuse && !required && strcmp(exists, "use"))
		return failx(EINVAL, "plan: resctrl.create exists \"%s\" is not refuse, use or required", exists);
	const mp *sv = mp_get(a, "schemata");
	char **lines = sv ? mp_strv(sv) : NULL;
	if (sv && !lines)
		return failx(EINVAL, "plan: field \"schemata\" is not an array of strings");
	size_t n = strlen(path);
	const char *slash = strrchr(path, '/');
	int rc = FAILED, p = -1, d = -1, made = 0;
	if (n >= sizeof dir || !slash || !slash[1] || !strcmp(slash + 1, ".") || !strcmp(slash + 1, "..")) {
		rc = failx(EINVAL, "resctrl group \"%s\": not a directory path", path);
		goto out;
	}
	const char *name = slash + 1;
	/* An existing group (or the mount's root, the default class, for closID "/"). */
	d = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d >= 0) {
		if (!on_resctrl(d)) {
			rc = failx(EXDEV, "resctrl group \"%s\": not on a resctrl filesystem", path);
			goto out;
		}
		if (refuse) {
			rc = failx(EEXIST, "create resctrl group \"%s\": it exists already, and a group named after the container is made by it", path);
			goto out;
		}
	} else if (errno != ENOENT || required) {
		rc = errno == ENOENT ? failx(ENOENT, "resctrl group \"%s\" does not exist: a closID without schemata names a group configured beforehand", path)
				     : fail(errno, "resctrl group \"%s\"", path);
		goto out;
	} else {
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = 0;
		p = open(slash == path ? "/" : dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (p < 0) {
			rc = fail(errno, "resctrl group \"%s\": open \"%s\"", path, dir);
			goto out;
		}
		if (!on_resctrl(p)) {
			rc = failx(EXDEV, "resctrl group \"%s\": \"%s\" is not on a resctrl filesystem", path, dir);
			goto out;
		}
		if (mkdirat(p, name, 0755)) {
			rc = errno == EEXIST ? failx(EEXIST, "create resctrl group \"%s\": made by someone else meanwhile", path) : fail(errno, "create resctrl group \"%s\"", path);
			goto out;
		}
		made = 1;
		d = rdt_openat(p, name, O_PATH | O_DIRECTORY);
		if (d < 0) {
			int e = errno;
			unlinkat(p, name, AT_REMOVEDIR);
			rc = fail(e, "resctrl group \"%s\"", path);
			goto out;
		}
	}
	if (lines && made) {
		if (write_lines(d, lines)) {
			int e = errno;
			close(d);
			d = -1;
			unlinkat(p, name, AT_REMOVEDIR); /* made above, so p is open */
			rc = fail(e, "resctrl group \"%s\": write schemata", path);
			goto out;
		}
	} else if (lines) {
		static char text[65536];
		if (read_schemata(d, text, sizeof text)) {
			rc = fail(errno, "resctrl group \"%s\": read schemata", path);
			goto out;
		}
		for (char **l = lines; *l; l++)
			if (!schemata_has(text, *l)) {
				rc = failx(EEXIST, "resctrl group \"%s\" exists with other schemata: \"%s\" is not in it", path, *l);
				goto out;
			}
	}
	if (fstat(d, &st)) {
		rc = fail(errno, "resctrl group \"%s\"", path);
		goto out;
	}
	report_field("ino", (long long)st.st_ino);
	report_flag("made", made);
	rc = DONE;
out:
	if (d >= 0)
		close(d);
	if (p >= 0)
		close(p);
	free(lines);
	return rc;
}

int op_resctrl_join(const mp *a, struct ctx *c)
{
	const char *path = need_str(a, "path");
	char pid[24];
	if (!path)
		return FAILED;
	int d = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (d < 0)
		return fail(errno, "resctrl join \"%s\"", path);
	if (!on_resctrl(d)) {
		close(d);
		return failx(EXDEV, "resctrl join \"%s\": not on a resctrl filesystem", path);
	}
	int fd = rdt_openat(d, "tasks", O_WRONLY);
	int e = errno;
	close(d);
	if (fd < 0)
		return fail(e, "resctrl join \"%s\"", path);
	int len = snprintf(pid, sizeof pid, "%d", (int)c->child);
	int rc = write_all(fd, pid, (size_t)len);
	e = errno;
	close(fd);
	return rc ? fail(e, "resctrl join \"%s\"", path) : DONE;
}
