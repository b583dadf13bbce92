/* The lifecycle verbs' common ground: the facts a small plan is made from,
 * signals, the freezer, applying a plan with one audit record per action,
 * and the copy of new records to an operator's --audit-log. Everything acts
 * only on what is still provably the container's: the init (same pid and
 * start time, inside the container's cgroup) and the cgroups the executor
 * reported (same path and inode, on cgroupfs); joined cgroups are never
 * emptied or removed. */
#include "lifecycle.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#define CGROUP_SUPER_MAGIC 0x27e0eb
#define CGROUP2_SUPER_MAGIC 0x63677270
#define WAIT_MS 10000

static void sleep_ms(long ms)
{
	nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000}, NULL);
}

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- processes and cgroups ---- */

static int *push(int *v, size_t *n, size_t *cap, int x)
{
	if (*n == *cap && !(v = realloc(v, (*cap = *cap ? 2 * *cap : 16) * sizeof *v)))
		fail(NULL, "out of memory");
	v[(*n)++] = x;
	return v;
}

/* The pids in a cgroup's cgroup.procs, one per line (positive decimals); none when it is gone. */
static int *cgroup_pids(const char *dir, int *v, size_t *n, size_t *cap)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/cgroup.procs", dir);
	char *text = read_file(path);
	if (!text)
		return v; /* gone meanwhile */
	for (char *s = text, *line; (line = strsep(&s, "\n"));) {
		char *end;
		errno = 0;
		long p = strtol(line, &end, 10);
		if (*line && !*end && !errno && p > 0 && p <= 0x7fffffff)
			v = push(v, n, cap, (int)p);
	}
	free(text);
	return v;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int subdir(const struct dirent *e)
{
	return e->d_type == DT_DIR && strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
}

/* A cgroup and every cgroup below it, deepest first (the order they can be removed in), directories only,
 * never through a symlink; bounded as the TS cgroupTree was (depth 16, 10000 directories), with the names sorted
 * so which directories fall inside the bounds does not depend on readdir's order. A directory gone meanwhile is
 * left out; one that cannot be listed for another reason is kept (its removal then says why). */
static void walk(struct cgroup_tree *t, const char *d, int depth)
{
	if (depth > 16 || t->n > 10000)
		return;
	struct dirent **names;
	int k = scandir(d, &names, subdir, by_name);
	if (k < 0 && (errno == ENOENT || errno == ENOTDIR))
		return;
	for (int i = 0; i < k; i++) {
		char sub[4352];
		snprintf(sub, sizeof sub, "%s/%s", d, names[i]->d_name);
		walk(t, sub, depth + 1);
		free(names[i]);
	}
	if (k >= 0)
		free(names);
	if (t->n == t->cap && !(t->dirs = realloc(t->dirs, (t->cap = t->cap ? 2 * t->cap : 8) * sizeof *t->dirs)))
		fail(NULL, "out of memory");
	if (!(t->dirs[t->n++] = strdup(d)))
		fail(NULL, "out of memory");
}

void cgroup_tree_of(struct cgroup_tree *t, const char *top)
{
	memset(t, 0, sizeof *t);
	walk(t, top, 0);
}

void cgroup_tree_free(struct cgroup_tree *t)
{
	for (size_t k = 0; k < t->n; k++)
		free(t->dirs[k]);
	free(t->dirs);
}

int *tree_pids(const char *dir, size_t *n)
{
	size_t cap = 0;
	int *v = NULL;
	*n = 0;
	struct cgroup_tree t;
	cgroup_tree_of(&t, dir);
	for (size_t k = 0; k < t.n; k++)
		v = cgroup_pids(t.dirs[k], v, n, &cap);
	cgroup_tree_free(&t);
	return v;
}

static bool in_cgroup(const char *dir, long pid)
{
	size_t n = 0, cap = 0;
	int *v = cgroup_pids(dir, NULL, &n, &cap);
	bool found = false;
	for (size_t k = 0; k < n; k++)
		found |= v[k] == pid;
	free(v);
	return found;
}

void facts_of(struct facts *f, const struct record *rec)
{
	memset(f, 0, sizeof *f);
	f->rec = rec;
	for (int k = 0; k < rec->ncgroups; k++)
		if (cgroup_still_owned(&rec->cgroups[k]))
			f->live[f->nlive++] = rec->cgroups[k];
	if (rec->pid > 1 && alive(rec->pid, rec->start_time)) {
		/* As root, a process outside every cgroup planc made or joined for the container is never its
		 * init, whatever a record says. Without root (no cgroups made), the kernel's checks are the boundary. */
		if (rec->ncgroups == 0)
			f->init_ours = geteuid() != 0;
		else
			for (int k = 0; k < f->nlive && !f->init_ours; k++)
				f->init_ours = in_cgroup(f->live[k].path, rec->pid);
	}
	f->paused = f->nlive > 0 && is_paused(rec);
}

