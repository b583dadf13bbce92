/* planc-exec: applies a Plan (executor/PROTOCOL.md). P runs the host,
 * clone and parent stages; the clone C runs the init stage and execs. */
#include "planc.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

const char *need_str(const mp *a, const char *key)
{
	const char *s = mp_str(mp_get(a, key));
	if (!s)
		failx(EINVAL, "plan: field \"%s\" missing or not a string", key);
	return s;
}

int need_int(const mp *a, const char *key, int64_t *out)
{
	if (mp_int(mp_get(a, key), out))
		return failx(EINVAL, "plan: field \"%s\" missing or not an integer", key);
	return 0;
}

const mp *need_arr(const mp *a, const char *key)
{
	const mp *v = mp_get(a, key);
	if (!v || v->type != MP_ARR) {
		failx(EINVAL, "plan: field \"%s\" missing or not an array", key);
		return NULL;
	}
	return v;
}

char **need_strv(const mp *a, const char *key)
{
	char **v = mp_strv(mp_get(a, key));
	if (!v)
		failx(EINVAL, "plan: field \"%s\" missing or not an array of strings", key);
	return v;
}

#define die(...) (say(__VA_ARGS__), exit(2))

static int env_fd(const char *name, int def)
{
	const char *v = getenv(name);
	char *end;
	if (!v)
		return def;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || !*v || *end || n < 0 || n > INT_MAX)
		die("bad %s", name);
	return (int)n;
}

static uint8_t *read_plan(int fd, size_t *len)
{
	size_t cap = 65536, n = 0;
	uint8_t *buf = malloc(cap);
	for (;;) {
		if (!buf)
			die("reading the plan: %s", "out of memory");
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("reading the plan: %s", strerror(errno));
		if (r == 0)
			break;
		if ((n += r) == cap) {
			if (cap >= 64u << 20)
				die("%s", "the plan is larger than 64 MiB");
			buf = realloc(buf, cap *= 2);
		}
	}
	*len = n;
	return buf;
}

/* A closed stdio fd would be reused by our own opens and handed to the
 * container as its stdin/stdout/stderr. */
static void keep_stdio(void)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF && open("/dev/null", O_RDWR) != fd)
			die("%s", "cannot fill a closed stdio fd");
}

static int by_value(const void *x, const void *y)
{
	return *(const int *)x - *(const int *)y;
}

/* Closes every fd from lo up, except the n in keep (-1: none). */
static void close_fds(int lo, int *keep, int n)
{
	qsort(keep, n, sizeof *keep, by_value);
	for (int j = 0; j < n; j++) {
		if (keep[j] < lo)
			continue;
		if (keep[j] > lo)
			syscall(SYS_close_range, lo, keep[j] - 1, 0);
		lo = keep[j] + 1;
	}
	syscall(SYS_close_range, lo, ~0U, 0);
}

static int read_cap_last(void)
{
	char buf[16] = "";
	int fd = proc_open("sys/kernel/cap_last_cap", O_RDONLY), n = 40;
	if (fd >= 0 && read(fd, buf, sizeof buf - 1) > 0)
		n = atoi(buf);
	if (fd >= 0)
		close(fd);
	return n > 0 && n < 64 ? n : 40;
}

/* Where a stage sits in a plan: host, then the clone, then parent and init
 * actions interleaved (parent ones are P's, applied while C waits), then the
 * stages the CLI applies itself after the exec (start, delete). */
static int rank(const char *stage)
{
	static const char *const order[] = {"host", "clone", "parent", "init", "start", "delete"};
	static const int ranks[] = {0, 1, 2, 2, 3, 4};
	for (int k = 0; stage && k < 6; k++)
		if (!strcmp(stage, order[k]))
			return ranks[k];
	return -1;
}

static void plan_error(int i, const char *op, const char *stage, const char *why, const char *arg)
{
	report_begin(i, op, stage);
	failx(EINVAL, why, arg);
	report_result(FAILED);
	exit(1);
}

/* The whole plan is checked before the first syscall: an unknown op or a
 * stage out of order must not leave a half-applied container. */
