/* What state a container is in, told from the kernel and the audit trail,
 * never from the record alone: the init must still be the process planc
 * started (same pid and start time, not a zombie), a pause is the freezer of
 * a cgroup the executor made (same path and inode, on cgroupfs), and a
 * created container is one whose init has not passed the exec fifo. As
 * cli/state/lifecycle.ts statusOf had it. */
#include "front.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#define CGROUP_SUPER_MAGIC 0x27e0eb
#define CGROUP2_SUPER_MAGIC 0x63677270
#define RDTGROUP_SUPER_MAGIC 0x7655821

const char *const STATUS_NAMES[] = {"created", "running", "paused", "stopped"};

char *read_small_at(int dirfd, const char *path, char *buf, size_t cap)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return NULL;
	ssize_t n = read(fd, buf, cap - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return buf;
}

bool proc_stat(int64_t pid, char *start, size_t cap, char *state)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%lld/stat", (long long)pid);
	if (pid <= 0 || !read_small_at(AT_FDCWD, path, buf, sizeof buf))
		return false;
	/* The command name may hold spaces and parentheses: fields start after the last ')'. */
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return false;
	*state = p[2];
	/* Field 22 (starttime) is the 20th after the name. */
	p += 2;
	for (int k = 0; k < 19 && p; k++)
		p = (p = strchr(p, ' ')) ? p + 1 : NULL;
	if (!p)
		return false;
	snprintf(start, cap, "%.*s", (int)strcspn(p, " "), p);
	return true;
}

bool alive(int64_t pid, const char *start_time)
{
	char start[32], state;
	return proc_stat(pid, start, sizeof start, &state) && strcmp(start, start_time) == 0 && state != 'Z' && state != 'X';
}

static long fs_type(const char *path)
{
	struct statfs sf;
	return statfs(path, &sf) == 0 ? (long)sf.f_type : 0;
}