static int by_number(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

int *container_pids(const struct facts *f, size_t *n)
{
	size_t cap = 0;
	int *v = NULL;
	*n = 0;
	for (int k = 0; k < f->nlive; k++) {
		if (!f->live[k].made)
			continue;
		size_t m;
		int *t = tree_pids(f->live[k].path, &m);
		for (size_t j = 0; j < m; j++)
			v = push(v, n, &cap, t[j]);
		free(t);
	}
	if (f->init_ours)
		v = push(v, n, &cap, (int)f->rec->pid);
	qsort(v, *n, sizeof *v, by_number);
	size_t out = 0;
	for (size_t k = 0; k < *n; k++)
		if (out == 0 || v[out - 1] != v[k])
			v[out++] = v[k];
	*n = out;
	return v;
}

bool send_signal(long pid, int sig)
{
	if (pid <= 1 || pid == getpid())
		return false;
	if (kill((pid_t)pid, sig) == 0)
		return true;
	if (errno != ESRCH)
		fail(NULL, "kill %ld: %s", pid, errno_words(errno));
	return false;
}

long signal_cgroup(const char *path, uint64_t ino, int sig)
{
	struct cgroup c = {path, ino, true};
	if (!cgroup_still_owned(&c))
		return -1;
	size_t n;
	int *pids = tree_pids(path, &n);
	long sent = 0;
	for (size_t k = 0; k < n; k++)
		sent += send_signal(pids[k], sig);
	free(pids);
	return sent;
}

/* ---- signals ---- */

/* Node's os.constants.signals by number (the names trail records have always used). */
static const char *const NAMES[32] = {NULL, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGIOT", "SIGBUS",
				      "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM",
				      "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG",
				      "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGPOLL", "SIGPWR", "SIGSYS"};

const char *signal_name(int sig, char *buf, size_t cap)
{
	if (sig > 0 && sig < 32)
		return NAMES[sig];
	snprintf(buf, cap, "signal %d", sig);
	return buf;
}

int signal_number(const char *s)
{
	if (!*s)
		return -1;
	if (strspn(s, "0123456789") == strlen(s)) {
		if (strlen(s) > 3)
			return -1;
		int n = atoi(s);
		return n <= 64 ? n : -1;
	}
	/* Names, any case, with or without SIG; the aliases runc knows too. */
	static const struct { const char *name; int n; } ALIASES[] = {{"SIGABRT", 6}, {"SIGIO", 29}};
	char name[32];
	snprintf(name, sizeof name, "%s%s", strncasecmp(s, "SIG", 3) == 0 ? "" : "SIG", s);
	if (strlen(name) >= sizeof name - 1)
		return -1;
	for (int k = 1; k < 32; k++)
		if (!strcasecmp(name, NAMES[k]))
			return k;
	for (size_t k = 0; k < sizeof ALIASES / sizeof ALIASES[0]; k++)
		if (!strcasecmp(name, ALIASES[k].name))
			return ALIASES[k].n;
	return -1;
}

/* ---- the freezer ---- */

struct cgdir {
	const char *path;
	int fd;
};

static bool cg_read(struct cgdir *d, const char *file, char *buf, size_t cap)
{
	return read_small_at(d->fd, file, buf, cap) != NULL;
}

static int cg_write(struct cgdir *d, const char *file, const char *value)
{
	int fd = openat(d->fd, file, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno;
	ssize_t w = write(fd, value, strlen(value));
	int e = w < 0 ? errno : 0;
	close(fd);
	return e;
}

#define FREEZE_FAIL(...)                                      \
	do {                                                  \
		if (!err)                                     \
			fail(NULL, __VA_ARGS__);              \
		snprintf(err, cap, __VA_ARGS__);              \
		goto out;                                     \
	} while (0)

bool set_freezer(const struct facts *f, bool frozen, char *err, size_t cap)
{
	const char *verb = frozen ? "pause" : "resume";
	/* Which directory serves the freezer: on v1 the owned cgroup of the freezer hierarchy, on v2 (only when the
	 * container has no v1 cgroup) its one directory, as cli/state/live.ts controllerDirs chose. */
	const struct cgroup *target = NULL;
	const char *file = NULL;
	bool any_v1 = false;
	const struct cgroup *v2 = NULL;
	for (int k = 0; k < f->nlive && !target; k++) {
		struct statfs sf;
		if (statfs(f->live[k].path, &sf) < 0)
			continue;
		if (sf.f_type == CGROUP2_SUPER_MAGIC) {
			v2 = v2 ? v2 : &f->live[k];
			continue;
		}
		any_v1 = true;
		char probe[4200];
		snprintf(probe, sizeof probe, "%s/freezer.state", f->live[k].path);
		if (access(probe, F_OK) == 0)
			target = &f->live[k], file = "freezer.state";
	}
	if (!target && !any_v1 && v2) {
		char probe[4200];
		snprintf(probe, sizeof probe, "%s/cgroup.freeze", v2->path);
		if (access(probe, F_OK) == 0)
			target = v2, file = "cgroup.freeze";
		else if (!err)
			fail(NULL, "the container's cgroup has no cgroup.freeze (Linux 5.2 or later): it cannot be %s", frozen ? "paused" : "resumed");
	}
	if (!target) {
		if (!err)
			fail(NULL, "the container has no freezer cgroup on this host: it cannot be %s", frozen ? "paused" : "resumed");
		snprintf(err, cap, "the container has no freezer cgroup on this host: it cannot be %s", frozen ? "paused" : "resumed");
		return false;
	}
	/* Written through the directory's fd, checked to be that cgroup still (same inode, on cgroupfs). */
	struct cgdir d = {target->path, open(target->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
	bool ok = false;
	struct stat st;
	struct statfs sf;
	if (d.fd < 0)
		FREEZE_FAIL("cgroup %s: %s; nothing changed", target->path, errno_words(errno));
	if (fstat(d.fd, &st) < 0 || fstatfs(d.fd, &sf) < 0 || st.st_ino != target->ino ||
	    (sf.f_type != CGROUP_SUPER_MAGIC && sf.f_type != CGROUP2_SUPER_MAGIC))
		FREEZE_FAIL("cgroup %s is no longer the one planc made for the container; nothing changed", target->path);
	char buf[256];
	int e;
	long long end = mono_ms() + WAIT_MS;
	if (!strcmp(file, "freezer.state")) {
		if (!frozen) {
			if ((e = cg_write(&d, file, "THAWED")))
				FREEZE_FAIL("resume: write %s/freezer.state: %s", target->path, errno_words(e));
			for (long ms = 1; !(cg_read(&d, file, buf, sizeof buf) && !strcmp(buf, "THAWED")); ms = ms * 2 > 20 ? 20 : ms * 2) {
				if (mono_ms() > end)
					FREEZE_FAIL("timed out after %d s waiting for %s to thaw", WAIT_MS / 1000, target->path);
				sleep_ms(ms);
			}
			ok = true;
			goto out;
		}
		/* v1 may stay FREEZING while processes fork: write FROZEN again until it holds, thawing for a moment
		 * now and then so forks in flight can finish (the kernel documents the retry). */
		for (int attempt = 1; mono_ms() < end; attempt++) {
			if (attempt % 50 == 0) {
				cg_write(&d, file, "THAWED");
				sleep_ms(10);
			}
			if ((e = cg_write(&d, file, "FROZEN")))
				FREEZE_FAIL("pause: write %s/freezer.state: %s", target->path, errno_words(e));
			if (!cg_read(&d, file, buf, sizeof buf))
				buf[0] = 0;
			if (!strcmp(buf, "FROZEN")) {
				ok = true;
				goto out;
			}
			if (strcmp(buf, "FREEZING")) {
				cg_write(&d, file, "THAWED");
				FREEZE_FAIL("pause: %s/freezer.state reads \"%s\" while freezing", target->path, buf);
			}
			if (attempt % 25 == 0)
				sleep_ms(1);
		}
		cg_write(&d, file, "THAWED");
		FREEZE_FAIL("pause: %s did not freeze within %d s; thawed it again", target->path, WAIT_MS / 1000);
	}
	if ((e = cg_write(&d, file, frozen ? "1" : "0")))
		FREEZE_FAIL("%s: write %s/cgroup.freeze: %s", verb, target->path, errno_words(e));
	const char *want = frozen ? "frozen 1" : "frozen 0";
	for (long ms = 1;; ms = ms * 2 > 20 ? 20 : ms * 2) {
		char events[1024];
		if (cg_read(&d, "cgroup.events", events, sizeof events)) {
			for (char *save = NULL, *l = strtok_r(events, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
				if (!strcmp(l, want)) {
					ok = true;
					goto out;
				}
		}
		if (mono_ms() > end) {
			if (frozen)
				cg_write(&d, file, "0");
			FREEZE_FAIL("timed out after %d s waiting for %s to %s", WAIT_MS / 1000, target->path, frozen ? "freeze" : "thaw");
		}
		sleep_ms(ms);
	}
out:
	if (d.fd >= 0)
		close(d.fd);
	return ok;
}

/* ---- plans and records ---- */

void plan_begin(struct applying *a, struct trail *t, const char *plan_json, const struct jbuf *extra)
{
	a->trail = t;
	a->of = t ? trail_begin_plan(t, plan_json, extra) : -1;
}

void plan_record(struct applying *a, int i, const char *op, const char *r, const char *why, const struct jbuf *extra)
{
	if (!a->trail)
		return;
	struct jbuf x;
	jb_init(&x);
	jb_obj_begin(&x);
	if (why)
		jb_key(&x, !strcmp(r, "error") ? "msg" : "why"), jb_str(&x, why);
	if (extra && extra->len > 2) {
		if (why)
			jb_raw(&x, ",", 1);
		jb_raw(&x, extra->p + 1, extra->len - 2);
	}
	jb_obj_end(&x);
	trail_record(a->trail, a->of, i, op, r, &x);
	free(x.p);
}

/* ---- --audit-log ---- */

/* The byte span of the top-level value of `key` in a compact JSON object, or false. */
static bool top_level_value(const char *s, const char *key, size_t *at, size_t *end)
{
	size_t klen = strlen(key);
	int depth = 0;
	bool in_str = false;
	for (size_t k = 0; s[k]; k++) {
		char c = s[k];
		if (in_str) {
			if (c == '\\' && s[k + 1])
				k++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']')
			depth--;
		else if (c == '"') {
			if (depth == 1 && !strncmp(s + k + 1, key, klen) && s[k + 1 + klen] == '"' && s[k + 2 + klen] == ':') {
				*at = k + 3 + klen;
				*end = *at + strspn(s + *at, "0123456789");
				return true;
			}
			in_str = true;
		}
	}
	return false;
}

void append_audit_log(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	struct stat st;
	if (fd < 0)
		fail(NULL, "--audit-log %s: %s", path, errno_words(errno));
	if (fstat(fd, &st) < 0 || (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)))
		fail(NULL, "--audit-log %s: not a regular file", path);
	/* One write: records from concurrent verbs do not interleave. */
	if (write(fd, text, len) != (ssize_t)len)
		fail(NULL, "--audit-log %s: %s", path, errno_words(errno));
	close(fd);
}

void export_audit(struct cdir *d, struct record *rec)
{
	const mp *log = mp_get(rec->doc, "auditLog");
	if (!log)
		return;
	const mp *exp = mp_get(rec->doc, "auditExported");
	long done = exp ? (long)exp->i : 0;
	struct trailref ref;
	size_t len = 0;
	char *text = trailref_read(d, &ref) ? trail_text(&ref, &len) : NULL;
	if (!text)
		return;
	/* Every line but the executor's header. */
	struct jbuf out;
	jb_init(&out);
	long lines = 0;
	char *p = strchr(text, '\n');
	const mp *digest = mp_get(rec->doc, "planDigest");
	for (p = p ? p + 1 : text + len; *p;) {
		char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		if (l > 0) {
			if (lines >= done) {
				jb_raw(&out, "{\"container\":", 13);
				jb_quoted(&out, rec->id);
				jb_raw(&out, ",\"planDigest\":", 14);
				jb_quoted(&out, digest->s);
				jb_raw(&out, ",", 1);
				jb_raw(&out, p + 1, l - 1);
				jb_raw(&out, "\n", 1);
			}
			lines++;
		}
		p += l + (nl ? 1 : 0);
	}
	if (out.len == 0)
		return;
	append_audit_log(log->s, out.p, out.len);
	/* The count saved in the record: state.json rewritten whole (temp file + rename), that one field changed. */
	size_t rlen;
	char *raw = cdir_read(d, "state.json", 1 << 20, &rlen);
	struct jbuf nr;
	jb_init(&nr);
	size_t at, end;
	char num[32];
	int nlen = snprintf(num, sizeof num, "%ld", lines);
	if (raw && top_level_value(raw, "auditExported", &at, &end)) {
		jb_raw(&nr, raw, at);
		jb_raw(&nr, num, (size_t)nlen);
		jb_raw(&nr, raw + end, rlen - end);
	} else if (raw) {
		size_t close_at = rlen;
		while (close_at > 0 && raw[close_at - 1] != '}')
			close_at--;
		jb_raw(&nr, raw, close_at - 1);
		jb_raw(&nr, ",\"auditExported\":", 17);
		jb_raw(&nr, num, (size_t)nlen);
		jb_raw(&nr, "}", 1);
	}
	cdir_write(d, "state.json", nr.p, nr.len);
}
