/* A plan applied (apply.h): the part of `create` and `run` after planning.
 *
 * The order is the one that keeps every failure recoverable: what cannot be
 * used later (the preserved fds, --audit-log, the signing key, the audit
 * store, --root) is checked before anything exists; then the id is claimed
 * (a locked state directory), the plan stored twice (state directory and the
 * durable store, where the trail starts), and the state directory pointed at
 * the trail before the executor runs, so a crash from there on leaves the way
 * to what was made. Any failure after the claim is undone by the front's
 * teardown (teardown.c), recorded as an undo plan in the trail — best effort:
 * nothing the executor made is left behind for want of a record. */
#include "apply.h"
#include "front.h"
#include "lifecycle.h"
#include "teardown.h"
#include "../../executor/native/sha256.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_AUDIT_DIR "/var/lib/planc/audit"

extern char **g_argv; /* front.c: the command line, which trail.c's "by" records */
/* More than any process may hold here (RLIMIT_NOFILE's hard limit is far lower). */
#define MAX_PRESERVED (1 << 20)

/* ---- the plan, as far as this side needs it ---- */

struct plan {
	mp doc;
	const mp *actions;
	const char *oci_version, *bundle, *rootfs;
	bool pid_ns, foreground, relay;
	char digest[72];
	char config[8192]; /* the config file errors name, as the CLI named it */
};

static const mp *action_at(const struct plan *p, int64_t i)
{
	return i >= 0 && i < p->actions->len ? &p->actions->kids[i] : NULL;
}

static const char *action_str(const mp *a, const char *key)
{
	return a ? mp_str(mp_get(a, key)) : NULL;
}

/* The plan comes from planc's own planner, so this is no schema check: but every value read is still bounds- and
 * type-checked, and a plan without what this side relies on is refused before anything is made. */
static void plan_load(struct plan *p, const uint8_t *bytes, size_t len, const char *id)
{
	const char *err;
	if (mp_parse(bytes, len, &p->doc, &err) < 0)
		fail(NULL, "internal: the plan does not decode (%s)", err);
	p->actions = mp_get(&p->doc, "actions");
	p->oci_version = mp_str(mp_get(&p->doc, "ociVersion"));
	p->bundle = mp_str(mp_get(&p->doc, "bundle"));
	p->rootfs = mp_str(mp_get(&p->doc, "rootfs"));
	const char *cid = mp_str(mp_get(&p->doc, "containerId"));
	const mp *ns = mp_get(&p->doc, "namespaces");
	if (!p->actions || p->actions->type != MP_ARR || !p->oci_version || !p->bundle || p->bundle[0] != '/' || !p->rootfs ||
	    p->rootfs[0] != '/' || !cid || strcmp(cid, id) != 0 || !ns || ns->type != MP_ARR)
		fail(NULL, "internal: the plan handed over is not a plan for container %s", quote(id));
	for (uint32_t k = 0; k < ns->len; k++) {
		const char *type = mp_str(mp_get(&ns->kids[k], "type"));
		p->pid_ns |= type && !strcmp(type, "pid");
	}
	for (uint32_t k = 0; k < p->actions->len; k++) {
		const mp *a = &p->actions->kids[k];
		const char *op = action_str(a, "op"), *parent = action_str(a, "parent");
		if (!op)
			fail(NULL, "internal: plan action %u has no op", k);
		p->foreground |= !strcmp(op, "clone") && parent && !strcmp(parent, "executor");
		p->relay |= !strcmp(op, "console.relay");
	}
	uint8_t dg[32];
	char hex[65];
	sha256(bytes, len, dg);
	sha256_hex(dg, hex);
	snprintf(p->digest, sizeof p->digest, "sha256:%s", hex);
	snprintf(p->config, sizeof p->config, "%s/config.json", p->bundle);
}

/* ---- checks before anything exists ---- */

/* --preserve-fds N: fds 3 … 3+N-1 go to the container, so each must be open. (The CLI checked first that none is one
 * of Node's own, which only it can tell; its own fds are close-on-exec and gone by now.) */
static void check_preserved_fds(int n)
{
	if (n < 0 || n > MAX_PRESERVED)
		fail(NULL, "--preserve-fds %d: more fds than a process can have", n);
	for (int fd = 3; fd < 3 + n; fd++)
		if (fcntl(fd, F_GETFD) < 0)
			fail(NULL, "--preserve-fds %d: fd %d is not open; the caller passed fewer fds", n, fd);
}

/* A caller's file that could not be written (caller-files.ts failure): the reason in its words. */
static const char *caller_file_why(int e)
{
	return e == ELOOP ? "it is a symbolic link; planc does not write through one" : e == EEXIST ? "it exists already" : errno_words(e);
}

/* --audit-log must be appendable before the container exists: a log planc could not write would fail the create later. */
static void check_audit_log(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd < 0)
		fail(NULL, "--audit-log %s: %s", path, caller_file_why(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)))
		fail(NULL, "--audit-log %s: not a regular file", path);
	close(fd);
}

/* The store's directory: --audit-dir, else PLANC_AUDIT_DIR, else the default — for root /var/lib/planc/audit, for a
 * rootless planc its user's data directory ($XDG_DATA_HOME/planc/audit, else ~/.local/share/planc/audit). */
static const char *audit_dir_of(const char *flag, char *buf, size_t cap)
{
	if (flag)
		return flag;
	const char *env = getenv("PLANC_AUDIT_DIR");
	if (env)
		return env;
	if (geteuid() == 0)
		return DEFAULT_AUDIT_DIR;
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	if (xdg && xdg[0] == '/')
		snprintf(buf, cap, "%s/planc/audit", xdg);
	else {
		struct passwd *pw = home && home[0] == '/' ? NULL : getpwuid(geteuid());
		snprintf(buf, cap, "%s/.local/share/planc/audit", home && home[0] == '/' ? home : pw ? pw->pw_dir : "/");
	}
	return buf;
}

/* ---- the trail's start in the durable store (store.ts had AuditStore.begin) ---- */

struct begun {
	long seq;
	int fd; /* the trail, O_RDWR|O_APPEND and empty: the executor writes its header */
	char path[4608];
};

/* The highest n of the store's <prefix><n>.audit.jsonl (n 1 to 9 digits without a leading zero), 0 for none: a
 * create's trails ("" prefix), or the execs into trail seq ("<seq>.exec-"). */
static long last_number(int dirfd, const char *prefix)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	if (!dir)
		fail(NULL, "read the audit store: %s", errno_words(errno));
	long last = 0;
	size_t plen = strlen(prefix);
	for (struct dirent *e; (e = readdir(dir));) {
		if (strncmp(e->d_name, prefix, plen) != 0)
			continue;
		const char *n = e->d_name + plen;
		size_t digits = strspn(n, "0123456789");
		if (digits < 1 || digits > 9 || n[0] == '0' || strcmp(n + digits, ".audit.jsonl") != 0)
			continue;
		long s = strtol(n, NULL, 10);
		if (s > last)
			last = s;
	}
	closedir(dir);
	return last;
}

/* A plan's copy in the store: made with O_EXCL (nothing is replaced), written whole and synced. 0, or -errno when it
 * could not be made (EEXIST: the name is taken), or errno when it could not be written (then it is removed again: no
 * half plan is left to be mistaken for one). */
