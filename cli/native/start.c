/* planc start ID: release a created container. Under the container's lock:
 * read the init's byte from the exec fifo, remove the fifo, read the init's
 * exec status until the fifo closes — the init keeps its end open,
 * close-on-exec, so the close is the execve taking place
 * (executor/PROTOCOL.md "Start") — and confirm the pending exec record in
 * the trail (docs/audit.md "The exec, confirmed"). Then the poststart hooks
 * (hooks-front.c) and the --audit-log export (export.c). */
#include "front.h"
#include "lifecycle.h"
#include "teardown.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EXEC_WAIT_MS 10000

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* What is in the fifo now: >0 bytes read, 0 nothing yet (EAGAIN), -1 at EOF (every writer gone). */
static ssize_t read_fifo(int fd, const char *path, char *buf, size_t cap)
{
	for (;;) {
		ssize_t n = read(fd, buf, cap);
		if (n > 0)
			return n;
		if (n == 0)
			return -1;
		if (errno == EAGAIN)
			return 0;
		if (errno != EINTR)
			fail(NULL, "read %s/exec.fifo: %s", path, errno_words(errno));
	}
}

/* Wait up to ms for the fifo to have something (or its writers to go): a wake-up, not a promise. */
static void wait_fifo(int fd, int ms)
{
	struct pollfd p = {fd, POLLIN, 0};
	if (poll(&p, 1, ms) > 0 && (p.revents & POLLHUP) && !(p.revents & POLLIN)) {
		/* No writer yet (or gone): poll says so at once; don't spin on it. */
		nanosleep(&(struct timespec){0, 1000000}, NULL);
	}
}

/* How the kernel says the errors an init can meet writing its trail or exec'ing (strerror's words). */
static const char *errno_text(int e)
{
	static char buf[32];
	switch (e) {
	case ENOSPC: return "no space left on device";
	case EDQUOT: return "disk quota exceeded";
	case EIO: return "input/output error";
	case EROFS: return "read-only file system";
	case EBADF: return "bad file descriptor";
	case EFBIG: return "file too large";
	case ENOEXEC: return "exec format error";
	case EACCES: return "permission denied";
	case ENOENT: return "no such file or directory";
	}
	const char *name = e > 0 ? strerrorname_np(e) : NULL;
	if (name)
		return name;
	snprintf(buf, sizeof buf, "errno %d", e);
	return buf;
}

