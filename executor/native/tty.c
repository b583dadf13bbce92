/* Terminals (process.terminal). P connects to the caller's console socket,
 * or keeps a socket pair for itself (console.relay); C opens a pty in the
 * container's devpts, sends the master over that socket as one SCM_RIGHTS
 * message and takes the slave as its controlling terminal and stdio. For a
 * foreground run or exec without a console socket, P receives the master
 * and relays between its own terminal (planc's) and the container's until
 * the process exits (console_relay). */
#include "planc.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif
#define DEVPTS_SUPER_MAGIC 0x1cd1

/* runc's payload, which receivers may use as the file's name. */
#define MASTER_NAME "/dev/ptmx"

int op_console_socket(const mp *a, struct ctx *c)
{
	const char *path = need_str(a, "path");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (!path)
		return FAILED;
	if (strlen(path) >= sizeof sa.sun_path)
		return failx(ENAMETOOLONG, "console socket \"%s\": longer than %zu bytes, the most an AF_UNIX address holds", path, sizeof sa.sun_path - 1);
	strcpy(sa.sun_path, path);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return fail(errno, "console socket \"%s\": socket", path);
	if (connect(s, (struct sockaddr *)&sa, sizeof sa)) {
		int e = errno;
		close(s);
		return fail(e, "connect to console socket \"%s\"", path);
	}
	c->console = s;
	return DONE;
}

int op_console_relay(const mp *a, struct ctx *c)
{
	(void)a;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return fail(errno, "terminal: socketpair");
	c->relay = sv[0];
	c->console = sv[1];
	return DONE;
}