static void validate(const mp *actions)
{
	int last = 0, clones = 0, waited = 0;
	const char *op = NULL, *last_own = NULL; /* the last op the executor applies */
	if (!actions || actions->type != MP_ARR)
		die("%s", "plan: \"actions\" is not an array");
	for (uint32_t i = 0; i < actions->len; i++) {
		const mp *a = &actions->kids[i];
		const char *stage = mp_str(mp_get(a, "stage"));
		const struct op_entry *o = op_by_name(op = mp_str(mp_get(a, "op")));
		int r = rank(stage);
		if (!o)
			plan_error(i, op, stage, "plan: unknown op \"%s\"", op ? op : "?");
		if (!stage || strcmp(stage, o->stage))
			plan_error(i, op, stage, "plan: op \"%s\" belongs to another stage", op);
		if (r < last)
			plan_error(i, op, stage, "plan: \"%s\" action after a later stage", stage);
		if ((r == 1 && clones++) || (r == 2 && !clones))
			plan_error(i, op, stage, "plan: \"%s\" needs exactly one clone before it", op);
		/* P is gone once the init waits for start: nothing is left to apply a parent action. */
		if (waited && !strcmp(stage, "parent"))
			plan_error(i, op, stage, "plan: parent action \"%s\" after execfifo.wait", op);
		waited |= !strcmp(op, "execfifo.wait");
		if (o->fn)
			last_own = op;
		last = r;
	}
	if (clones && (!last_own || strcmp(last_own, "exec")))
		plan_error(actions->len - 1, op, "init", "plan: the init stage must end with exec%s", "");
}

#ifdef PLANC_FAULTS
/* Fault injection, compiled only into the test build (build/test/planc-exec-faults,
 * used by test/integration/faults.test.ts): fail, or pause before, the first
 * action with a given op. Read once at start, before the environment is cleared. */
static const char *fail_at, *pause_at;

static void faults_from_env(void)
{
	fail_at = getenv("PLANC_TEST_FAIL_AT") ? strdup(getenv("PLANC_TEST_FAIL_AT")) : NULL;
	pause_at = getenv("PLANC_TEST_PAUSE_AT") ? strdup(getenv("PLANC_TEST_PAUSE_AT")) : NULL;
	unsetenv("PLANC_TEST_FAIL_AT");
	unsetenv("PLANC_TEST_PAUSE_AT");
}

static int fault(const char *op)
{
	if (pause_at && !strcmp(op, pause_at)) {
		pause_at = NULL;
		sleep(10);
	}
	if (fail_at && !strcmp(op, fail_at))
		return failx(EIO, "%s: injected failure (PLANC_TEST_FAIL_AT)", op);
	return DONE;
}
#else
/* The installed executor has no way to be told to fail. */
static void faults_from_env(void) {}
static int fault(const char *op) { (void)op; return DONE; }
#endif

static int apply(const mp *a, int i, struct ctx *c)
{
	const char *op = mp_str(mp_get(a, "op"));
	report_begin(i, op, mp_str(mp_get(a, "stage")));
	if (fault(op) == FAILED)
		return FAILED;
	return op_by_name(op)->fn(a, c);
}

static int is_parent(const mp *actions, uint32_t i)
{
	return i < actions->len && !strcmp(mp_str(mp_get(&actions->kids[i], "stage")), "parent");
}

/* C: waits for P to finish the parent stage, then applies the init stage.
 * A later parent action (a prestart or createRuntime hook) is P's: C asks P
 * to apply it and waits. Never returns: exec succeeds or C exits non-zero. */
static void run_init(const mp *actions, uint32_t from, struct ctx *c)
{
	ns_forget_runtime();
	if (sync_wait(c))
		_exit(1); /* P failed (and reported why) or died */
	uint32_t i = from;
	while (is_parent(actions, i)) /* applied by P before it released us */
		i++;
	for (; i < actions->len; i++) {
		const mp *a = &actions->kids[i];
		int rc = DONE;
		if (is_parent(actions, i)) {
			if (sync_ask(c, i))
				_exit(1);
			while (is_parent(actions, i + 1))
				i++;
			continue;
		}
		if (strcmp(mp_str(mp_get(a, "stage")), "init"))
			continue;
		/* A failure to become root in the user namespace is charged to the
		 * first init action, so the log stays in plan order. */
		if (c->userns) {
			report_begin(i, mp_str(mp_get(a, "op")), "init");
			rc = userns_root();
			c->userns = 0;
		}
		if (rc == DONE)
			rc = apply(a, i, c);
		report_result(rc);
		if (rc == FAILED) {
			if (report_fd < 0) /* past ready: stderr is the only one listening */
				say("%s", report_msg());
			_exit(1);
		}
	}
	_exit(1);
}

/* P: applies the parent actions from i on (up to the next init action); 0 when all went well. */
static int apply_parent(const mp *actions, uint32_t i, struct ctx *c)
{
	for (; is_parent(actions, i); i++) {
		int rc = apply(&actions->kids[i], i, c);
		report_result(rc);
		if (rc == FAILED)
			return -1;
	}
	return 0;
}