/* Read the init's byte, remove the fifo, then gather what it says about its exec until the fifo closes. */
static size_t release(struct cdir *d, const struct record *rec, char *said, size_t cap)
{
	/* Non-blocking: a blocking open would hang forever if the init died meanwhile. */
	int fd = openat(d->fd, "exec.fifo", O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		fail(NULL, "open %s/exec.fifo: %s", d->path, errno_words(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode))
		fail(NULL, "%s/exec.fifo is not a fifo; left alone", d->path);
	char buf[64];
	size_t n = 0;
	for (;;) {
		ssize_t got = read_fifo(fd, d->path, buf, sizeof buf);
		if (got > 0) {
			memcpy(said, buf + 1, (size_t)got - 1), n = (size_t)got - 1;
			break;
		}
		if (!alive(rec->pid, rec->start_time)) {
			/* It may have written its byte, exec'd and exited between our read and this check: read once more. */
			got = read_fifo(fd, d->path, buf, sizeof buf);
			if (got > 0) {
				memcpy(said, buf + 1, (size_t)got - 1), n = (size_t)got - 1;
				break;
			}
			fail(d->id, "the container init exited before it was started");
		}
		wait_fifo(fd, 1);
	}
	cdir_unlink(d, "exec.fifo");
	long long deadline = now_ms() + EXEC_WAIT_MS;
	for (;;) {
		ssize_t got = read_fifo(fd, d->path, buf, sizeof buf);
		if (got < 0)
			break;
		if (got > 0) {
			size_t k = (size_t)got < cap - n ? (size_t)got : cap - n;
			memcpy(said + n, buf, k), n += k;
			continue;
		}
		long long left = deadline - now_ms();
		if (left <= 0)
			fail(d->id, "the container init has not run its process %d s after start", EXEC_WAIT_MS / 1000);
		wait_fifo(fd, (int)(left < 100 ? left : 100));
	}
	close(fd);
	return n;
}

/* The index of the plan's exec action, or -1. */
static int exec_index(const mp *plan)
{
	const mp *actions = plan ? mp_get(plan, "actions") : NULL;
	for (uint32_t k = 0; actions && k < actions->len; k++) {
		const char *op = mp_str(mp_get(&actions->kids[k], "op"));
		if (op && strcmp(op, "exec") == 0)
			return (int)k;
	}
	return -1;
}

/*
 * After the fifo closed: what the init said about its exec (PROTOCOL.md) —
 * 'X' + the chain head after its pending record, then 'F' + errno for a
 * failed execve it recorded, or 'A' + errno for a record it could not write
 * — turned into the confirmation record, or an error. A failed exec of a
 * container with hooks is returned (1) for the caller to destroy it first.
 */
static int confirm_exec(struct cdir *d, const mp *plan, const char *said, size_t n, bool hooked)
{
	bool pending = false;
	char kind = 0;
	int32_t err = 0;
	for (size_t k = 0; k < n && !kind;) {
		if (said[k] == 'X' && k + 37 <= n) {
			pending = true;
			k += 37;
		} else if ((said[k] == 'F' || said[k] == 'A') && k + 5 <= n) {
			kind = said[k];
			memcpy(&err, said + k + 1, sizeof err);
		} else
			kind = '?';
	}
	if (kind == 'A')
		fail(d->id, "the container init could not write its audit record (%s) and stopped before running its process", errno_text(err));
	if (kind == 'F') {
		if (hooked)
			return 1;
		fail(d->id, "the container process could not be executed: %s", errno_text(err));
	}
	int exec = exec_index(plan);
	if (!pending || kind || exec < 0) {
		if (hooked)
			return 1;
		fail(d->id, "the container init stopped before its exec was recorded");
	}
	struct trail *t = trail_open(d);
	if (!t)
		return 0;
	struct jbuf f;
	jb_init(&f);
	jb_obj_begin(&f);
	jb_key(&f, "i"), jb_i64(&f, exec);
	jb_key(&f, "op"), jb_str(&f, "exec");
	jb_key(&f, "stage"), jb_str(&f, "init");
	jb_key(&f, "r"), jb_str(&f, "ok");
	jb_key(&f, "t"), jb_i64(&f, now_micros());
	jb_key(&f, "by"), jb_str(&f, "start");
	jb_obj_end(&f);
	trail_append(t, &f);
	trail_flush(t);
	trail_release(t);
	return 0;
}

int verb_start(struct globals *g, char **args, int nargs)
{
	(void)nargs;
	const char *id = args[0];
	struct root root;
	struct cdir d;
	struct record rec;
	container_open(&d, &root, g->root, id, true, &rec);
	bool hooked;
	const mp *plan = plan_read(&d, true, &hooked);
	enum status st = status_of(&d, &rec);
	if (st != ST_CREATED) {
		if (st == ST_STOPPED)
			fail(id, "cannot start a container that has stopped");
		fail(id, "cannot start an already %s container", STATUS_NAMES[st]);
	}
	char said[512];
	size_t n = release(&d, &rec, said, sizeof said);
	if (confirm_exec(&d, plan, said, n, hooked))
		/* With hooks, a start whose init failed (a startContainer hook, the exec) destroys the container and runs poststop (runtime.md). */
		failed_start(&d, &rec, plan);
	/* startContainer hooks ran between the release and the exec; poststart runs after it. */
	if (hooked)
		poststart(&d, &rec, plan, NULL);
	export_audit(&d, &rec);
	return 0;
}
