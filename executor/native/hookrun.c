/* The hook runner both the executor and the native front link
 * (hookrun.h says what a hook gets). */
#include "hookrun.h"
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

/* As JSON.stringify: the short escapes where JSON has them, \u00xx for the other control characters. */
static void put_str(struct buf *b, const char *s)
{
	static const char SHORT[] = "\bb\ff\nn\rr\tt";
	puts_(b, "\"");
	for (; *s; s++) {
		char esc[8];
		const char *sh = *s ? strchr(SHORT, *s) : NULL;
		if (*s == '"' || *s == '\\') {
			esc[0] = '\\', esc[1] = *s;
			put(b, esc, 2);
		} else if (sh && (sh - SHORT) % 2 == 0) {
			esc[0] = '\\', esc[1] = sh[1];
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

char *hook_state_json(const mp *st, long pid)
{
	struct buf b = {0};
	char num[32];
	if (!st || st->type != MP_MAP || st->len == 0 || put_json(&b, st) || b.oom) {
		free(b.s);
		return NULL;
	}
	if (pid >= 0) {
		b.n--; /* reopen the object: its last byte is '}' */
		snprintf(num, sizeof num, ",\"pid\":%ld}", pid);
		puts_(&b, num);
	}
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

/* Reads what is there without blocking; keeps the first HOOK_OUTPUT_KEPT bytes. 0 at EOF. */
static int drain(int fd, char *out, size_t *n)
{
	char chunk[4096];
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r == 0 ? 0 : 1;
		size_t keep = *n < HOOK_OUTPUT_KEPT ? HOOK_OUTPUT_KEPT - *n : 0;
		if (keep > (size_t)r)
			keep = r;
		memcpy(out + *n, chunk, keep);
		*n += keep;
	}
}

/* The hook process: stdio from the pipes, its own process group, nothing
 * else open, default signals, then exactly the planned argv and env. */
static void __attribute__((noreturn)) hook_child(const struct hook_spec *h, int in, int out)
{
	sigset_t none;
	setpgid(0, 0);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(127);
	if (h->cwd_fd >= 0 && fchdir(h->cwd_fd))
		dprintf(2, "planc: chdir to the rootfs: %s\n", strerror(errno));
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	syscall(SYS_close_range, 3, ~0U, 0);
	execve(h->path, h->argv, h->envp);
	dprintf(2, "planc: exec %s: %s", h->path, strerror(errno));
	_exit(127);
}

static int failed_call(struct hook_outcome *o, const char *call, int err)
{
	o->ok = 0, o->err = err, o->call = call;
	return -1;
}

static int run_hook(const struct hook_spec *h, struct hook_outcome *o)
{
	int in[2] = {-1, -1}, out[2] = {-1, -1}, pidfd = -1, rc = -1;
	char output[HOOK_OUTPUT_KEPT + 1];
	size_t got = 0, len = strlen(h->input), sent = 0;
	memset(o, 0, sizeof *o);
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) {
		rc = failed_call(o, "pipes", errno);
		goto out;
	}
	pid_t pid = fork();
	if (pid < 0) {
		rc = failed_call(o, "fork", errno);
		goto out;
	}
	if (pid == 0)
		hook_child(h, in[0], out[1]);
	close(in[0]), close(out[1]);
	in[0] = out[1] = -1;
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		rc = failed_call(o, "pidfd_open", errno);
		kill(-pid, SIGKILL), kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		goto out;
	}
	long long deadline = h->timeout ? now_ms() + h->timeout * 1000 : 0;
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
			failed_call(o, "poll", errno);
			timed_out = -1; /* killed below, like a timeout, but reported as this */
			break;
		}
		if (p[1].revents && !drain(out[0], output, &got)) {
			close(out[0]);
			out[0] = -1;
		}
		if (p[2].revents) {
			ssize_t k = write(in[1], h->input + sent, len - sent);
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
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* What it wrote before it exited; a background child still holding the
	 * pipe is not waited for. */
	if (out[0] >= 0)
		drain(out[0], output, &got);
	const char *said = one_line(output, got), *sep = *said ? ": " : "";
	if (timed_out < 0)
		goto out;
	o->err = ECANCELED;
	if (timed_out > 0) {
		o->err = ETIMEDOUT;
		snprintf(o->what, sizeof o->what, "killed after its timeout of %lld s%s%s", h->timeout, sep, said);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		o->ok = 1, o->err = 0;
		rc = 0;
	} else if (WIFEXITED(status))
		snprintf(o->what, sizeof o->what, "exited with status %d%s%s", WEXITSTATUS(status), sep, said);
	else
		snprintf(o->what, sizeof o->what, "killed by signal %d (%s)%s%s", WTERMSIG(status), strsignal(WTERMSIG(status)), sep, said);
out:
	for (int k = 0, fds[] = {in[0], in[1], out[0], out[1], pidfd}; k < 5; k++)
		if (fds[k] >= 0)
			close(fds[k]);
	return rc;
}

int hook_run(const struct hook_spec *h, struct hook_outcome *o)
{
	/* A hook may exit without reading its stdin: the EPIPE is its choice, and must not kill
	 * whoever runs it (the front keeps SIGPIPE's default for its own output). */
	struct sigaction ign = {.sa_handler = SIG_IGN}, was;
	sigaction(SIGPIPE, &ign, &was);
	int rc = run_hook(h, o);
	sigaction(SIGPIPE, &was, NULL);
	return rc;
}