static int store_plan(int dirfd, const char *name, const uint8_t *plan, size_t len)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	int e = 0;
	for (size_t off = 0; off < len && !e;) {
		ssize_t w = write(fd, plan + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			e = w < 0 ? errno : EIO;
		else
			off += (size_t)w;
	}
	if (!e && fsync(fd) < 0)
		e = errno;
	close(fd);
	if (e)
		unlinkat(dirfd, name, 0);
	return e;
}

/* A new trail for this create: the plan bytes stored (synced) under the next number, the trail file made empty.
 * O_EXCL throughout: nothing is replaced. */
static void store_begin(struct root *store, const char *id, const uint8_t *plan, size_t len, struct begun *b)
{
	struct cdir sd;
	for (int attempt = 0;; attempt++) {
		if (cdir_open(&sd, store, id))
			break;
		if (cdir_claim(&sd, store, id)) {
			flock(sd.fd, LOCK_UN); /* the claim comes locked; trails are appended under the container's own lock */
			break;
		}
		/* Another create of the same id (in another --root) made it meanwhile: open that. */
		if (attempt > 3)
			fail(NULL, "container with id %s already exists", quote(id));
	}
	for (long seq = last_number(sd.fd, "") + 1, attempt = 0;; seq++, attempt++) {
		char name[64];
		snprintf(name, sizeof name, "%ld.plan.msgpack", seq);
		int e = store_plan(sd.fd, name, plan, len);
		if (e == -EEXIST && attempt < 100)
			continue;
		if (e < 0)
			fail(NULL, "store the plan in %s/%s: %s", store->path, id, errno_words(-e));
		if (e > 0)
			fail(NULL, "store the plan in %s/%s/%s: %s", store->path, id, name, errno_words(e));
		b->seq = seq;
		snprintf(b->path, sizeof b->path, "%s/%s/%ld.audit.jsonl", store->path, id, seq);
		snprintf(name, sizeof name, "%ld.audit.jsonl", seq);
		b->fd = openat(sd.fd, name, O_RDWR | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (b->fd < 0)
			fail(NULL, "create the audit trail %s: %s", b->path, errno_words(errno));
		close(sd.fd);
		return;
	}
}

/* ---- the executor (executor/PROTOCOL.md) ---- */


struct run {
	pid_t exec;
	int64_t pid; /* the init's, once cloned */
	bool ready, waiting_line;
	const mp **reps; /* every action report, in the order received */
	size_t nreps, cap;
	const mp *failure;       /* the first failed action's report */
	const mp *audit_failure; /* a record the executor could not write */
	int code;                /* the executor's exit status (0 once a foreground executor waits) */
	const mp *exited;        /* foreground: how the container ended */
	int report_fd;
	char *line;
	size_t len, lcap;
};

static volatile sig_atomic_t g_interrupted;
static volatile pid_t g_exec_pid, g_init_pid;
/* A foreground run's or exec's process reported ready (it is at its exec): from then on a signal is its own. */
static volatile sig_atomic_t g_foreground, g_started;
static void forward(int sig);

/* SIGINT/TERM/HUP while the executor runs: the create is abandoned, the executor and the init killed at once,
 * and what they made is undone once the executor is gone. Once a foreground process is at its exec, the signal is
 * the process's instead (held until planc has read its pid, then forwarded): the shell it runs may already be
 * up before the executor's {"waiting":1} is read, and a SIGTERM meant for it must not kill it. */
static void on_interrupt(int sig)
{
	if (g_foreground && g_started) {
		forward(sig);
		return;
	}
	g_interrupted = sig;
	if (g_exec_pid > 0)
		kill(g_exec_pid, SIGKILL);
	if (g_init_pid > 0)
		kill(g_init_pid, SIGKILL);
}

static void handle(const int *sigs, size_t n, void (*fn)(int))
{
	struct sigaction sa = {0};
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	for (size_t k = 0; k < n; k++)
		sigaction(sigs[k], &sa, NULL);
}

static const int INTERRUPTS[] = {SIGINT, SIGTERM, SIGHUP};

static void report_line(struct run *run, const char *text, size_t len)
{
	const char *err;
	mp *rep = json_parse(text, len, &err);
	if (!rep || rep->type != MP_MAP)
		return; /* the executor writes whole JSON lines; anything else says nothing */
	const mp *pid = mp_get(rep, "pid"), *ready = mp_get(rep, "ready"), *i = mp_get(rep, "i"), *r = mp_get(rep, "r");
	const mp *waiting = mp_get(rep, "waiting"), *exited = mp_get(rep, "exited");
	if (pid && pid->type == MP_INT && pid->i > 0 && pid->i <= 4194304) {
		run->pid = pid->i;
		g_init_pid = (pid_t)pid->i;
		if (g_interrupted)
			kill(g_init_pid, SIGKILL);
	}
	if (ready && ready->type == MP_INT && ready->i)
		run->ready = true, g_started = 1;
	if (mp_get(rep, "auditError") && !run->audit_failure)
		run->audit_failure = rep;
	else if (i && i->type == MP_INT) {
		if (run->nreps == run->cap) {
			run->cap = run->cap ? 2 * run->cap : 64;
			run->reps = realloc(run->reps, run->cap * sizeof *run->reps);
			if (!run->reps)
				fail(NULL, "read the executor's reports: out of memory");
		}
		run->reps[run->nreps++] = rep;
	}
	if (r && r->type == MP_STR && !strcmp(r->s, "error") && !run->failure)
		run->failure = rep;
	if (waiting && waiting->type == MP_INT && waiting->i)
		run->waiting_line = true;
	if (exited && exited->type == MP_MAP)
		run->exited = exited;
}

/* Read what the report pipe has: false at EOF (closed). Lines are handled as they complete. */
static bool read_reports(struct run *run)
{
	char buf[8192];
	ssize_t n = read(run->report_fd, buf, sizeof buf);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	if (n == 0)
		return false;
	if (run->len + (size_t)n + 1 > run->lcap) {
		run->lcap = (run->len + (size_t)n + 1) * 2;
		run->line = realloc(run->line, run->lcap);
		if (!run->line)
			fail(NULL, "read the executor's reports: out of memory");
	}
	memcpy(run->line + run->len, buf, (size_t)n);
	run->len += (size_t)n;
	size_t start = 0;
	for (size_t k = 0; k < run->len; k++) {
		if (run->line[k] != '\n')
			continue;
		if (k > start)
			report_line(run, run->line + start, k - start);
		start = k + 1;
	}
	memmove(run->line, run->line + start, run->len - start);
	run->len -= start;
	return true;
}

static void executor_path(char *out, size_t cap)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n < 0)
		fail(NULL, "find planc's install directory: %s", errno_words(errno));
	self[n] = 0;
	snprintf(out, cap, "%s/planc-exec", dirname(self));
}

/* fd moved to at least `min`, close-on-exec (a child's own, before it is put where the protocol says). */
static int up(int fd, int min)
{
	int moved = fcntl(fd, F_DUPFD_CLOEXEC, min);
	if (moved < 0)
		_exit(127);
	return moved;
}

/* The child's side of the spawn: fds put in place, the signals planc handles given back, the executor exec'd
 * with nothing of planc's environment. Only async-signal-safe calls. */