bool cgroup_still_owned(const struct cgroup *c)
{
	struct stat st;
	if (lstat(c->path, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_ino != c->ino)
		return false;
	long t = fs_type(c->path);
	return t == CGROUP_SUPER_MAGIC || t == CGROUP2_SUPER_MAGIC || t == RDTGROUP_SUPER_MAGIC;
}

bool is_paused(const struct record *rec)
{
	/* v1: the freezer hierarchy's directory (the one owned cgroup with freezer files).
	 * v2 only when the container has no v1 cgroup at all (cli/state/live.ts controllerDirs). */
	const char *v2 = NULL;
	bool any_v1 = false;
	char path[4200], buf[64];
	for (int k = 0; k < rec->ncgroups; k++) {
		const struct cgroup *c = &rec->cgroups[k];
		if (!cgroup_still_owned(c))
			continue;
		long t = fs_type(c->path);
		if (t == CGROUP2_SUPER_MAGIC) {
			if (!v2)
				v2 = c->path;
			continue;
		}
		if (t != CGROUP_SUPER_MAGIC)
			continue;
		any_v1 = true;
		snprintf(path, sizeof path, "%s/freezer.self_freezing", c->path);
		if (read_small_at(AT_FDCWD, path, buf, sizeof buf))
			return strcmp(buf, "1") == 0;
		snprintf(path, sizeof path, "%s/freezer.state", c->path);
		if (read_small_at(AT_FDCWD, path, buf, sizeof buf))
			return strcmp(buf, "FROZEN") == 0;
	}
	if (any_v1 || !v2)
		return false;
	snprintf(path, sizeof path, "%s/cgroup.freeze", v2);
	return read_small_at(AT_FDCWD, path, buf, sizeof buf) && strcmp(buf, "1") == 0;
}

enum status status_of(struct cdir *d, const struct record *rec)
{
	if (!alive(rec->pid, rec->start_time))
		return ST_STOPPED;
	/* Paused before created, as runc: a created container can be paused too. */
	if (is_paused(rec))
		return ST_PAUSED;
	/* The fifo goes when start has read it; a start killed in between leaves it
	 * behind, so the init must also not have recorded passing it. */
	if (cdir_has(d, "exec.fifo")) {
		struct trailref ref;
		char *text = trailref_read(d, &ref) ? trail_text(&ref, NULL) : NULL;
		if (!text || !strstr(text, "\"op\":\"execfifo.wait\""))
			return ST_CREATED;
	}
	return ST_RUNNING;
}

/* A create not finished (in flight, or killed before its record): "creating", from its stored plan. */
static void creating_json(struct jbuf *out, struct cdir *d)
{
	size_t len;
	char *bytes = cdir_read(d, "plan.msgpack", (size_t)64 << 20, &len);
	if (!bytes)
		fail(d->id, "container does not exist");
	mp plan;
	const char *err;
	if (mp_parse((const uint8_t *)bytes, len, &plan, &err) < 0)
		fail(NULL, "%s/plan.msgpack does not decode (%s); left alone", d->path, err);
	const mp *cid = mp_get(&plan, "containerId"), *oci = mp_get(&plan, "ociVersion"), *bundle = mp_get(&plan, "bundle"),
		 *rootfs = mp_get(&plan, "rootfs");
	if (!cid || cid->type != MP_STR || strcmp(cid->s, d->id) != 0 || !oci || oci->type != MP_STR || !bundle ||
	    bundle->type != MP_STR || !rootfs || rootfs->type != MP_STR)
		fail(NULL, "%s/plan.msgpack is not a plan for %s; left alone", d->path, d->id);
	jb_obj_begin(out);
	jb_key(out, "ociVersion"), jb_str(out, oci->s);
	jb_key(out, "id"), jb_str(out, d->id);
	jb_key(out, "pid"), jb_i64(out, 0);
	jb_key(out, "status"), jb_str(out, "creating");
	jb_key(out, "bundle"), jb_str(out, bundle->s);
	jb_key(out, "rootfs"), jb_str(out, rootfs->s);
	jb_obj_end(out);
}

/* A key JavaScript treats as an array index: its objects list those first, ascending. */
static bool index_key(const char *k, unsigned long *n)
{
	if (!k[0] || strlen(k) > 10 || (k[0] == '0' && k[1]) || strspn(k, "0123456789") != strlen(k))
		return false;
	*n = strtoul(k, NULL, 10);
	return *n < 4294967295UL;
}

/* The annotations as JSON.stringify(JSON.parse(...)) orders them: index keys ascending, then the rest as written. */
static void annotations_json(struct jbuf *out, const mp *ann)
{
	jb_obj_begin(out);
	unsigned long last = 0, n;
	bool any = true;
	for (bool first = true; any; first = false) {
		/* the smallest index key above the last one emitted: few annotations, so a scan each */
		any = false;
		unsigned long best = 0;
		const mp *pick = NULL;
		for (uint32_t k = 0; k < ann->len; k++)
			if (index_key(ann->kids[2 * k].s, &n) && (first || n > last) && (!pick || n < best))
				best = n, pick = &ann->kids[2 * k], any = true;
		if (pick) {
			jb_key(out, pick[0].s);
			jb_str(out, pick[1].s);
			last = best;
		}
	}
	for (uint32_t k = 0; k < ann->len; k++) {
		if (index_key(ann->kids[2 * k].s, &n))
			continue;
		jb_key(out, ann->kids[2 * k].s);
		jb_str(out, ann->kids[2 * k + 1].s);
	}
	jb_obj_end(out);
}

void state_json(struct jbuf *out, struct cdir *d)
{
	struct record rec;
	if (!record_read(d, &rec))
		return creating_json(out, d);
	enum status st = status_of(d, &rec);
	jb_obj_begin(out);
	jb_key(out, "ociVersion"), jb_str(out, rec.oci_version);
	jb_key(out, "id"), jb_str(out, rec.id);
	jb_key(out, "pid"), jb_i64(out, st == ST_STOPPED ? 0 : rec.pid);
	jb_key(out, "status"), jb_str(out, STATUS_NAMES[st]);
	jb_key(out, "bundle"), jb_str(out, rec.bundle);
	jb_key(out, "rootfs"), jb_str(out, rec.rootfs);
	jb_key(out, "created"), jb_str(out, rec.created);
	jb_key(out, "owner"), jb_str(out, rec.owner);
	if (rec.annotations && rec.annotations->len > 0) {
		jb_key(out, "annotations");
		annotations_json(out, rec.annotations);
	}
	jb_obj_end(out);
}

char *read_whole_fd(int fd, size_t max, size_t slack, size_t *len)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return NULL;
	if ((uint64_t)st.st_size > max) {
		errno = EFBIG;
		return NULL;
	}
	char *buf = malloc((size_t)st.st_size + 1 + slack);
	if (!buf) {
		errno = ENOMEM;
		return NULL;
	}
	size_t n = 0;
	while (n < (size_t)st.st_size) {
		ssize_t r = pread(fd, buf + n, (size_t)st.st_size - n, (off_t)n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			errno = e;
			return NULL;
		}
		if (r == 0)
			break; /* cut short meanwhile: what is there */
		n += (size_t)r;
	}
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}
