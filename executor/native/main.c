/* planc-exec: applies a Plan (executor/PROTOCOL.md). P runs the host,
 * clone and parent stages; the clone C runs the init stage and execs. */
#include "planc.h"
#include <ctype.h>
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

/* Reads up to n bytes, until EOF: the count read (0 at EOF), -1 on error. */
static ssize_t read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, (char *)buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += r;
	}
	return got;
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
	if (report_result(FAILED)) {
		/* the record could not be written either: reported as that */
	}
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

/* C, after a record could not be written: nothing more is applied. Before
 * ready the report pipe has told planc; after it, the exec's status channel
 * and stderr are all that listen. */
static void audit_stop(struct ctx *c)
{
	if (report_fd < 0) {
		exec_status(c, 'A', NULL, audit_error());
		say("%s", audit_message());
	}
	_exit(1);
}

/* C: waits for P to finish the parent stage (and hand over the head of the
 * audit chain), then applies the init stage. A later parent action (a
 * prestart or createRuntime hook) is P's: C asks P to apply it and waits,
 * the chain going with each message. Never returns: exec succeeds or C
 * exits non-zero. */
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
		if (report_result(rc))
			audit_stop(c);
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
		if (report_result(rc) || rc == FAILED)
			return -1;
	}
	return 0;
}

/* P, when the exec follows without a wait for `start`: the init has written
 * its pending exec record; the ready pipe (close-on-exec in the init) says
 * how the execve went. Its closing with nothing more is the exec taking
 * place, which P records; 'F' is a failed exec the init recorded; 'A' a
 * record the init could not write. Returns 0 when the exec is confirmed. */
static int confirm_exec(struct ctx *c, int index)
{
	uint8_t what;
	struct chain ch;
	int32_t err;
	if (read_full(c->ready[0], &what, 1) != 1 || what != 'X')
		goto stopped;
	if (read_full(c->ready[0], &ch, sizeof ch) != sizeof ch)
		goto stopped;
	switch (read_full(c->ready[0], &what, 1)) {
	case 0: /* EOF: the execve closed it */
		chain_set(&ch);
		if (report_confirmed(index, "exec", "init"))
			return -1;
		audit_sync();
		return 0;
	case 1:
		if (what == 'F' && read_full(c->ready[0], &err, sizeof err) == sizeof err) {
			/* The init recorded it in the trail; planc hears it here. */
			char line[160], words[64];
			snprintf(words, sizeof words, "%s", strerror(err));
			for (char *w = words; *w; w++) /* strerror() is capitalised; messages are not */
				*w = tolower((unsigned char)*w);
			snprintf(line, sizeof line, "{\"i\":%d,\"op\":\"exec\",\"stage\":\"init\",\"r\":\"error\",\"errno\":%d,\"msg\":\"exec: %s\"}", index, (int)err, words);
			report_line(line);
			return -1;
		}
		if (what == 'A' && read_full(c->ready[0], &err, sizeof err) == sizeof err) {
			report_begin(index, "exec", "init");
			audit_failed(err, "write the audit record of action %d (exec)", index);
			return -1;
		}
	}
stopped:
	report_begin(index, "exec", "init");
	audit_failed(EPIPE, "the init stopped before its exec was recorded (action %d)", index);
	return -1;
}

/* Foreground run: planc learns the container's status from ours, and from
 * the line that says how it ended (an exit code of 137 and a SIGKILL look
 * alike otherwise). {"waiting":1} first, so planc knows setup is over;
 * signals meant for the container are planc's to forward, so a terminal's ^C
 * to the whole process group does not end P before its child. */
static int wait_for_init(struct ctx *c, pid_t pid)
{
	int status;
	char line[96];
	report_line("{\"waiting\":1}");
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	if (c->relay >= 0) /* a terminal and no console socket: planc's terminal is relayed (tty.c) */
		console_relay(c, pid, &status);
	else
		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR)
				return 1;
	if (WIFEXITED(status))
		snprintf(line, sizeof line, "{\"exited\":{\"code\":%d}}", WEXITSTATUS(status));
	else
		snprintf(line, sizeof line, "{\"exited\":{\"signal\":%d%s}}", WTERMSIG(status), WCOREDUMP(status) ? ",\"core\":true" : "");
	report_line(line);
	report_close();
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
	if (plan_fd < 0 || report_fd < 0 || audit_fd < 0)
		die("%s", "PLANC_PLAN_FD, PLANC_REPORT_FD and PLANC_AUDIT_FD are required: nothing is applied that cannot be recorded");
	/* A protocol fd among the preserved ones would reach the container. */
	int fds[3] = {plan_fd, report_fd, audit_fd};
	/* A closed one's number may already be the procfs handle opened above. */
	for (int k = 0; k < 3; k++)
		if (fds[k] < 3 + preserve || fds[k] == proc_handle() || fcntl(fds[k], F_GETFD) < 0)
			die("protocol fd %s is not usable (closed, stdio or preserved)", k ? k == 1 ? "report" : "audit" : "plan");
	/* Appended to by planc and by both executor processes; read back by the
	 * init after the wait for start (chain_resync). */
	int fl = fcntl(audit_fd, F_GETFL);
	if ((fl & O_ACCMODE) != O_RDWR || !(fl & O_APPEND))
		die("%s", "the audit fd must be open for reading and appending (O_RDWR|O_APPEND)");
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
	fcntl(audit_fd, F_SETFD, FD_CLOEXEC);
	signal(SIGPIPE, SIG_IGN); /* a caller that stopped listening must not kill us mid-setup */

	mp plan;
	const char *err;
	if (mp_parse(buf, len, &plan, &err))
		die("plan: bad msgpack: %s", err);
	const mp *actions = mp_get(&plan, "actions");
	if (!actions || actions->type != MP_ARR)
		die("%s", "plan: \"actions\" is not an array");
	/* The trail's first line, before any action: the digest of the bytes received here. */
	if (audit_header(buf, len, mp_str(mp_get(&plan, "containerId")), actions->len)) {
		audit_failed(errno, "write the audit header");
		return 1;
	}
	validate(actions);

	struct ctx c = {.rootfd = -1, .fifofd = -1, .child = -1, .agent = -1, .go = {-1, -1}, .ready = {-1, -1},
			.preserve = preserve, .cap_last = read_cap_last(), .pidfd = -1, .console = -1, .relay = -1, .status = -1};
	int exec_index = -1;
	for (uint32_t i = 0; i < actions->len; i++) {
		const char *op = mp_str(mp_get(&actions->kids[i], "op"));
		if (!strcmp(op, "execfifo.wait"))
			c.has_wait = 1;
		if (!strcmp(op, "exec"))
			exec_index = i;
	}
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
		if (report_result(rc) || rc == FAILED) {
			if (c.child > 0)
				kill(c.child, SIGKILL);
			return 1;
		}
	}
	if (c.child <= 0)
		return 0;
	/* Release C, then serve its requests for later parent actions until it
	 * is ready: C is our sibling (CLONE_PARENT), not our child, so pipe
	 * messages stand in for waitpid(). The head of the audit chain goes
	 * with every message, so P and C write one chain in turn. */
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
	/* Without a wait for `start`, the exec follows now: confirm it. */
	if (!c.has_wait && confirm_exec(&c, exec_index)) {
		kill(c.child, SIGKILL);
		return 1;
	}
	return c.waits ? wait_for_init(&c, c.child) : 0;
}