static _Noreturn void exec_child(const char *path, int k, int plan_r, int report_w, int audit, int err_w, char **envp)
{
	sigset_t none;
	sigemptyset(&none);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL); /* SIGPIPE too: Node ignored it, and an ignored signal would reach the container */
	sigprocmask(SIG_SETMASK, &none, NULL);
	int hi = 6 + k;
	plan_r = up(plan_r, hi), report_w = up(report_w, hi), audit = up(audit, hi), err_w = up(err_w, hi);
	if (dup2(plan_r, 3 + k) < 0 || dup2(report_w, 4 + k) < 0 || dup2(audit, 5 + k) < 0)
		_exit(127);
	for (int fd = 3; fd < 3 + k; fd++)
		fcntl(fd, F_SETFD, 0); /* the caller's fds reach the container as they are */
	char *argv[] = {(char *)path, NULL};
	execve(path, argv, envp);
	int e = errno;
	ssize_t w = write(err_w, &e, sizeof e);
	(void)w;
	_exit(127);
}

/* Spawn the executor, hand it the plan, read its reports until setup is over: EOF, or (foreground) {"waiting":1}. */
static void run_executor(struct run *run, const struct plan *p, const uint8_t *bytes, size_t len, int k, int audit_fd)
{
	char path[PATH_MAX + 16];
	executor_path(path, sizeof path);
	/* The executor's whole environment: where its fds are (PROTOCOL.md). */
	char e1[32], e2[32], e3[32], e4[32];
	snprintf(e1, sizeof e1, "PLANC_PLAN_FD=%d", 3 + k);
	snprintf(e2, sizeof e2, "PLANC_REPORT_FD=%d", 4 + k);
	snprintf(e3, sizeof e3, "PLANC_AUDIT_FD=%d", 5 + k);
	snprintf(e4, sizeof e4, "PLANC_PRESERVE_FDS=%d", k);
	char *envp[] = {e1, e2, e3, e4, NULL};
	int planp[2], repp[2], errp[2];
	if (pipe2(planp, O_CLOEXEC) < 0 || pipe2(repp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0)
		fail(NULL, "cannot run the executor %s: %s", path, errno_words(errno));
	/* Blocked across the fork: the child must never run the handler (it would kill what is not its to kill). */
	sigset_t block, old;
	sigemptyset(&block);
	for (size_t s = 0; s < 3; s++)
		sigaddset(&block, INTERRUPTS[s]);
	sigprocmask(SIG_BLOCK, &block, &old);
	g_foreground = p->foreground;
	handle(INTERRUPTS, 3, on_interrupt);
	pid_t pid = fork();
	if (pid == 0)
		exec_child(path, k, planp[0], repp[1], audit_fd, errp[1], envp);
	int fork_errno = errno;
	if (pid > 0)
		g_exec_pid = pid;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(planp[0]), close(repp[1]), close(errp[1]);
	if (pid < 0)
		fail(NULL, "cannot run the executor %s: %s", path, errno_words(fork_errno));
	run->exec = pid;
	int e = 0;
	ssize_t got;
	while ((got = read(errp[0], &e, sizeof e)) < 0 && errno == EINTR)
		;
	close(errp[0]);
	if (got == (ssize_t)sizeof e) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		g_exec_pid = 0;
		fail(NULL, "cannot run the executor %s: %s", path, errno_words(e));
	}
	run->report_fd = repp[0];
	/* The plan is written while the reports are read: neither pipe can fill up and stall the other side. */
	int plan_w = planp[1];
	fcntl(plan_w, F_SETFL, O_NONBLOCK);
	size_t off = 0;
	if (len == 0)
		close(plan_w), plan_w = -1;
	for (bool open = true; open && !(run->waiting_line && p->foreground);) {
		struct pollfd pf[2] = {{run->report_fd, POLLIN, 0}, {plan_w, POLLOUT, 0}};
		if (poll(pf, plan_w >= 0 ? 2 : 1, -1) < 0)
			continue; /* EINTR: an interrupt killed the executor; its EOF follows */
		if (plan_w >= 0 && pf[1].revents) {
			ssize_t w = write(plan_w, bytes + off, len - off);
			if (w > 0)
				off += (size_t)w;
			/* An executor that died early is reported through its exit, not EPIPE. */
			if ((w < 0 && errno != EAGAIN && errno != EINTR) || off == len)
				close(plan_w), plan_w = -1;
		}
		if (pf[0].revents)
			open = read_reports(run);
	}
	if (plan_w >= 0)
		close(plan_w);
}

/* How the executor exited: its status, or 128 when a signal ended it. */
static int reap_executor(struct run *run)
{
	int st = 0;
	while (waitpid(run->exec, &st, 0) < 0 && errno == EINTR)
		;
	g_exec_pid = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* ---- what the executor made ---- */

/* The planned groups an executor makes: cgroup.create, and a resctrl.create of the container's own group. */
static bool makes_group(const mp *a)
{
	const char *op = action_str(a, "op"), *exists = action_str(a, "exists");
	return op && (!strcmp(op, "cgroup.create") || (!strcmp(op, "resctrl.create") && exists && !strcmp(exists, "refuse")));
}

/* ---- the record (state.json, as saveRecord wrote it: stringifyJson, these keys in this order) ---- */

/* The span of a value in JSON text starting at s[k]: its end. */
static size_t skip_value(const char *s, size_t k)
{
	int depth = 0;
	bool in_str = false;
	for (; s[k]; k++) {
		char c = s[k];
		if (in_str) {
			if (c == '\\' && s[k + 1])
				k++;
			else if (c == '"') {
				in_str = false;
				if (depth == 0)
					return k + 1;
			}
			continue;
		}
		if (c == '"')
			in_str = true;
		else if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']') {
			if (depth == 0)
				return k; /* the end of a scalar just before its container's close */
			if (--depth == 0)
				return k + 1;
		} else if (depth == 0 && (c == ',' || c == ' ' || c == '\n' || c == '\t' || c == '\r'))
			return k;
	}
	return k;
}

/* The text of member `key` of a JSON object (valid, already parsed), or false. */
static bool member_text(const char *s, const char *key, size_t *at, size_t *len)
{
	size_t k = strspn(s, " \t\r\n");
	if (s[k] != '{')
		return false;
	k++;
	size_t klen = strlen(key);
	for (;;) {
		k += strspn(s + k, " \t\r\n,");
		if (s[k] != '"')
			return false;
		size_t kend = skip_value(s, k);
		bool match = kend - k == klen + 2 && !strncmp(s + k + 1, key, klen);
		k = kend + strspn(s + kend, " \t\r\n");
		if (s[k] != ':')
			return false;
		k++;
		k += strspn(s + k, " \t\r\n");
		size_t vend = skip_value(s, k);
		if (match) {
			*at = k, *len = vend - k;
			return true;
		}
		k = vend;
	}
}

/* Like new Date().toISOString(): UTC with milliseconds. */
static void iso_now(char *out, size_t cap)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char day[32];
	strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, cap, "%.24s.%03dZ", day, (int)(ts.tv_nsec / 1000000) % 1000);
}