/* Foreground run: planc learns the container's status from ours. The report
 * pipe closes first, so planc knows setup is over; signals meant for the
 * container are planc's to forward, so a terminal's ^C to the whole process
 * group does not end P before its child. */
static int wait_for_init(struct ctx *c, pid_t pid)
{
	int status;
	report_close();
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	if (c->relay >= 0) /* a terminal and no console socket: planc's terminal is relayed (tty.c) */
		return console_relay(c, pid);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
	(void)argc;
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	keep_stdio();
	/* Before anything else, while / and /proc are the runtime's own. */
	if (proc_init())
		die("open /proc: %s", errno == EXDEV ? "not the root of a procfs" : strerror(errno));
	reexec_sealed(argv, environ);

	int preserve = env_fd("PLANC_PRESERVE_FDS", 0);
	int plan_fd = env_fd("PLANC_PLAN_FD", -1);
	report_fd = env_fd("PLANC_REPORT_FD", -1);
	audit_fd = env_fd("PLANC_AUDIT_FD", -1);
	if (plan_fd < 0 || report_fd < 0)
		die("%s", "PLANC_PLAN_FD and PLANC_REPORT_FD are required");
	/* A protocol fd among the preserved ones would reach the container. */
	int fds[3] = {plan_fd, report_fd, audit_fd};
	for (int k = 0; k < 3; k++)
		if (fds[k] >= 0 && (fds[k] < 3 + preserve || fcntl(fds[k], F_GETFD) < 0))
			die("protocol fd %s is not usable (closed, stdio or preserved)", k ? k == 1 ? "report" : "audit" : "plan");
	faults_from_env();
	unsetenv("PLANC_PLAN_FD");
	unsetenv("PLANC_REPORT_FD");
	unsetenv("PLANC_AUDIT_FD");
	unsetenv("PLANC_PRESERVE_FDS");

	size_t len;
	uint8_t *buf = read_plan(plan_fd, &len);
	close(plan_fd);
	int keep[3] = {report_fd, audit_fd, proc_handle()};
#ifndef PLANC_WEAKEN_FDS /* test-only regression (escapes.test.ts): keep every inherited fd */
	close_fds(3 + preserve, keep, 3);
#else
	(void)keep, (void)close_fds;
#endif
	fcntl(report_fd, F_SETFD, FD_CLOEXEC);
	if (audit_fd >= 0)
		fcntl(audit_fd, F_SETFD, FD_CLOEXEC);
	signal(SIGPIPE, SIG_IGN); /* a caller that stopped listening must not kill us mid-setup */

	mp plan;
	const char *err;
	if (mp_parse(buf, len, &plan, &err))
		die("plan: bad msgpack: %s", err);
	const mp *actions = mp_get(&plan, "actions");
	validate(actions);

	struct ctx c = {.rootfd = -1, .fifofd = -1, .child = -1, .agent = -1, .go = {-1, -1}, .ready = {-1, -1},
			.preserve = preserve, .cap_last = read_cap_last(), .pidfd = -1, .console = -1, .relay = -1};
	for (uint32_t i = 0; i < actions->len; i++) {
		const mp *a = &actions->kids[i];
		/* C's stage from here on, and the CLI's after it: not ours. */
		if (!strcmp(mp_str(mp_get(a, "stage")), "init") || !op_by_name(mp_str(mp_get(a, "op")))->fn)
			break;
		int rc = apply(a, i, &c);
		if (rc == DONE && c.child == 0)
			run_init(actions, i + 1, &c);
		if (rc == DONE && !strcmp(mp_str(mp_get(a, "op")), "clone")) {
			char line[32];
			snprintf(line, sizeof line, "{\"pid\":%d}", (int)c.child);
			report_line(line);
		}
		report_result(rc);
		if (rc == FAILED) {
			if (c.child > 0)
				kill(c.child, SIGKILL);
			return 1;
		}
	}
	if (c.child <= 0)
		return 0;
	/* Release C, then serve its requests for later parent actions until it
	 * is ready: C is our sibling (CLONE_PARENT), not our child, so pipe
	 * messages stand in for waitpid(). */
	for (;;) {
		if (sync_go(&c)) {
			kill(c.child, SIGKILL);
			return 1;
		}
		int64_t at = sync_next(&c);
		if (at == SYNC_READY)
			break;
		if (at < 0) /* C failed (and reported why) or died */
			return 1;
		/* C names the action it waits at; the plan was validated in P, and C runs our code. */
		if ((uint64_t)at >= actions->len || !is_parent(actions, (uint32_t)at) || apply_parent(actions, (uint32_t)at, &c)) {
			kill(c.child, SIGKILL);
			return 1;
		}
	}
	return c.waits ? wait_for_init(&c, c.child) : 0;
}
