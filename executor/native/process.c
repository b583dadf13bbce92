/* The process side: sealed re-exec, clone3 of the container init, id maps,
 * the exec fifo and the final execve. */
#include "planc.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

static void die(const char *what)
{
	say("%s: %s", what, strerror(errno));
	_exit(2);
}

/* Runs this program from a sealed memfd copy, so /proc/<pid>/exe of the
 * runtime and of the container init never names a writable host binary
 * (CVE-2019-5736). A memfd that already carries our seals is the copy. */
void reexec_sealed(char **argv, char **envp)
{
	struct stat st;
#ifdef PLANC_WEAKEN_EXE
	/* Test-only regression (escapes.test.ts): run from the host binary itself. */
	(void)argv, (void)envp, (void)st;
	return;
#endif
	int exe = proc_link("self", "exe", O_RDONLY);
	if (exe < 0)
		die("open /proc/self/exe");
	int seals = fcntl(exe, F_GET_SEALS);
	if (seals >= 0 && (seals & SEALS) == SEALS) {
		close(exe);
		return;
	}
	/* MFD_EXEC keeps kernels >= 6.3 from warning; older ones reject it. */
	int m = memfd_create("planc-exec", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (m < 0 && errno == EINVAL)
		m = memfd_create("planc-exec", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (m < 0 || fstat(exe, &st))
		die("memfd_create");
	for (off_t off = 0; off < st.st_size;) {
		ssize_t n = sendfile(m, exe, &off, st.st_size - off);
		if (n <= 0)
			die("copy /proc/self/exe");
	}
	if (fcntl(m, F_ADD_SEALS, SEALS))
		die("seal memfd");
	close(exe);
	fexecve(m, argv, envp);
	die("fexecve sealed copy");
}

int op_clone(const mp *a, struct ctx *c)
{
	const mp *nss = need_arr(a, "namespaces");
	const char *parent = need_str(a, "parent");
	if (!nss || !parent)
		return FAILED;
	c->waits = !strcmp(parent, "executor");
	uint64_t flags = c->waits ? 0 : CLONE_PARENT;
	for (uint32_t k = 0; k < nss->len; k++) {
		int f = ns_flag(mp_str(&nss->kids[k]));
		if (!f)
			return failx(EINVAL, "clone: unknown namespace \"%s\"", mp_str(&nss->kids[k]) ? mp_str(&nss->kids[k]) : "?");
		flags |= f;
	}
	c->userns = !!(flags & CLONE_NEWUSER);
	if (pipe2(c->go, O_CLOEXEC) || pipe2(c->ready, O_CLOEXEC))
		return fail(errno, "clone: sync pipes");
	/* parent "caller" → CLONE_PARENT: the init becomes a child of our caller
	 * (planc, conmon, a shim), which is who waits for it; P only sets it up.
	 * clone3 then requires exit_signal 0: the child inherits P's own, which is
	 * SIGCHLD for anything spawned normally. Parent "executor" (foreground
	 * run): P keeps the init as its own child and exits with its status. */
	struct clone_args ca = {.flags = flags, .exit_signal = c->waits ? SIGCHLD : 0};
	/* Rootless: P may write C's id maps only while C is dumpable (a non-dumpable
	 * task's /proc files are root's). C inherits it from this clone and drops it
	 * again once the maps are written (userns_root). */
	int rootless_maps = c->userns && geteuid() != 0;
	if (rootless_maps)
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	pid_t pid = syscall(SYS_clone3, &ca, sizeof ca);
	if (rootless_maps && pid != 0)
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (pid < 0)
		return fail(errno, "clone3");
	c->child = pid;
	exec_after_clone(c);
	if (pid == 0) {
		close(c->go[1]);
		close(c->ready[0]);
		c->go[1] = c->ready[0] = -1;
	} else {
		close(c->go[0]);
		close(c->ready[1]);
		c->go[0] = c->ready[1] = -1;
		/* The init has its own copies of the detached id-mapped mounts; ours would keep them alive. */
		held_close_all();
	}
	return DONE;
}

/* C starts in a new user namespace with the host ids it was cloned with,
 * which the maps do not cover: until it switches to the namespace's root it
 * could not even create a file on its own tmpfs. */
int userns_root(void)
{
	/* The maps are written: nobody needs C's /proc files any more (see op_clone). */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (syscall(SYS_setresgid, 0, 0, 0) || syscall(SYS_setresuid, 0, 0, 0))
		return fail(errno, "become root of the new user namespace (is container id 0 mapped?)");
	return DONE;
}

/* Rootless, ranges beyond the caller's own id: the setuid helper (newuidmap,
 * newgidmap) checks /etc/subuid (subgid) itself and writes the map. Its
 * complaint, if any, becomes this action's error message instead of reaching
 * the caller's stderr as a second line. */
static int map_through_helper(const char *helper, const char *text, pid_t child)
{
	char *argv[3 + 3 * 340 + 1], pid[24], words[4096], msg[512];
	int n = 0, p[2], status;
	snprintf(pid, sizeof pid, "%d", (int)child);
	snprintf(words, sizeof words, "%s", text);
	argv[n++] = (char *)helper;
	argv[n++] = pid;
	for (char *save = NULL, *w = strtok_r(words, " \n", &save); w && n < (int)(sizeof argv / sizeof *argv) - 1; w = strtok_r(NULL, " \n", &save))
		argv[n++] = w;
	argv[n] = NULL;
	if (pipe2(p, O_CLOEXEC))
		return fail(errno, "pipe for %s", helper);
	pid_t h = fork();
	if (h < 0) {
		close(p[0]), close(p[1]);
		return fail(errno, "fork %s", helper);
	}
	if (h == 0) {
		char *envp[] = { NULL };
		dup2(p[1], 1);
		dup2(p[1], 2);
		syscall(SYS_close_range, 3, ~0U, 0);
		execve(helper, argv, envp);
		dprintf(2, "exec: %s", strerror(errno));
		_exit(127);
	}
	close(p[1]);
	ssize_t got = 0, r;
	while (got < (ssize_t)sizeof msg - 1 && (r = read(p[0], msg + got, sizeof msg - 1 - got)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		got += r;
	}
	close(p[0]);
	while (waitpid(h, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return DONE;
	msg[got] = 0;
	for (char *q = msg; *q; q++)
		if (*q == '\n')
			*q = *(q + 1) ? ' ' : 0;
	return failx(EPERM, "%s failed: %s", helper, got ? msg : "no message");
}

int op_idmap_write(const mp *a, struct ctx *c)
{
	const char *kind = need_str(a, "kind"), *sg = mp_str(mp_get(a, "setgroups")), *helper = mp_str(mp_get(a, "helper"));
	const mp *map = need_arr(a, "map");
	char buf[4096], path[64];
	size_t n = 0;
	if (!kind || !map)
		return FAILED;
	if (strcmp(kind, "uid") && strcmp(kind, "gid"))
		return failx(EINVAL, "idmap: unknown kind \"%s\"", kind);
	for (uint32_t k = 0; k < map->len; k++) {
		int64_t cid, hid, size;
		const mp *e = &map->kids[k];
		if (need_int(e, "containerID", &cid) || need_int(e, "hostID", &hid) || need_int(e, "size", &size))
			return FAILED;
		int w = snprintf(buf + n, sizeof buf - n, "%lld %lld %lld\n", (long long)cid, (long long)hid, (long long)size);
		if (w < 0 || (size_t)w >= sizeof buf - n)
			return failx(E2BIG, "%s map: too many entries", kind);
		n += w;
	}
	if (helper)
		return map_through_helper(helper, buf, c->child);
	if (sg && !strcmp(sg, "deny")) {
		snprintf(path, sizeof path, "%d/setgroups", (int)c->child);
		if (write_file(path, "deny", proc_open))
			return fail(errno, "write \"/proc/%s\"", path);
	}
	/* The kernel takes the whole map in one write() or not at all. */
	snprintf(path, sizeof path, "%d/%s_map", (int)c->child, kind);
	if (write_file(path, buf, proc_open))
		return fail(errno, "write \"/proc/%s\"", path);
	return DONE;
}

int op_execfifo_create(const mp *a, struct ctx *c)
{
	const char *path = need_str(a, "path");
	if (!path)
		return FAILED;
	/* 0622 exactly: a non-root container user must be able to open it for writing. */
	mode_t old = umask(0);
	int rc = mkfifo(path, 0622), e = errno;
	umask(old);
	if (rc)
		return fail(e, "mkfifo \"%s\"", path);
	/* Held O_PATH from here, as host root: the init inherits it with the fd table at
	 * the clone. In a user namespace the init is an unprivileged host id that cannot
	 * search the state directory (0700, root's) to reach the fifo by its path. */
	if ((c->fifofd = open(path, O_PATH | O_CLOEXEC)) < 0)
		return fail(errno, "open exec fifo \"%s\"", path);
	return DONE;
}

int op_execfifo_open(const mp *a, struct ctx *c)
{
	const char *path = need_str(a, "path");
	struct stat st;
	if (!path)
		return FAILED;
	/* Normally inherited from execfifo.create; by path only if that did not run here. */
	if (c->fifofd < 0 && (c->fifofd = open(path, O_PATH | O_CLOEXEC)) < 0)
		return fail(errno, "open exec fifo \"%s\"", path);
	if (fstat(c->fifofd, &st))
		return fail(errno, "open exec fifo \"%s\"", path);
	if (!S_ISFIFO(st.st_mode))
		return failx(EINVAL, "open exec fifo \"%s\": not a fifo", path);
	return DONE;
}

/* The sync pipes between P and C. C -> P (ready): messages of a 4-byte
 * index of a parent action C waits at, or SYNC_READY, each followed by the
 * head of the audit chain as C left it; EOF if C died first. P -> C (go):
 * one byte, "go on", and the chain's head as P left it; EOF if P failed or
 * died. So the two processes write one chain between them, in turn. */
static int read_all(int fd, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, (char *)buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += r;
	}
	return 0;
}

static int send_msg(struct ctx *c, int32_t msg)
{
	uint8_t m[sizeof msg + sizeof(struct chain)];
	struct chain ch;
	if (c->ready[1] < 0)
		return -1;
	chain_get(&ch);
	memcpy(m, &msg, sizeof msg);
	memcpy(m + sizeof msg, &ch, sizeof ch);
	return write(c->ready[1], m, sizeof m) == (ssize_t)sizeof m ? 0 : -1;
}

int sync_wait(struct ctx *c)
{
	uint8_t m[1 + sizeof(struct chain)];
	struct chain ch;
	if (read_all(c->go[0], m, sizeof m) || m[0] != '1')
		return -1;
	memcpy(&ch, m + 1, sizeof ch);
	chain_set(&ch);
	return 0;
}

int sync_ask(struct ctx *c, uint32_t i)
{
	return send_msg(c, (int32_t)i) || sync_wait(c) ? -1 : 0;
}

int sync_go(struct ctx *c)
{
	uint8_t m[1 + sizeof(struct chain)] = {'1'};
	struct chain ch;
	chain_get(&ch);
	memcpy(m + 1, &ch, sizeof ch);
	return write(c->go[1], m, sizeof m) == (ssize_t)sizeof m ? 0 : -1;
}

int64_t sync_next(struct ctx *c)
{
	int32_t msg;
	uint8_t m[sizeof msg + sizeof(struct chain)];
	struct chain ch;
	if (read_all(c->ready[0], m, sizeof m))
		return SYNC_GONE;
	memcpy(&msg, m, sizeof msg);
	memcpy(&ch, m + sizeof msg, sizeof ch);
	chain_set(&ch);
	return msg;
}

/* Ready: the report pipe reaches EOF and P learns it may exit 0 (or, with
 * no wait for `start`, that the exec comes next: the ready pipe then stays
 * open as the exec's status channel, closed by the execve). */
void send_ready(struct ctx *c)
{
	if (report_fd >= 0) {
		report_line("{\"ready\":1}");
		report_close();
	}
	if (c->ready[1] >= 0) {
		if (send_msg(c, SYNC_READY)) {
			/* P is gone: nobody is left to tell */
		}
		if (c->has_wait)
			close(c->ready[1]);
		else
			c->status = c->ready[1];
		c->ready[1] = -1;
	}
	if (c->go[0] >= 0) { /* P has nothing more to apply for us */
		close(c->go[0]);
		c->go[0] = -1;
	}
}

/* Tells whoever waits for the exec how it went (PROTOCOL.md, "exec"):
 * 'X' + the chain head after the pending record; 'F' + errno, a failed exec
 * recorded; 'A' + errno, a record that could not be written. The channel is
 * close-on-exec: its closing after 'X' is the execve taking place. */
void exec_status(struct ctx *c, char what, const struct chain *ch, int err)
{
	uint8_t msg[1 + sizeof(struct chain)] = {(uint8_t)what};
	size_t n = 1;
	int32_t e = err;
	if (c->status < 0)
		return;
	if (what == 'X') {
		memcpy(msg + 1, ch, sizeof *ch);
		n += sizeof *ch;
	} else {
		memcpy(msg + 1, &e, sizeof e);
		n += sizeof e;
	}
	if (write(c->status, msg, n) < 0) {
		/* nobody listens any more: the trail has it */
	}
}

int op_execfifo_wait(const mp *a, struct ctx *c)
{
	(void)a;
	int w;
	char n[16];
	if (c->fifofd < 0)
		return failx(EINVAL, "exec fifo: no execfifo.open before the wait");
	if (audit_sync())
		return fail(errno, "sync the audit trail");
	send_ready(c);
	/* Reopened through the runtime's procfs, never the container's /proc.
	 * Blocks until `planc start` opens the read end. */
	snprintf(n, sizeof n, "%d", c->fifofd);
	while ((w = proc_link("self/fd", n, O_WRONLY | O_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (w < 0)
		return fail(errno, "open exec fifo for writing");
	int rc = write_all(w, "0", 1), e = errno;
	close(c->fifofd);
	c->fifofd = -1;
	if (rc) {
		close(w);
		return fail(e, "write exec fifo");
	}
	/* `start` now reads the fifo until every writer is gone: this fd stays
	 * open, close-on-exec, to carry the exec's status. */
	c->status = w;
	/* While the init waited, other verbs (kill) may have added to the trail:
	 * continue the chain from what is on disk. `start` holds the container's
	 * lock, so nothing is appended meanwhile. */
	if (chain_resync()) {
		report_begin(-1, "execfifo.wait", "init");
		audit_failed(errno, "read back the audit trail after the wait for start");
		exec_status(c, 'A', NULL, audit_error());
		say("%s", audit_message());
		_exit(1);
	}
	return DONE;
}

int op_chdir(const mp *a, struct ctx *c)
{
	const char *path = need_str(a, "path");
	if (!path)
		return FAILED;
#ifdef PLANC_WEAKEN_FDS
	/* Test-only regression: the working directory named by a string, magic links followed. */
	return chdir(path) ? fail(errno, "chdir \"%s\"", path) : DONE;
#endif
	int t = path_resolve(c, path, MK_NONE);
	int rc = t < 0 ? -1 : fchdir(t), e = errno;
	if (t >= 0)
		close(t);
	return rc ? fail(e, "chdir \"%s\"", path) : DONE;
}

/* exec.LookPath semantics, with Go's messages: podman maps them to exit 127. */
static int executable(const char *path, struct stat *st)
{
	if (stat(path, st))
		return -1;
	return !S_ISDIR(st->st_mode) && (st->st_mode & 0111) ? 0 : (errno = EACCES, -1);
}

static int lookup(const char *file, char *const *env, char **out)
{
	const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	struct stat st;
	if (strchr(file, '/')) {
		if (executable(file, &st))
			return errno == EACCES ? failx(EACCES, "exec: \"%s\": permission denied", file)
					       : fail(errno, "exec: \"%s\": stat %s", file, file);
		return (*out = strdup(file)) ? 0 : fail(errno, "exec");
	}
	for (; *env; env++)
		if (!strncmp(*env, "PATH=", 5))
			path = *env + 5;
	for (const char *p = path;; p++) {
		size_t n = strcspn(p, ":");
		char cand[4096];
		/* An empty PATH entry means the working directory. */
		if (*file && snprintf(cand, sizeof cand, "%.*s/%s", n ? (int)n : 1, n ? p : ".", file) < (int)sizeof cand &&
		    !executable(cand, &st))
			return (*out = strdup(cand)) ? 0 : fail(errno, "exec");
		p += n;
		if (!*p)
			break;
	}
	return failx(ENOENT, "exec: \"%s\": executable file not found in $PATH", file);
}

int op_exec_check(const mp *a, struct ctx *c)
{
	const char *file = need_str(a, "file");
	char **env = need_strv(a, "env");
	if (!file || !env)
		return FAILED;
	free(c->exec_path);
	c->exec_path = NULL;
	int rc = lookup(file, env, &c->exec_path);
	free(env);
	return rc ? FAILED : DONE;
}

int op_exec(const mp *a, struct ctx *c)
{
	char **args = need_strv(a, "args"), **env = need_strv(a, "env");
	sigset_t none;
	struct chain ch;
	if (!args || !env)
		return FAILED;
	if (!args[0])
		return failx(EINVAL, "exec: empty args");
	if (!c->exec_path && lookup(args[0], env, &c->exec_path))
		return FAILED;
	/* Recorded pending: whoever holds the status channel confirms it once
	 * the execve has closed it (P, or `planc start`), or this process
	 * records its failure. */
	if (report_result(PENDING) || audit_sync()) {
		if (report_fd < 0)
			exec_status(c, 'A', NULL, audit_error() ? audit_error() : errno);
		_exit(1);
	}
	send_ready(c);
	chain_get(&ch);
	exec_status(c, 'X', &ch, 0);
	/* Hand over a clean process: default SIGPIPE, nothing blocked, and no fd
	 * but stdio and the preserved ones survives the execve (CVE-2024-21626). */
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	proc_close();
	int e;
#ifndef PLANC_WEAKEN_FDS /* test-only regression (escapes.test.ts): what the executor inherited stays open */
	if (syscall(SYS_close_range, 3 + c->preserve, ~0U, CLOSE_RANGE_CLOEXEC)) {
		e = errno;
		fail(e, "exec: mark fds close-on-exec");
	} else
#endif
	{
		execve(c->exec_path, args, env);
		e = errno;
		fail(e, "exec \"%s\"", c->exec_path);
	}
	if (report_result(FAILED)) {
		exec_status(c, 'A', NULL, audit_error());
		say("%s", audit_message());
	} else {
		exec_status(c, 'F', NULL, e);
		say("%s", report_msg());
	}
	_exit(127);
}