static void record_json(struct jbuf *b, const struct plan *p, const char *id, int64_t pid, const char *start, const struct remains *r,
			const char *extras, const char *audit_log)
{
	char created[40];
	iso_now(created, sizeof created);
	struct passwd *pw = getpwuid(geteuid());
	if (!pw)
		fail(NULL, "the user planc runs as (uid %u) has no entry in the user database", (unsigned)geteuid());
	jb_obj_begin(b);
	jb_key(b, "ociVersion"), jb_str(b, p->oci_version);
	jb_key(b, "id"), jb_str(b, id);
	jb_key(b, "pid"), jb_i64(b, pid);
	jb_key(b, "startTime"), jb_str(b, start);
	jb_key(b, "bundle"), jb_str(b, p->bundle);
	jb_key(b, "rootfs"), jb_str(b, p->rootfs);
	jb_key(b, "created"), jb_str(b, created);
	jb_key(b, "owner"), jb_str(b, pw->pw_name);
	size_t at, len;
	/* The config's values as the CLI wrote them (stringifyJson: 64-bit limits stay exact). */
	if (extras && member_text(extras, "annotations", &at, &len)) {
		jb_key(b, "annotations");
		b->after_key = false;
		jb_raw(b, extras + at, len);
	}
	jb_key(b, "planDigest"), jb_str(b, p->digest);
	jb_key(b, "cgroups"), jb_arr_begin(b);
	for (int k = 0; k < r->ncgroups; k++) {
		jb_obj_begin(b);
		jb_key(b, "path"), jb_str(b, r->cgroups[k].path);
		jb_key(b, "ino"), jb_u64(b, r->cgroups[k].ino);
		jb_key(b, "made"), jb_bool(b, r->cgroups[k].made);
		jb_obj_end(b);
	}
	jb_arr_end(b);
	jb_key(b, "pidNamespace"), jb_bool(b, p->pid_ns);
	if (audit_log)
		jb_key(b, "auditLog"), jb_str(b, audit_log);
	if (extras && member_text(extras, "resources", &at, &len)) {
		jb_key(b, "resources");
		b->after_key = false;
		jb_raw(b, extras + at, len);
	}
	jb_obj_end(b);
}

/* extras: a JSON object whose annotations (strings) and resources (an object) go into the record as they are. */
static void check_extras(const char *extras)
{
	const char *err;
	mp *doc = extras ? json_parse(extras, strlen(extras), &err) : NULL;
	if (!extras)
		return;
	const mp *ann = doc ? mp_get(doc, "annotations") : NULL, *res = doc ? mp_get(doc, "resources") : NULL;
	bool ok = doc && doc->type == MP_MAP && (!res || res->type == MP_MAP) && (!ann || ann->type == MP_MAP);
	for (uint32_t k = 0; ok && ann && k < ann->len; k++)
		ok = ann->kids[2 * k + 1].type == MP_STR;
	if (!ok)
		fail(NULL, "internal: apply --extras is not the config's annotations and resources");
}

/* --pid-file, as writeCallerFile writes a caller's file: an O_EXCL|O_NOFOLLOW temp file with an unguessable name
 * beside it, written whole, renamed over the name (which replaces a planted symlink itself, never what it points to). */
