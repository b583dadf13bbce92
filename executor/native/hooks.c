/* Hooks (runtime-spec config.md "POSIX-platform Hooks"): the executor runs
 * four of the six, each from the process that is in the namespaces the spec
 * names (planner/hooks.ts has the whole table):
 *   hook.prestart, hook.create-runtime    P, in the runtime's namespaces, while
 *                                         C waits after its mounts (parent stage)
 *   hook.create-container                 C, in the container's namespaces, before
 *                                         pivot_root, working directory the rootfs
 *   hook.start-container                  C, after `start` released it, before execve
 * The hook gets the state JSON of the action (plus the container's pid as the
 * hook's pid namespace sees it) on stdin, exactly its argv and environment,
 * its stdout and stderr in a pipe (kept for the error message, never mixed
 * into the container's stdio), and no other fd. It runs in its own process
 * group, so a timeout kills whatever it started too. */
#include "planc.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define OUTPUT_KEPT 512 /* of the hook's output, for the error message */

struct buf {
	char *s;
	size_t n, cap;
	int oom;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->n + n + 1)
			cap *= 2;
		char *t = realloc(b->s, cap);
		if (!t) {
			b->oom = 1;
			return;
		}
		b->s = t, b->cap = cap;
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = 0;
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void put_str(struct buf *b, const char *s)
{
	puts_(b, "\"");
	for (; *s; s++) {
		char esc[8];
		if (*s == '"' || *s == '\\') {
			esc[0] = '\\', esc[1] = *s;
			put(b, esc, 2);
		} else if ((unsigned char)*s < 0x20) {
			snprintf(esc, sizeof esc, "\\u%04x", (unsigned char)*s);
			puts_(b, esc);
		} else {
			put(b, s, 1);
		}
	}
	puts_(b, "\"");
}

/* The JSON of a decoded plan value. The planner writes the state from JSON
 * (strings, and a map of strings for annotations): no other type is needed. */
static int put_json(struct buf *b, const mp *v)
{
	switch (v->type) {
	case MP_STR:
		put_str(b, v->s);
		return 0;
	case MP_MAP:
		puts_(b, "{");
		for (uint32_t k = 0; k < v->len; k++) {
			if (v->kids[2 * k].type != MP_STR)
				return -1;
			if (k)
				puts_(b, ",");
			put_str(b, v->kids[2 * k].s);
			puts_(b, ":");
			if (put_json(b, &v->kids[2 * k + 1]))
				return -1;
		}
		puts_(b, "}");
		return 0;
	default:
		return -1;
	}
}

/* The state JSON on the hook's stdin: the action's state with the pid added. */
static char *state_json(const mp *a, long pid)
{
	const mp *st = mp_get(a, "state");
	struct buf b = {0};
	char num[32];
	if (!st || st->type != MP_MAP || st->len == 0 || put_json(&b, st) || b.oom) {
		free(b.s);
		return NULL;
	}
	b.n--; /* reopen the object: its last byte is '}' */
	snprintf(num, sizeof num, ",\"pid\":%ld}", pid);
	puts_(&b, num);
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* What the hook wrote, as one line: control characters become spaces. */
static const char *one_line(char *out, size_t n)
{
	while (n && (out[n - 1] == '\n' || out[n - 1] == ' '))
		n--;
	out[n] = 0;
	for (size_t k = 0; k < n; k++)
		if ((unsigned char)out[k] < 0x20 || out[k] == 0x7f)
			out[k] = ' ';
	return out;
}

/* Reads what is there without blocking; keeps the first OUTPUT_KEPT bytes. 0 at EOF. */
static int drain(int fd, char *out, size_t *n)
{
	char chunk[4096];
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r == 0 ? 0 : 1;
		size_t keep = *n < OUTPUT_KEPT ? OUTPUT_KEPT - *n : 0;
		if (keep > (size_t)r)
			keep = r;
		memcpy(out + *n, chunk, keep);
		*n += keep;
	}
}

static void close_all(const int *fds, int n)
{
	for (int k = 0; k < n; k++)
		if (fds[k] >= 0)
			close(fds[k]);
}

enum where { RUNTIME, CONTAINER_BEFORE_PIVOT, CONTAINER };

/* The hook process: stdio from the pipes, its own process group, nothing
 * else open, default signals, then exactly the planned argv and env. */
static void __attribute__((noreturn)) hook_child(struct ctx *c, enum where w, int in, int out, const char *path, char **args, char **env)
{
	sigset_t none;
	setpgid(0, 0);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(127);
	/* As runc: createContainer hooks start in the rootfs, still reached by the host's path. */
	if (w == CONTAINER_BEFORE_PIVOT && c->rootfd >= 0 && fchdir(c->rootfd))
		dprintf(2, "planc: chdir to the rootfs: %s\n", strerror(errno));
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	syscall(SYS_close_range, 3, ~0U, 0);
	execve(path, args, env);
	dprintf(2, "planc: exec %s: %s", path, strerror(errno));
	_exit(127);
}

