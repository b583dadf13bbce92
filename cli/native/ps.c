/* planc ps [-f|--format table|json] ID: the container's processes — the members of the cgroups it made (and of
 * every cgroup below them) and its init while it is still the container's (lifecycle.c container_pids). json: their
 * host pids as one array, null for none (runc's form; containerd's shim parses it); table: `ps -ef`'s header and
 * its lines for those pids. */
#include "lifecycle.h"
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static bool ws(char c)
{
	return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == '\n';
}

static int ascending(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* Is the second whitespace-separated field of a `ps -ef` line (its PID) one of the pids? Only the plain decimal
 * form of a pid counts (the field is compared as text). */
static bool listed(const char *line, size_t len, const int *pids, size_t count)
{
	size_t i = 0;
	while (i < len && ws(line[i]))
		i++;
	while (i < len && !ws(line[i]))
		i++;
	while (i < len && ws(line[i]))
		i++;
	size_t a = i;
	while (i < len && !ws(line[i]))
		i++;
	if (i == a || i - a > 10 || (line[a] == '0' && i - a > 1) || count == 0)
		return false;
	long v = 0;
	for (size_t k = a; k < i; k++) {
		if (line[k] < '0' || line[k] > '9')
			return false;
		v = v * 10 + (line[k] - '0');
	}
	if (v > 0x7fffffff)
		return false;
	int key = (int)v;
	return bsearch(&key, pids, count, sizeof *pids, ascending) != NULL;
}

/* `ps -ef`'s output; empty when ps cannot run (its stdin and stderr go nowhere). */
static void ps_ef(struct jbuf *text)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0)
		fail(NULL, "run ps: %s", errno_words(errno));
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	char *argv[] = {"ps", "-ef", NULL};
	pid_t pid;
	int err = posix_spawnp(&pid, "ps", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (err == 0) {
		char buf[8192];
		for (;;) {
			ssize_t r = read(fds[0], buf, sizeof buf);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			jb_raw(text, buf, (size_t)r);
		}
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
		}
	}
	close(fds[0]);
}

int verb_ps(struct globals *g, char **args, int nargs)
{
	(void)nargs;
	const char *id = args[0];
	const char *format = g->verb_flags[0] ? g->verb_flags[0] : "table";
	struct root root;
	struct cdir d;
	struct record rec;
	container_open(&d, &root, g->root, id, false, &rec);
	struct facts f;
	facts_of(&f, &rec);
	size_t count;
	int *pids = container_pids(&f, &count);
	struct jbuf out;
	jb_init(&out);
	if (!strcmp(format, "json")) {
		if (count == 0) {
			jb_null(&out);
		} else {
			jb_arr_begin(&out);
			for (size_t k = 0; k < count; k++)
				jb_i64(&out, pids[k]);
			jb_arr_end(&out);
		}
	} else {
		struct jbuf text;
		jb_init(&text);
		ps_ef(&text);
		/* The header, then every line listing one of the pids; joined with newlines (one more at the end). */
		for (size_t start = 0, line = 0; start <= text.len; line++) {
			const char *nl = memchr(text.p + start, '\n', text.len - start);
			size_t end = nl ? (size_t)(nl - text.p) : text.len;
			if (line == 0 || listed(text.p + start, end - start, pids, count)) {
				if (line > 0)
					jb_raw(&out, "\n", 1);
				jb_raw(&out, text.p + start, end - start);
			}
			start = end + 1;
		}
	}
	jb_raw(&out, "\n", 1);
	return fwrite(out.p, 1, out.len, stdout) == out.len && fflush(stdout) == 0 ? 0 : 1;
}
