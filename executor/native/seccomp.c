/* linux.seccomp: the filter the planner compiled (planner/seccomp), loaded as
 * it is in the plan, and for SCMP_ACT_NOTIFY the listener fd handed to the
 * seccomp agent with the container process state (runtime-spec runtime.md
 * "Container process state"):
 *   seccomp.connect  C, before pivot_root: connect to listenerPath, a host path
 *                    only reachable while the runtime's root still is
 *   seccomp.load     C, at the point the planner chose (runc's order: after
 *                    no_new_privs and `start`, or before the privilege drop
 *                    without no_new_privs): seccomp(SECCOMP_SET_MODE_FILTER)
 *                    by the syscall itself, no libseccomp at run time. */
#include "planc.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_INSNS 4096 /* BPF_MAXINSNS: the kernel refuses longer programs */

int op_seccomp_connect(const mp *a, struct ctx *c)
{
	const char *path = need_str(a, "path");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (!path)
		return FAILED;
	if (strlen(path) >= sizeof sa.sun_path)
		return failx(ENAMETOOLONG, "linux.seccomp.listenerPath %s is longer than a UNIX socket path can be (%zu bytes)", path, sizeof sa.sun_path - 1);
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(errno, "linux.seccomp.listenerPath: socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
		int e = errno;
		close(fd);
		return fail(e, "linux.seccomp.listenerPath: connect to the seccomp agent at %s", path);
	}
	if (c->agent >= 0)
		close(c->agent);
	c->agent = fd;
	return DONE;
}

/* JSON string body of s (the plan's strings are UTF-8; only '"', '\\' and
 * control characters need escaping). */
static int json_str(char *out, size_t cap, const char *s)
{
	size_t n = 0;
	for (; *s; s++) {
		char esc[8];
		const char *put = esc;
		size_t len;
		if (*s == '"' || *s == '\\')
			esc[0] = '\\', esc[1] = *s, len = 2;
		else if ((unsigned char)*s < 0x20)
			len = (size_t)snprintf(esc, sizeof esc, "\\u%04x", (unsigned char)*s);
		else
			put = s, len = 1;
		if (n + len + 1 > cap)
			return -1;
		memcpy(out + n, put, len);
		n += len;
	}
	out[n] = 0;
	return 0;
}

/* Appends "key":"value" (and a comma before it unless first) to out. */
static int put_pair(char *out, size_t cap, size_t *n, const char *key, const char *value, int first)
{
	char *esc = malloc(cap);
	if (!esc || json_str(esc, cap, value)) {
		free(esc);
		return -1;
	}
	int w = snprintf(out + *n, cap - *n, "%s\"%s\":\"%s\"", first ? "" : ",", key, esc);
	free(esc);
	if (w < 0 || (size_t)w >= cap - *n)
		return -1;
	*n += (size_t)w;
	return 0;
}

#define STATE_MAX 65536

/* runtime-spec "Container process state": {ociVersion, fds, pid, metadata,
 * state}; pid (twice) as the runtime sees it, i.e. in the pid namespace of
 * the runtime's procfs, which the executor still holds. */
static char *process_state(const mp *listener, long pid)
{
	const mp *st = mp_get(listener, "state");
	const char *metadata = mp_str(mp_get(listener, "metadata"));
	static const char *keys[] = {"ociVersion", "id", "status", "bundle"};
	char *out = malloc(STATE_MAX);
	size_t n = 0;
	if (!out || !st || st->type != MP_MAP)
		goto bad;
	const char *oci = mp_str(mp_get(st, "ociVersion"));
	if (!oci)
		goto bad;
	n = (size_t)snprintf(out, STATE_MAX, "{");
	if (put_pair(out, STATE_MAX, &n, "ociVersion", oci, 1))
		goto bad;
	n += (size_t)snprintf(out + n, STATE_MAX - n, ",\"fds\":[\"seccompFd\"],\"pid\":%ld", pid);
	if (metadata && put_pair(out, STATE_MAX, &n, "metadata", metadata, 0))
		goto bad;
	n += (size_t)snprintf(out + n, STATE_MAX - n, ",\"state\":{");
	for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
		const char *v = mp_str(mp_get(st, keys[k]));
		if (!v || put_pair(out, STATE_MAX, &n, keys[k], v, k == 0))
			goto bad;
	}
	n += (size_t)snprintf(out + n, STATE_MAX - n, ",\"pid\":%ld", pid);
	const mp *ann = mp_get(st, "annotations");
	if (ann && ann->type == MP_MAP && ann->len) {
		n += (size_t)snprintf(out + n, STATE_MAX - n, ",\"annotations\":{");
		for (uint32_t k = 0; k < ann->len; k++) {
			const char *key = mp_str(&ann->kids[2 * k]), *v = mp_str(&ann->kids[2 * k + 1]);
			char ekey[1024];
			if (!key || !v || json_str(ekey, sizeof ekey, key) || put_pair(out, STATE_MAX, &n, ekey, v, k == 0))
				goto bad;
		}
		n += (size_t)snprintf(out + n, STATE_MAX - n, "}");
	}
	if (n + 3 > STATE_MAX)
		goto bad;
	n += (size_t)snprintf(out + n, STATE_MAX - n, "}}");
	return out;