/* Runs the hook of action a; DONE when it exited 0 in time. */
static int run_hook(const mp *a, struct ctx *c, const char *kind, enum where w, long pid)
{
	const char *path = need_str(a, "path");
	char **args = need_strv(a, "args"), **env = need_strv(a, "env");
	int64_t timeout = 0;
	if (!path || !args || !env)
		return FAILED;
	if (!args[0] || path[0] != '/')
		return failx(EINVAL, "%s hook: plan: needs an absolute path and a non-empty argv", kind);
	if (mp_get(a, "timeout") && (need_int(a, "timeout", &timeout) || timeout < 1 || timeout > 86400 * 365))
		return failx(EINVAL, "%s hook %s: plan: bad timeout", kind, path);
	char *state = state_json(a, pid);
	if (!state)
		return failx(EINVAL, "%s hook %s: plan: the state is missing or not a map of strings", kind, path);

	int in[2] = {-1, -1}, out[2] = {-1, -1}, pidfd = -1, rc = FAILED;
	char output[OUTPUT_KEPT + 1];
	size_t got = 0, len = strlen(state), sent = 0;
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) {
		rc = fail(errno, "%s hook %s: pipes", kind, path);
		goto out;
	}
	pid_t h = fork();
	if (h < 0) {
		rc = fail(errno, "%s hook %s: fork", kind, path);
		goto out;
	}
	if (h == 0)
		hook_child(c, w, in[0], out[1], path, args, env);
	close(in[0]), close(out[1]);
	in[0] = out[1] = -1;
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	pidfd = syscall(SYS_pidfd_open, h, 0);
	if (pidfd < 0) {
		rc = fail(errno, "%s hook %s: pidfd_open", kind, path);
		kill(-h, SIGKILL), kill(h, SIGKILL);
		waitpid(h, NULL, 0);
		goto out;
	}
	long long deadline = timeout ? now_ms() + timeout * 1000 : 0;
	int timed_out = 0;
	for (;;) {
		struct pollfd p[3] = {{pidfd, POLLIN, 0}, {out[0], POLLIN, 0}, {in[1], POLLOUT, 0}};
		long long left = deadline ? deadline - now_ms() : -1;
		if (deadline && left <= 0) {
			timed_out = 1;
			break;
		}
		int n = poll(p, 3, deadline ? (int)(left > 1000000 ? 1000000 : left) : -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = fail(errno, "%s hook %s: poll", kind, path);
			timed_out = -1; /* killed below, like a timeout, but reported as this */
			break;
		}
		if (p[1].revents && !drain(out[0], output, &got)) {
			close(out[0]);
			out[0] = -1;
		}
		if (p[2].revents) {
			ssize_t k = write(in[1], state + sent, len - sent);
			if (k > 0)
				sent += k;
			/* Done, or the hook closed its stdin without reading it all: its choice. */
			if (sent == len || (k < 0 && errno != EAGAIN && errno != EINTR)) {
				close(in[1]);
				in[1] = -1;
			}
		}
		if (p[0].revents)
			break; /* exited */
	}
	if (timed_out) { /* the whole process group: what the hook started goes with it */
		kill(-h, SIGKILL);
		kill(h, SIGKILL);
	}
	int status;
	while (waitpid(h, &status, 0) < 0 && errno == EINTR)
		;
	/* What it wrote before it exited; a background child still holding the
	 * pipe is not waited for. */
	if (out[0] >= 0)
		drain(out[0], output, &got);
	const char *said = one_line(output, got);
	if (timed_out > 0)
		rc = failx(ETIMEDOUT, "%s hook %s: killed after its timeout of %lld s%s%s", kind, path, (long long)timeout, *said ? ": " : "", said);
	else if (timed_out < 0)
		;
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		rc = DONE;
	else if (WIFEXITED(status))
		rc = failx(ECANCELED, "%s hook %s: exited with status %d%s%s", kind, path, WEXITSTATUS(status), *said ? ": " : "", said);
	else
		rc = failx(ECANCELED, "%s hook %s: killed by signal %d (%s)%s%s", kind, path, WTERMSIG(status), strsignal(WTERMSIG(status)), *said ? ": " : "", said);
out:
	close_all((int[]){in[0], in[1], out[0], out[1], pidfd}, 5);
	free(state);
	free(args);
	free(env);
	return rc;
}

/* P: the runtime's namespaces, and the init's pid as the runtime sees it. */
static int runtime_hook(const mp *a, struct ctx *c, const char *kind)
{
	if (c->child <= 0)
		return failx(EINVAL, "%s hook: plan: applied before the clone", kind);
	if (ns_return_to_runtime())
		return FAILED;
	return run_hook(a, c, kind, RUNTIME, (long)c->child);
}

int op_hook_prestart(const mp *a, struct ctx *c)
{
	return runtime_hook(a, c, "prestart");
}

int op_hook_create_runtime(const mp *a, struct ctx *c)
{
	return runtime_hook(a, c, "createRuntime");
}

/* C: the container's namespaces, and its own pid as the container sees it. */
int op_hook_create_container(const mp *a, struct ctx *c)
{
	return run_hook(a, c, "createContainer", CONTAINER_BEFORE_PIVOT, (long)getpid());
}

int op_hook_start_container(const mp *a, struct ctx *c)
{
	return run_hook(a, c, "startContainer", CONTAINER, (long)getpid());
}