static int send_master(int sock, int master)
{
	char payload[] = MASTER_NAME;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	memset(&u, 0, sizeof u);
	struct iovec iov = {payload, sizeof payload - 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &master, sizeof(int));
	ssize_t n;
	while ((n = sendmsg(sock, &m, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	return n == (ssize_t)iov.iov_len ? 0 : (n >= 0 ? (errno = EIO, -1) : -1);
}

/* The window size of the first of our stdio that is a terminal. */
static int terminal_size(struct winsize *ws)
{
	for (int fd = 0; fd < 3; fd++)
		if (!ioctl(fd, TIOCGWINSZ, ws))
			return 0;
	return -1;
}

/* /dev/ptmx of the container, resolved in its root like any container path:
 * a symlink to pts/ptmx (the devpts planc mounted) or a device node. */
static int open_ptmx(struct ctx *c)
{
	struct open_how how = {.flags = O_RDWR | O_NOCTTY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	if (c->rootfd < 0)
		return errno = EBADF, -1;
	int fd;
	while ((fd = syscall(SYS_openat2, c->rootfd, "/dev/ptmx", &how, sizeof how)) < 0 && errno == EAGAIN)
		;
	return fd;
}

int op_console_create(const mp *a, struct ctx *c)
{
	const mp *from = mp_get(a, "sizeFromTerminal"), *dev = mp_get(a, "devConsole");
	int64_t w = 0, h = 0;
	unsigned n = 0, unlock = 0;
	struct winsize ws = {0};
	struct statfs sf;
	if (!from || from->type != MP_BOOL || !dev || dev->type != MP_BOOL)
		return failx(EINVAL, "plan: fields \"sizeFromTerminal\" and \"devConsole\" must be booleans");
	if ((mp_get(a, "width") && mp_int(mp_get(a, "width"), &w)) || (mp_get(a, "height") && mp_int(mp_get(a, "height"), &h)))
		return failx(EINVAL, "plan: \"width\" and \"height\" must be integers");
	if (c->console < 0)
		return failx(EINVAL, "terminal: no console socket to send the pty master to (create and detached runs need --console-socket)");
	int master = open_ptmx(c);
	if (master < 0)
		return fail(errno, "terminal: open /dev/ptmx in the container (is a devpts mounted on /dev/pts?)");
	/* A pty master answers TIOCGPTN; anything else planted at /dev/ptmx does not. */
	if (ioctl(master, TIOCGPTN, &n) || ioctl(master, TIOCSPTLCK, &unlock)) {
		int e = errno;
		close(master);
		return failx(e == ENOTTY ? EINVAL : e, "terminal: /dev/ptmx in the container is not a pty multiplexer");
	}
	/* The slave from the master itself: no /dev/pts/N path to resolve (or race). */
	int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0 || fstatfs(slave, &sf) || sf.f_type != DEVPTS_SUPER_MAGIC) {
		int e = slave < 0 ? errno : EXDEV;
		if (slave >= 0)
			close(slave);
		close(master);
		return fail(e, "terminal: open the pty slave /dev/pts/%u", n);
	}
	if (!(from->i && !terminal_size(&ws)) && w > 0 && h > 0)
		ws = (struct winsize){.ws_row = (unsigned short)h, .ws_col = (unsigned short)w};
	int rc = 0;
	const char *what = "";
	if ((ws.ws_row || ws.ws_col) && ioctl(master, TIOCSWINSZ, &ws))
		rc = -1, what = "set the window size";
	/* As runc does for the init: /dev/console is the container's terminal. */
	if (!rc && dev->i) {
		int t = path_resolve(c, "/dev/console", MK_FILE);
		if (t < 0 || mount_bind(slave, t, 0))
			rc = -1, what = "bind it onto /dev/console";
		if (t >= 0)
			close(t);
	}
	if (!rc && send_master(c->console, master))
		rc = -1, what = "send the pty master over the console socket";
	int e = errno;
	close(master);
	close(c->console);
	c->console = -1;
	if (!rc && setsid() < 0)
		rc = -1, e = errno, what = "setsid";
	if (!rc && ioctl(slave, TIOCSCTTY, 0))
		rc = -1, e = errno, what = "make it the controlling terminal";
	for (int fd = 0; !rc && fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			rc = -1, e = errno, what = "make it stdin, stdout and stderr";
	close(slave);
	return rc ? fail(e, "terminal /dev/pts/%u: %s", n, what) : DONE;
}

/* P, relaying: the master C sent over the socket pair. */
static int recv_master(int sock)
{
	char payload[64];
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = {payload, sizeof payload};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
	ssize_t n;
	while ((n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR(&m) : NULL;
	if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int)))
		return errno = n < 0 ? errno : EPROTO, -1;
	int fd;
	memcpy(&fd, CMSG_DATA(cm), sizeof fd);
	return fd;
}

/* Writes all of buf, waiting when fd is non-blocking (stdio shared with Node may be). */
static int put(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EAGAIN) {
			struct pollfd p = {fd, POLLOUT, 0};
			poll(&p, 1, -1);
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w, n -= w;
	}
	return 0;
}

/* Copies what fd has to `to`: 1 if something was read, 0 if nothing yet, -1 at its end. */
static int pump(int fd, int to)
{
	char buf[8192];
	ssize_t n = read(fd, buf, sizeof buf);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) /* EOF, or EIO: the slave has no holder left */
		return -1;
	if (to >= 0 && put(to, buf, n)) {
		/* the reader went away: what it would have read is dropped */
	}
	return 1;
}

static struct termios saved;
static int saved_fd = -1;

static void restore_terminal(void)
{
	if (saved_fd >= 0)
		tcsetattr(saved_fd, TCSAFLUSH, &saved);
	saved_fd = -1;
}

/* P, foreground with a terminal: relay until the process exits, then give
 * back planc's terminal as it was. Returns the process's status; *raw gets
 * its wait status (for the line that says how it ended). */
int console_relay(struct ctx *c, pid_t pid, int *raw)
{
	int master = recv_master(c->relay), status = 0, in = 0, out = 1, done = 0;
	close(c->relay);
	c->relay = -1;
	if (master < 0) {
		say("terminal: receive the pty master: %s", strerror(errno));
		kill(pid, SIGKILL);
	}
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGWINCH);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	/* Raw: keys (^C, ^Z, ^D) go to the container's terminal, which acts on them. */
	for (int fd = 0; master >= 0 && fd < 3 && saved_fd < 0; fd++) {
		if (!isatty(fd) || tcgetattr(fd, &saved))
			continue;
		struct termios raw = saved;
		cfmakeraw(&raw);
		if (!tcsetattr(fd, TCSANOW, &raw)) {
			saved_fd = fd;
			atexit(restore_terminal);
		}
	}
	struct winsize ws;
	if (master >= 0 && !terminal_size(&ws))
		ioctl(master, TIOCSWINSZ, &ws);
	while (!done) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid || (r < 0 && errno == ECHILD)) {
			done = 1;
			break;
		}
		struct pollfd p[3] = {{sfd, POLLIN, 0}, {out ? master : -1, POLLIN, 0}, {in == 0 && master >= 0 ? 0 : -1, POLLIN, 0}};
		/* SIGCHLD wakes it through the signalfd; the timeout only bounds a lost one. */
		if (poll(p, 3, 1000) < 0 && errno != EINTR)
			break;
		if (p[0].revents) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof si) == sizeof si)
				if (si.ssi_signo == SIGWINCH && !terminal_size(&ws))
					ioctl(master, TIOCSWINSZ, &ws);
		}
		if (p[1].revents && pump(master, 1) < 0)
			out = 0;
		if (p[2].revents && pump(0, master) < 0) {
			/* Our input ended (a pipe or a file, never a terminal in raw mode): the
			 * terminal's end-of-file character tells the process, as ^D typed would
			 * (a shell editing lines in raw mode reads it as a byte and ends too). */
			struct termios t;
			if (!tcgetattr(master, &t))
				put(master, (const char *)&t.c_cc[VEOF], 1);
			in = -1;
		}
	}
	/* What the process wrote just before it exited may still be in the pty. */
	for (struct pollfd p = {master, POLLIN, 0}; out && master >= 0 && poll(&p, 1, 50) > 0;)
		if (pump(master, 1) < 0)
			out = 0;
	restore_terminal();
	if (master >= 0)
		close(master);
	if (!done)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	*raw = status;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