bad:
	free(out);
	return NULL;
}

/* The init's pid in the runtime's pid namespace: /proc/self of the runtime's procfs. */
static long runtime_pid(void)
{
	char link[32];
	ssize_t r = readlinkat(proc_handle(), "self", link, sizeof link - 1);
	if (r <= 0)
		return -1;
	link[r] = 0;
	char *end;
	long pid = strtol(link, &end, 10);
	return *end || pid <= 0 ? -1 : pid;
}

/* One message: the state JSON with the listener fd as SCM_RIGHTS. */
static int send_listener(int sock, int fd, const char *json)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = (void *)json, .iov_len = strlen(json)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
	memset(u.buf, 0, sizeof u.buf);
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	ssize_t w;
	do
		w = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return -1;
	/* The fd went with the first byte; the rest of the JSON, if the socket took only part. */
	size_t done = (size_t)w;
	return done < iov.iov_len ? write_all(sock, json + done, iov.iov_len - done) : 0;
}

int op_seccomp_load(const mp *a, struct ctx *c)
{
	const mp *prog = need_arr(a, "program");
	int64_t flags;
	if (!prog || need_int(a, "flags", &flags))
		return FAILED;
	if (prog->len == 0 || prog->len > MAX_INSNS)
		return failx(EINVAL, "linux.seccomp: the planned program has %u instructions (1 to %d)", prog->len, MAX_INSNS);
	if (flags < 0 || flags > UINT32_MAX)
		return failx(EINVAL, "linux.seccomp: bad filter flags %lld", (long long)flags);
	const mp *listener = mp_get(a, "listener");
	int notify = (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) != 0;
	if (notify && (!listener || listener->type != MP_MAP || c->agent < 0))
		return failx(EINVAL, "linux.seccomp: NEW_LISTENER without a listener and a seccomp.connect before it");

	struct sock_filter *f = calloc(prog->len, sizeof *f);
	if (!f)
		return fail(ENOMEM, "linux.seccomp");
	for (uint32_t i = 0; i < prog->len; i++) {
		const mp *ins = &prog->kids[i];
		int64_t code, jt, jf, k;
		if (mp_int(mp_get(ins, "code"), &code) || mp_int(mp_get(ins, "jt"), &jt) || mp_int(mp_get(ins, "jf"), &jf) ||
		    mp_int(mp_get(ins, "k"), &k) || code < 0 || code > 0xffff || jt < 0 || jt > 0xff || jf < 0 || jf > 0xff ||
		    k < 0 || k > UINT32_MAX) {
			free(f);
			return failx(EINVAL, "linux.seccomp: planned instruction %u is not a sock_filter", i);
		}
		f[i] = (struct sock_filter){(uint16_t)code, (uint8_t)jt, (uint8_t)jf, (uint32_t)k};
	}
	/* Before the filter: what the state needs from /proc must not depend on what the filter allows. */
	char *state = NULL;
	if (notify) {
		long pid = runtime_pid();
		if (pid < 0) {
			free(f);
			return fail(errno ? errno : EINVAL, "linux.seccomp: the container's pid in the runtime's procfs");
		}
		state = process_state(listener, pid);
		if (!state) {
			free(f);
			return failx(EINVAL, "linux.seccomp: the planned listener state is malformed or too large");
		}
	}
	struct sock_fprog fprog = {.len = (unsigned short)prog->len, .filter = f};
	/* The syscall, not a libc wrapper: it returns the listener fd with NEW_LISTENER. */
	long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (unsigned)flags, &fprog);
	int e = errno;
	free(f);
	if (fd < 0) {
		free(state);
		if (e == EACCES)
			return fail(e, "linux.seccomp: loading the filter needs no_new_privs or CAP_SYS_ADMIN");
		if (e == EINVAL)
			return fail(e, "linux.seccomp: the kernel refused the filter or its flags 0x%llx (WAIT_KILLABLE_RECV needs Linux 5.19)", (unsigned long long)flags);
		return fail(e, "linux.seccomp: seccomp(SECCOMP_SET_MODE_FILTER)");
	}
	report_field("instructions", prog->len);
	if (!notify)
		return DONE;
	/* The listener fd must not reach the container process: CLOEXEC until it is sent, then closed. */
	fcntl((int)fd, F_SETFD, FD_CLOEXEC);
	int rc = send_listener(c->agent, (int)fd, state);
	e = errno;
	free(state);
	close((int)fd);
	close(c->agent);
	c->agent = -1;
	if (rc)
		return fail(e, "linux.seccomp.listenerPath: sending the listener fd to the seccomp agent");
	return DONE;
}