static void write_pid_file(const char *file, int64_t pid)
{
	char path[4096], dir[4096], base[4096], tmp[8448];
	path_resolve(file, path, sizeof path);
	snprintf(dir, sizeof dir, "%s", path);
	snprintf(base, sizeof base, "%s", path);
	unsigned char rnd[8];
	int rfd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (rfd < 0 || read(rfd, rnd, sizeof rnd) != (ssize_t)sizeof rnd)
		fail(NULL, "--pid-file %s: no randomness for a temp name", path);
	close(rfd);
	snprintf(tmp, sizeof tmp, "%s/.%.200s.%02x%02x%02x%02x%02x%02x%02x%02x.tmp", dirname(dir), basename(base), rnd[0], rnd[1], rnd[2],
		 rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		fail(NULL, "--pid-file %s: %s", path, caller_file_why(errno));
	char text[24];
	int n = snprintf(text, sizeof text, "%lld", (long long)pid); /* no newline: containerd rejects one */
	int e = write(fd, text, (size_t)n) == n ? 0 : errno ? errno : EIO;
	close(fd);
	if (!e && rename(tmp, path) < 0)
		e = errno;
	if (e) {
		unlink(tmp);
		fail(NULL, "--pid-file %s: %s", path, caller_file_why(e));
	}
}

/* The --audit-log export (lifecycle.c) with the record as it is on disk now: the count of lines exported is in it. */
static void export_now(struct cdir *d, struct record *rec)
{
	if (!record_read(d, rec))
		fail(d->id, "container does not exist");
	export_audit(d, rec);
}

/* ---- apply ---- */

struct applying_state {
	const struct apply_request *rq;
	struct plan plan;
	struct root store, root;
	struct cdir d;
	struct begun trail;
	struct run run;
	struct remains r;
	char audit_log[4096];
	const char *reason; /* the error's message without its where, for the undo's record */
	void *key;
};

/* The error a failed executor run becomes (executorError had it): the failed action's message, against its config path. */
static _Noreturn void executor_failed(struct applying_state *s)
{
	static char msg[8448];
	struct run *run = &s->run;
	char name[32];
	if (g_interrupted) {
		snprintf(msg, sizeof msg, "create interrupted by %s; everything it set up was removed", signal_name(g_interrupted, name, sizeof name));
		s->reason = msg;
		fail(NULL, "%s", msg);
	}
	if (run->audit_failure) {
		const char *m = mp_str(mp_get(run->audit_failure, "msg"));
		snprintf(msg, sizeof msg, "%s (%s): nothing is applied that cannot be recorded, so the create was stopped and undone",
			 m ? m : "an audit record could not be written", s->trail.path);
		s->reason = msg;
		fail(NULL, "%s", msg);
	}
	const mp *i = run->failure ? mp_get(run->failure, "i") : NULL;
	const mp *a = i && i->type == MP_INT ? action_at(&s->plan, i->i) : NULL;
	if (a) {
		const char *why = action_str(a, "why"), *m = mp_str(mp_get(run->failure, "msg"));
		if (m)
			snprintf(msg, sizeof msg, "%s", m);
		else
			snprintf(msg, sizeof msg, "%s failed", action_str(a, "op"));
		s->reason = msg;
		if (why && why[0] == '/') {
			static char where[8448 + 8192];
			snprintf(where, sizeof where, "%s: %s", s->plan.config, why);
			fail(where, "%s", msg);
		}
		fail(NULL, "%s", msg);
	}
	snprintf(msg, sizeof msg, "the executor exited with status %d before the container was ready", run->code);
	s->reason = msg;
	fail(NULL, "%s", msg);
}

/* Everything from the claim to the saved record; any fail() in here lands in apply_plan's undo. */
static void create(struct applying_state *s)
{
	const struct apply_request *rq = s->rq;
	struct plan *p = &s->plan;
	cdir_write(&s->d, "plan.msgpack", (const char *)rq->plan, rq->plan_len);
	store_begin(&s->store, rq->id, rq->plan, rq->plan_len, &s->trail);
	/* Before the executor runs: a crash from here on leaves the way to the trail (and the cgroups it records). */
	struct jbuf ref;
	jb_init(&ref);
	jb_obj_begin(&ref);
	jb_key(&ref, "dir"), jb_str(&ref, s->store.path);
	jb_key(&ref, "id"), jb_str(&ref, rq->id);
	jb_key(&ref, "seq"), jb_i64(&ref, s->trail.seq);
	jb_obj_end(&ref);
	cdir_write(&s->d, "audit.json", ref.p, ref.len);
	/* Which planned groups exist already: an executor that dies may make one without living to record it. */
	uint32_t nact = p->actions->len;
	bool *before = calloc(nact ? nact : 1, sizeof *before);
	struct stat st;
	for (uint32_t k = 0; k < nact; k++) {
		const char *op = action_str(&p->actions->kids[k], "op"), *path = action_str(&p->actions->kids[k], "path");
		before[k] = op && path && (!strcmp(op, "cgroup.create") || !strcmp(op, "resctrl.create")) && stat(path, &st) == 0;
	}
	struct run *run = &s->run;
	run_executor(run, p, rq->plan, rq->plan_len, rq->preserve_fds, s->trail.fd);
	/* A foreground executor stays to wait for the init (PROTOCOL.md): once it waits, its exit is the container's. */
	bool waiting = run->ready && p->foreground && !g_interrupted && !run->failure && !run->audit_failure;
	run->code = waiting ? 0 : reap_executor(run);
	handle(INTERRUPTS, 3, SIG_DFL);
	s->r.pid = run->pid;
	/* An init that already exited and was reaped (a quick foreground run) has no start time to read: '0', which no
	 * live process has, so the record stays one the schema accepts and the container reads as stopped. */
	static char start[32];
	char state;
	if (!proc_stat(run->pid, start, sizeof start, &state) || !start[0])
		snprintf(start, sizeof start, "0");
	s->r.start_time = start;
	for (size_t k = 0; k < run->nreps && s->r.ncgroups < 64; k++)
		if (group_of_record(&p->doc, run->reps[k], &s->r.cgroups[s->r.ncgroups]))
			s->r.ncgroups++;
	if (!run->ready || run->code != 0 || g_interrupted || run->audit_failure) {
		/* An executor killed between a mkdir and its record, or stopped because that record could not be written,
		 * leaves a group nobody reported: one that was not there before and is now, still a group, is its. */
		if (run->code != 1 || run->audit_failure)
			for (uint32_t k = 0; k < nact && s->r.ncgroups < 64; k++) {
				const mp *a = &p->actions->kids[k];
				const char *path = action_str(a, "path");
				bool known = before[k] || !path || !makes_group(a);
				for (int j = 0; j < s->r.ncgroups && !known; j++)
					known = !strcmp(s->r.cgroups[j].path, path);
				if (known || lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
					continue;
				struct cgroup c = {path, (uint64_t)st.st_ino, true};
				if (cgroup_still_owned(&c))
					s->r.cgroups[s->r.ncgroups++] = c;
			}
		executor_failed(s);
	}
	free(before);
	struct jbuf rec;
	jb_init(&rec);
	record_json(&rec, p, rq->id, run->pid, start, &s->r, rq->extras, rq->audit_log ? s->audit_log : NULL);
	cdir_write(&s->d, "state.json", rec.p, rec.len);
	if (rq->audit_log) {
		struct record r;
		export_now(&s->d, &r);
	}
	if (rq->pid_file)
		write_pid_file(rq->pid_file, run->pid);
	close(s->trail.fd);
	s->trail.fd = -1;
}

/* Undo a create that failed after its claim, then fail with its error. */
static _Noreturn void undo(struct applying_state *s, const char *line)
{
	static char saved[8448];
	snprintf(saved, sizeof saved, "%s", line);
	handle(INTERRUPTS, 3, SIG_DFL);
	if (s->trail.fd >= 0)
		close(s->trail.fd);
	if (g_exec_pid > 0) {
		/* Failed while the executor ran (its reports unreadable): it is stopped before what it made is taken apart. */
		kill(g_exec_pid, SIGKILL);
		reap_executor(&s->run);
	}
	/* Undo what the executor made, recorded in the trail as an undo plan — or, when the trail itself cannot be
	 * written, unrecorded (best effort). Once a hook ran, a failed create goes on at the spec's step 12: destroyed,
	 * then the poststop hooks (recorded before the trail is closed). */
	bool hooked;
	mp *plan = plan_read(&s->d, false, &hooked);
	if (!s->r.start_time)
		s->r.start_time = "";
	teardown_with_trail(&s->d, &s->r, TD_UNDO,
			    &(struct td_how){s->reason ? s->reason : saved, true, s->key, plan, hooked, false,
					     s->rq->audit_log ? s->audit_log : NULL, s->plan.digest});
	/* The init (if any) is our child through CLONE_PARENT: reap it so no zombie outlives the failed create — once
	 * it is one (a wait for a live process would never return). */
	char start[32], state = 0;
	if (proc_stat(s->r.pid, start, sizeof start, &state) && (state == 'Z' || state == 'X'))
		while (waitpid((pid_t)s->r.pid, NULL, 0) < 0 && errno == EINTR)
			;
	fail(NULL, "%s", saved);
}

/* Signals to planc are meant for the process it waits for (a foreground run's container, a foreground exec's process):
 * forwarded once its pid is known; one that comes before (an exec's setup) is held and sent then — never lost, never
 * planc's death by the default action. With a relayed terminal, the pty's size change signals the process itself
 * (executor/native/tty.c): SIGWINCH, last here, is then not forwarded. */
static const int FORWARDED[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
static volatile sig_atomic_t g_forward_to, g_nheld;
static volatile sig_atomic_t g_held[64];

static void forward(int sig)
{
	if (g_forward_to > 0)
		kill(g_forward_to, sig);
	else if (g_nheld < 64)
		g_held[g_nheld++] = sig;
}

static size_t nforwarded(const struct plan *p)
{
	return p->relay ? 6 : 7;
}

/* From now on signals go to pid; those held meanwhile first, in the order they came. */
static void forward_to(pid_t pid)
{
	sigset_t block, old;
	sigemptyset(&block);
	for (size_t k = 0; k < 7; k++)
		sigaddset(&block, FORWARDED[k]);
	sigprocmask(SIG_BLOCK, &block, &old);
	g_forward_to = pid;
	for (sig_atomic_t k = 0; k < g_nheld; k++)
		kill(pid, g_held[k]);
	g_nheld = 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* A foreground executor's end (PROTOCOL.md): its reports read to EOF, it reaped, the forwarding stopped. The status
 * planc exits with: the exited line's (the code, or 128 + the signal, *signo set), else the executor's own exit
 * status; *known false (status 1) when neither says. */
static int await_exit(struct run *run, size_t nsig, int *signo, bool *known)
{
	while (read_reports(run))
		;
	close(run->report_fd);
	int st = 0;
	while (waitpid(run->exec, &st, 0) < 0 && errno == EINTR)
		;
	handle(FORWARDED, nsig, SIG_DFL);
	const mp *sig = run->exited ? mp_get(run->exited, "signal") : NULL, *code = run->exited ? mp_get(run->exited, "code") : NULL;
	*signo = 0, *known = true;
	if (sig && sig->type == MP_INT && sig->i > 0 && sig->i < 65)
		return *signo = (int)sig->i, 128 + *signo;
	if (code && code->type == MP_INT && code->i >= 0 && code->i < 256)
		return (int)code->i;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	*known = false;
	return 1;
}

/* A foreground run: the container waited for, its status ours; then it is taken apart. */
static _Noreturn void wait_foreground(struct applying_state *s)
{
	struct run *run = &s->run;
	/* While it runs, other verbs (state, kill, delete --force) may act on it. */
	flock(s->d.fd, LOCK_UN);
	size_t nsig = nforwarded(&s->plan);
	handle(FORWARDED, nsig, forward);
	forward_to((pid_t)run->pid);
	int signo;
	bool known;
	int status = await_exit(run, nsig, &signo, &known);
	/* Its lock again; deleted meanwhile (delete --force): nothing is left to take apart. */
	for (int waited = 0;; waited += 2) {
		if (flock(s->d.fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno != EWOULDBLOCK && errno != EINTR)
			fail(NULL, "lock container %s: errno %d", quote(s->d.id), errno);
		if (waited >= 10000)
			fail(s->d.id, "container is busy: another planc process holds its lock");
		nanosleep(&(struct timespec){0, 2000000}, NULL);
	}
	struct stat dst;
	if (fstat(s->d.fd, &dst) < 0 || dst.st_nlink == 0)
		exit(status);
	struct record rec;
	if (s->rq->audit_log)
		export_now(&s->d, &rec);
	/* How it ended, into the trail; then the run taken apart and the poststop hooks (teardown.c), which closes the trail. */
	if (known) {
		struct trail *t = trail_open(&s->d);
		if (t) {
			struct jbuf f;
			char name[32];
			jb_init(&f);
			jb_obj_begin(&f);
			jb_key(&f, "event"), jb_str(&f, "exited");
			if (signo)
				jb_key(&f, "signal"), jb_str(&f, signal_name(signo, name, sizeof name));
			else
				jb_key(&f, "code"), jb_i64(&f, status);
			jb_key(&f, "t"), jb_i64(&f, now_micros());
			jb_obj_end(&f);
			trail_append(t, &f);
			trail_release(t);
		}
	}
	if (!record_read(&s->d, &rec))
		fail(s->d.id, "container does not exist");
	struct remains r;
	remains_of_record(&rec, &r);
	bool hooked;
	mp *plan = plan_read(&s->d, false, &hooked);
	teardown_with_trail(&s->d, &r, TD_EXIT,
			    &(struct td_how){NULL, false, s->key, plan, hooked, true, mp_str(mp_get(rec.doc, "auditLog")),
					     mp_str(mp_get(rec.doc, "planDigest"))});
	exit(known ? status : 1);
}

/* ---- exec: a process run in a running container (planc exec, planned by cli/exec.ts) ---- */

/* The exec's trail in the durable store (docs/audit.md), beside the container's:
 *   <seq>.exec-<n>.plan.msgpack  the exact plan bytes the executor is given
 *   <seq>.exec-<n>.audit.jsonl   its trail: the executor's header and records
 * n counts 1, 2, … per create, claimed with O_EXCL under the container's lock. The container's own trail names exec n
 * and its plan's digest before the executor runs (an exec that cannot be recorded does not run), and the exec trail's
 * line count and last line's hash once it has: an exec trail removed, cut or rewritten later no longer matches. */
struct exec_trail {
	struct trail *container; /* the container's trail, at its head */
	long n;
	int fd; /* the exec's trail, O_RDWR|O_APPEND: the executor writes to it; read back through it */
	char path[4608];
};

static void exec_trail_begin(struct cdir *d, const uint8_t *plan, size_t len, const char *digest, struct exec_trail *x)
{
	struct trailref ref;
	x->container = trail_open(d);
	if (!x->container || !trailref_read(d, &ref))
		fail(d->id, "the container has no audit trail to record an exec in; planc exec runs nothing it cannot record");
	struct root store;
	struct cdir sd;
	if (!root_open_as(&store, ref.dir, "--audit-dir"))
		fail(NULL, "the audit store %s is gone", ref.dir);
	if (!cdir_open(&sd, &store, ref.id))
		fail(NULL, "the audit trail %s/%s/%ld.audit.jsonl is gone", store.path, ref.id, ref.seq);
	char prefix[48];
	snprintf(prefix, sizeof prefix, "%ld.exec-", ref.seq);
	for (long n = last_number(sd.fd, prefix) + 1, attempt = 0;; n++, attempt++) {
		char name[96];
		snprintf(name, sizeof name, "%s%ld.plan.msgpack", prefix, n);
		int e = store_plan(sd.fd, name, plan, len);
		if (e == -EEXIST && attempt < 100)
			continue;
		if (e < 0)
			fail(NULL, "store the exec plan in %s/%s: %s", store.path, ref.id, errno_words(-e));
		if (e > 0)
			fail(NULL, "store the plan in %s/%s/%s: %s", store.path, ref.id, name, errno_words(e));
		snprintf(name, sizeof name, "%s%ld.audit.jsonl", prefix, n);
		snprintf(x->path, sizeof x->path, "%s/%s/%s", store.path, ref.id, name);
		x->fd = openat(sd.fd, name, O_RDWR | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (x->fd < 0)
			fail(NULL, "create the audit trail %s: %s", x->path, errno_words(errno));
		x->n = n;
		close(sd.fd);
		close(store.fd);
		break;
	}
	trail_begin_exec(x->container, x->n, digest);
}

/* The exec trail's text as it is now (NUL-terminated). */
static char *exec_trail_text(struct exec_trail *x, size_t *len)
{
	char *text = read_whole_fd(x->fd, 64 << 20, 0, len);
	if (!text && errno == EFBIG)
		fail(NULL, "%s is larger than %d bytes", x->path, 64 << 20);
	if (!text)
		fail(NULL, "read %s: %s", x->path, errno == ENOMEM ? "out of memory" : errno_words(errno));
	return text;
}

/* Once the executor is done: the exec trail's line count and its last line's sha256 into the container's trail (a
 * final newline ends the last line rather than starting an empty one), synced; the container's trail let go. */
static void exec_trail_end(struct exec_trail *x, bool started)
{
	size_t len;
	char *text = exec_trail_text(x, &len);
	size_t end = len > 0 && text[len - 1] == '\n' ? len - 1 : len;
	long lines = 0;
	for (size_t k = 0; k < end; k++)
		lines += text[k] == '\n';
	lines += len > 0;
	size_t start = end;
	while (start > 0 && text[start - 1] != '\n')
		start--;
	char head[65] = "";
	if (lines) {
		uint8_t dg[32];
		sha256((const uint8_t *)text + start, end - start, dg);
		sha256_hex(dg, head);
	}
	free(text);
	struct jbuf f;
	jb_init(&f);
	jb_obj_begin(&f);
	jb_key(&f, "exec");
	jb_obj_begin(&f);
	jb_key(&f, "n"), jb_i64(&f, x->n);
	jb_key(&f, "lines"), jb_i64(&f, lines);
	jb_key(&f, "head"), jb_str(&f, head);
	jb_key(&f, "started"), jb_bool(&f, started);
	jb_obj_end(&f);
	jb_key(&f, "t"), jb_i64(&f, now_micros());
	jb_obj_end(&f);
	trail_append(x->container, &f);
	free(f.p);
	trail_flush(x->container);
	trail_release(x->container);
	x->container = NULL;
}

/* The container's --audit-log (its record says which): the exec's records, every line but the executor's header,
 * tagged with the container, the exec's number and its plan's digest. */
static void exec_export(struct cdir *d, struct exec_trail *x, const char *digest)
{
	struct record rec;
	if (!record_read(d, &rec))
		fail(d->id, "container does not exist");
	const char *log = mp_str(mp_get(rec.doc, "auditLog"));
	if (!log)
		return;
	size_t len;
	char *text = exec_trail_text(x, &len);
	struct jbuf out;
	jb_init(&out);
	char *p = strchr(text, '\n');
	for (p = p ? p + 1 : text + len; *p;) {
		char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		if (l > 0) {
			jb_raw(&out, "{\"container\":", 13);
			jb_quoted(&out, rec.id);
			char num[48];
			jb_raw(&out, num, (size_t)snprintf(num, sizeof num, ",\"exec\":%ld,\"planDigest\":", x->n));
			jb_quoted(&out, digest);
			jb_raw(&out, ",", 1);
			jb_raw(&out, p + 1, l - 1);
			jb_raw(&out, "\n", 1);
		}
		p += l + (nl ? 1 : 0);
	}
	free(text);
	if (out.len > 0)
		append_audit_log(log, out.p, out.len);
	free(out.p);
}

/* The error a failed exec becomes (execError had it): interrupted, an unrecordable record, or the failed action's
 * message against its pointer — in process.json (exec -p) or the container's config. The shell's 127 (not found) and
 * 126 when the command itself could not be run, as runc says it (podman maps these). */
static _Noreturn void exec_failed(struct applying_state *s, const struct exec_trail *x)
{
	struct run *run = &s->run;
	char name[32];
	if (g_interrupted)
		fail(NULL, "exec interrupted by %s; the process was killed", signal_name(g_interrupted, name, sizeof name));
	if (run->audit_failure) {
		const char *m = mp_str(mp_get(run->audit_failure, "msg"));
		fail(NULL, "%s (%s): nothing is applied that cannot be recorded, so the exec was stopped",
		     m ? m : "an audit record could not be written", x->path);
	}
	const mp *i = run->failure ? mp_get(run->failure, "i") : NULL;
	const mp *a = i && i->type == MP_INT ? action_at(&s->plan, i->i) : NULL;
	if (!a)
		fail(NULL, "the executor exited with status %d before the process started", run->code);
	static char msg[8448], where[8448 + 8192];
	const char *why = action_str(a, "why"), *op = action_str(a, "op"), *m = mp_str(mp_get(run->failure, "msg"));
	const mp *en = mp_get(run->failure, "errno");
	if (m)
		snprintf(msg, sizeof msg, "%s", m);
	else
		snprintf(msg, sizeof msg, "%s failed", op);
	if (!strcmp(op, "exec.check") || !strcmp(op, "exec"))
		g_fail_status = en && en->type == MP_INT && en->i == ENOENT ? 127 : 126;
	const char *in_process = why && !strncmp(why, "process.json:", 13) ? why + 13 : NULL;
	if (in_process && in_process[0] == '/')
		snprintf(where, sizeof where, "%s: %s", s->rq->config ? s->rq->config : s->plan.config, in_process);
	else if (in_process)
		snprintf(where, sizeof where, "%s", in_process);
	else if (why && why[0] == '/')
		snprintf(where, sizeof where, "%s: %s", s->plan.config, why);
	else
		where[0] = 0;
	fail(where, "%s", msg);
}

/* The state directory the CLI opened and locked while it planned, handed over across the execve: the lock is kept
 * (flock belongs to the open file), so nothing (delete, a create of the id) comes between the plan and its exec. It
 * must be the directory of that id under --root: the same directory as opening it by name through the gate. */
static void exec_adopt_dir(struct applying_state *s)
{
	const struct apply_request *rq = s->rq;
	struct cdir *d = &s->d;
	if (!root_open(&s->root, rq->root) || !cdir_open(d, &s->root, rq->id))
		fail(rq->id, "container does not exist");
	struct stat held, named;
	int fd = rq->dir_fd;
	if (fd < 3 || fstat(fd, &held) < 0 || !S_ISDIR(held.st_mode) || fstat(d->fd, &named) < 0 || held.st_ino != named.st_ino ||
	    held.st_dev != named.st_dev)
		fail(NULL, "internal: apply --dir-fd is not the state directory of %s", quote(rq->id));
	/* Below 3+K it would go to the process as one of the caller's fds. */
	if (fd < 3 + rq->preserve_fds)
		fail(NULL, "--preserve-fds %d: fd %d is not open; the caller passed fewer fds", rq->preserve_fds, fd);
	close(d->fd);
	d->fd = fd;
	/* Not the executor's, nor the process's. */
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	/* Already ours, so this cannot wait: a directory whose lock another process holds was not handed over locked. */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		fail(NULL, "internal: apply --dir-fd of %s does not hold its lock", quote(rq->id));
}

/* What execInContainer did once the plan existed, in its order. */
static _Noreturn void exec_apply(struct applying_state *s)
{
	const struct apply_request *rq = s->rq;
	struct plan *p = &s->plan;
	struct run *run = &s->run;
	exec_adopt_dir(s);
	size_t nsig = nforwarded(p);
	if (p->foreground)
		handle(FORWARDED, nsig, forward);
	struct exec_trail x = {0};
	exec_trail_begin(&s->d, rq->plan, rq->plan_len, p->digest, &x);
	/* Into a paused container the process starts frozen and gets ready only once the container is resumed (as with
	 * runc): `planc resume` needs the lock meanwhile. */
	if (rq->paused)
		flock(s->d.fd, LOCK_UN);
	/* An executor that cannot even be started still ends the exec trail (not started), then fails as it would. */
	jmp_buf failed;
	g_catch = &failed;
	if (setjmp(failed) != 0) {
		static char line[sizeof g_caught];
		g_catch = NULL;
		snprintf(line, sizeof line, "%s", g_caught);
		if (rq->paused)
			cdir_lock(&s->d);
		exec_trail_end(&x, false);
		fail(NULL, "%s", line);
	}
	run_executor(run, p, rq->plan, rq->plan_len, rq->preserve_fds, x.fd);
	g_catch = NULL;
	bool waiting = run->ready && p->foreground && !g_interrupted && !run->failure && !run->audit_failure;
	run->code = waiting ? 0 : reap_executor(run);
	/* INT, TERM and HUP stop being an interrupt of the setup: the process's from here on, held until its pid is
	 * known (detached: planc's own again). */
	handle(INTERRUPTS, 3, p->foreground ? forward : SIG_DFL);
	/* The container's trail has one writer at a time: the lock again before its closing line. */
	if (rq->paused)
		cdir_lock(&s->d);
	exec_trail_end(&x, run->ready && run->code == 0 && !run->audit_failure);
	if (!run->ready || run->code != 0 || g_interrupted || run->audit_failure)
		exec_failed(s, &x);
	if (rq->pid_file)
		write_pid_file(rq->pid_file, run->pid);
	exec_export(&s->d, &x, p->digest);
	close(x.fd);
	flock(s->d.fd, LOCK_UN);
	close(s->d.fd);
	if (!p->foreground)
		exit(0);
	forward_to((pid_t)run->pid);
	int signo;
	bool known;
	exit(await_exit(run, nsig, &signo, &known));
}

void apply_plan(const struct apply_request *rq)
{
	static struct applying_state s;
	memset(&s, 0, sizeof s);
	s.rq = rq;
	s.trail.fd = -1;
	/* Writes to a pipe whose reader died fail with EPIPE rather than killing planc (the executor gets SIG_DFL back). */
	signal(SIGPIPE, SIG_IGN);
	/* Whatever mask the process that became this one had, the signals planc acts on must reach it. */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	check_id(rq->id);
	plan_load(&s.plan, rq->plan, rq->plan_len, rq->id);
	check_extras(rq->extras);
	check_preserved_fds(rq->preserve_fds);
	if (rq->mode == APPLY_EXEC)
		exec_apply(&s);
	if (rq->audit_log) {
		path_resolve(rq->audit_log, s.audit_log, sizeof s.audit_log);
		check_audit_log(s.audit_log);
	}
	/* So is an audit store or a signing key planc cannot use: nothing is created that could not be recorded. */
	const char *key_path = rq->audit_sign_key ? rq->audit_sign_key : getenv("PLANC_AUDIT_SIGN_KEY");
	s.key = key_path ? trail_load_key(key_path) : NULL;
	char dir_buf[4096];
	root_open_make(&s.store, audit_dir_of(rq->audit_dir, dir_buf, sizeof dir_buf), "--audit-dir");
	root_open_make(&s.root, rq->root, "--root");
	if (!cdir_claim(&s.d, &s.root, rq->id))
		fail(NULL, "container with id %s already exists", quote(rq->id));
	/* What teardown may touch if anything below fails: grows as the executor reports. */
	s.r.start_time = "";
	jmp_buf failed;
	g_catch = &failed;
	if (setjmp(failed) != 0) {
		g_catch = NULL;
		undo(&s, g_caught);
	}
	create(&s);
	g_catch = NULL;
	if (rq->mode == APPLY_CREATE)
		exit(0);
	/* The executor confirmed the exec before create returned: the trail has it. The poststart hooks (and, when one
	 * fails, the container destroyed), then the --audit-log export, as for `planc start` (poststart.c). Op names are
	 * plain strings in msgpack: a plan with poststart hooks holds "hook.poststart". */
	if (memmem(rq->plan, rq->plan_len, "hook.poststart", 14)) {
		struct record rec;
		if (!record_read(&s.d, &rec))
			fail(rq->id, "container does not exist");
		bool hooked;
		mp *plan = plan_read(&s.d, true, &hooked);
		poststart(&s.d, &rec, plan, s.plan.config);
		if (rq->audit_log)
			export_now(&s.d, &rec);
	}
	if (rq->mode == APPLY_RUN_DETACHED)
		exit(0);
	wait_foreground(&s);
}

/* What the CLI handed over on an fd: the whole file (a memfd), NUL-terminated, then the fd closed. */
static uint8_t *fd_file(const char *fd_s, const char *flag, size_t *len)
{
	char *end;
	long fd = strtol(fd_s, &end, 10);
	struct stat st;
	if (!*fd_s || *end || fd < 3 || fd > INT_MAX || fstat((int)fd, &st) < 0 || !S_ISREG(st.st_mode))
		fail(NULL, "internal: apply %s is not a file planc wrote", flag);
	size_t n;
	char *buf = read_whole_fd((int)fd, 64 << 20, 0, &n);
	if (!buf || n != (size_t)st.st_size)
		fail(NULL, "internal: apply %s could not be read", flag);
	close((int)fd);
	if (len)
		*len = n;
	return (uint8_t *)buf;
}

/* planc [globals] apply --mode=create|run|run-detached --plan-fd=N [--extras=JSON | --extras-fd=M] [--pid-file=F] [--preserve-fds=K]
 * [--audit-log=L] -- ID: hidden, for the CLI (cli/container.ts), which planned and then replaced itself with this
 * (execve: the pid an engine knows stays planc's). --plan-fd: the plan bytes in a file (a memfd) open on fd N;
 * --extras-fd: apply_request's extras, the same way (annotations can be larger than one argument may be).
 * An exec's (cli/exec.ts): --mode=exec --plan-fd=N --dir-fd=D [--paused] [--config=C] [--argv-fd=A] [--pid-file=F]
 * [--preserve-fds=K] -- ID: D the container's state directory, which the CLI holds locked; C the file process.json
 * pointers are in; A (a memfd) the command line the caller gave the CLI. */
int verb_apply(struct globals *g, char **args, int nargs)
{
	(void)nargs;
	const char *mode = g->verb_flags[0], *fd_s = g->verb_flags[1], *k_s = g->verb_flags[4];
	struct apply_request rq = {0};
	rq.mode = !mode                    ? -1
		  : !strcmp(mode, "create") ? APPLY_CREATE
		  : !strcmp(mode, "run")    ? APPLY_RUN
		  : !strcmp(mode, "exec")   ? APPLY_EXEC
					    : APPLY_RUN_DETACHED;
	if (rq.mode < 0 || !fd_s)
		fail(NULL, "internal: apply needs --mode and --plan-fd");
	const char *dir_s = g->verb_flags[7], *argv_s = g->verb_flags[10];
	if ((rq.mode == APPLY_EXEC) != (dir_s != NULL))
		fail(NULL, "internal: apply --dir-fd goes with --mode=exec, and only there");
	size_t n;
	uint8_t *plan = fd_file(fd_s, "--plan-fd", &n);
	char *end;
	/* --extras=JSON (an engine's small config) or --extras-fd (the CLI's: annotations can exceed one argument). */
	const char *extras = g->verb_flags[2] ? (const char *)fd_file(g->verb_flags[2], "--extras-fd", NULL) : g->verb_flags[6];
	long k = 0;
	if (k_s) {
		k = strtol(k_s, &end, 10);
		if (*end || !*k_s || k < 0 || k > MAX_PRESERVED)
			fail(NULL, "--preserve-fds %s: more fds than a process can have", k_s);
	}
	rq.plan = plan, rq.plan_len = n;
	rq.extras = extras;
	rq.id = args[0];
	rq.root = g->root;
	rq.pid_file = g->verb_flags[3] && *g->verb_flags[3] ? g->verb_flags[3] : NULL;
	rq.preserve_fds = (int)k;
	rq.audit_log = g->verb_flags[5] && *g->verb_flags[5] ? g->verb_flags[5] : NULL;
	rq.audit_dir = g->audit_dir;
	rq.audit_sign_key = g->audit_sign_key;
	if (dir_s) {
		long fd = strtol(dir_s, &end, 10);
		/* Anything but a plain fd number is refused as not the state directory (exec_adopt_dir). */
		rq.dir_fd = *end || !*dir_s || fd < 0 || fd > INT_MAX ? -1 : (int)fd;
	}
	rq.paused = g->verb_flags[8] != NULL;
	rq.config = g->verb_flags[9] && *g->verb_flags[9] ? g->verb_flags[9] : NULL;
	if (argv_s) {
		/* The command line the caller gave the CLI (NUL-separated), so the trail says who ran the exec as they wrote
		 * it rather than this hand-over's. */
		size_t alen;
		char *all = (char *)fd_file(argv_s, "--argv-fd", &alen);
		size_t count = 2;
		for (size_t j = 0; j < alen; j++)
			count += all[j] == 0;
		char **av = calloc(count + 1, sizeof *av);
		if (!av)
			fail(NULL, "internal: apply --argv-fd: out of memory");
		size_t n_av = 0;
		av[n_av++] = g_argv[0];
		for (size_t j = 0; j < alen; j += strlen(all + j) + 1)
			av[n_av++] = all + j;
		av[n_av] = NULL;
		g_argv = av;
	}
	apply_plan(&rq);
}
