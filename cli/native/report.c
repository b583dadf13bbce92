/* Errors and warnings, said as cli/report.ts says them: one line on stderr
 * ("planc: " and the message, control characters escaped), one record in
 * --log as runc writes it (logrus text, or JSON), exit status 1. */
#include "front.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct logto g_log;
jmp_buf *g_catch;
int g_fail_status = 1;
char g_caught[8448];

/* One code point from UTF-8 (an invalid byte reads as U+FFFD, as Node decodes argv and files). */
static uint32_t next_cp(const unsigned char **pp)
{
	const unsigned char *p = *pp;
	uint32_t c = p[0];
	int n = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : -1;
	if (n < 0) {
		*pp = p + 1;
		return 0xfffd;
	}
	uint32_t v = n == 0 ? c : c & (0x3f >> n);
	for (int k = 1; k <= n; k++) {
		if ((p[k] & 0xc0) != 0x80) {
			*pp = p + 1;
			return 0xfffd;
		}
		v = v << 6 | (p[k] & 0x3f);
	}
	static const uint32_t min[] = {0, 0x80, 0x800, 0x10000};
	if (v < min[n] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
		*pp = p + 1;
		return 0xfffd;
	}
	*pp = p + n + 1;
	return v;
}

static void put_cp(struct jbuf *b, uint32_t v)
{
	char u[4];
	size_t n;
	if (v < 0x80)
		u[0] = (char)v, n = 1;
	else if (v < 0x800)
		u[0] = (char)(0xc0 | v >> 6), u[1] = (char)(0x80 | (v & 0x3f)), n = 2;
	else if (v < 0x10000)
		u[0] = (char)(0xe0 | v >> 12), u[1] = (char)(0x80 | (v >> 6 & 0x3f)), u[2] = (char)(0x80 | (v & 0x3f)), n = 3;
	else
		u[0] = (char)(0xf0 | v >> 18), u[1] = (char)(0x80 | (v >> 12 & 0x3f)), u[2] = (char)(0x80 | (v >> 6 & 0x3f)),
		u[3] = (char)(0x80 | (v & 0x3f)), n = 4;
	jb_raw(b, u, n);
}

/* error.ts escapeControls: C0, DEL and C1 shown escaped. */
static char *escape_controls(const char *s)
{
	struct jbuf b;
	jb_init(&b);
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		uint32_t c = next_cp(&p);
		if (c == '\n')
			jb_raw(&b, "\\n", 2);
		else if (c == '\t')
			jb_raw(&b, "\\t", 2);
		else if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
			char u[8];
			snprintf(u, sizeof u, "\\u%04x", (unsigned)c);
			jb_raw(&b, u, 6);
		} else
			put_cp(&b, c);
	}
	return b.p;
}

const char *quote(const char *s)
{
	/* Length in UTF-16 units, as JavaScript counts it. */
	size_t units = 0;
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *cut = NULL;
	while (*p) {
		uint32_t c = next_cp(&p);
		units += c >= 0x10000 ? 2 : 1;
		if (units <= 64)
			cut = p;
	}
	bool long_ = units > 64;
	struct jbuf b;
	jb_init(&b);
	jb_raw(&b, "\"", 1);
	for (p = (const unsigned char *)s; *p && (!long_ || p < cut);) {
		uint32_t c = next_cp(&p);
		char u[8];
		switch (c) {
		case '"': jb_raw(&b, "\\\"", 2); break;
		case '\\': jb_raw(&b, "\\\\", 2); break;
		case '\b': jb_raw(&b, "\\b", 2); break;
		case '\f': jb_raw(&b, "\\f", 2); break;
		case '\n': jb_raw(&b, "\\n", 2); break;
		case '\r': jb_raw(&b, "\\r", 2); break;
		case '\t': jb_raw(&b, "\\t", 2); break;
		default:
			if (c < 0x20 || c == 0x2028 || c == 0x2029) {
				snprintf(u, sizeof u, "\\u%04x", (unsigned)c);
				jb_raw(&b, u, 6);
			} else
				put_cp(&b, c);
		}
	}
	if (long_) {
		char tail[64];
		int n = snprintf(tail, sizeof tail, "…\" (%zu characters)", units);
		jb_raw(&b, tail, (size_t)n);
	} else
		jb_raw(&b, "\"", 1);
	return b.p;
}

const char *errno_words(int e)
{
	/* libuv's words (uv_strerror), which Node's messages carry and errnoWords keeps; where libuv has none, Node says
	 * "Unknown system error -N". */
	switch (e) {
	case EPERM: return "operation not permitted";
	case ENOENT: return "no such file or directory";
	case ESRCH: return "no such process";
	case EINTR: return "interrupted system call";
	case EIO: return "i/o error";
	case ENXIO: return "no such device or address";
	case E2BIG: return "argument list too long";
	case EBADF: return "bad file descriptor";
	case EAGAIN: return "resource temporarily unavailable";
	case ENOMEM: return "not enough memory";
	case EACCES: return "permission denied";
	case EFAULT: return "bad address in system call argument";
	case EBUSY: return "resource busy or locked";
	case EEXIST: return "file already exists";
	case EXDEV: return "cross-device link not permitted";
	case ENODEV: return "no such device";
	case ENOTDIR: return "not a directory";
	case EISDIR: return "illegal operation on a directory";
	case EINVAL: return "invalid argument";
	case ENFILE: return "file table overflow";
	case EMFILE: return "too many open files";
	case ENOTTY: return "inappropriate ioctl for device";
	case ETXTBSY: return "text file is busy";
	case EFBIG: return "file too large";
	case ENOSPC: return "no space left on device";
	case ESPIPE: return "invalid seek";
	case EROFS: return "read-only file system";
	case EMLINK: return "too many links";
	case EPIPE: return "broken pipe";
	case ERANGE: return "result too large";
	case ENAMETOOLONG: return "name too long";
	case ENOSYS: return "function not implemented";
	case ENOTEMPTY: return "directory not empty";
	case ELOOP: return "too many symbolic links encountered";
	case EOVERFLOW: return "value too large for defined data type";
	case ENOTSUP: return "operation not supported on socket";
	case ETIMEDOUT: return "connection timed out";
	case ENOEXEC: return "exec format error";
	case ECANCELED: return "operation canceled";
	case ECONNREFUSED: return "connection refused";
	case ECONNRESET: return "connection reset by peer";
	case EILSEQ: return "illegal byte sequence";
	}
	static char buf[48];
	snprintf(buf, sizeof buf, "Unknown system error -%d", e);
	return buf;
}

static void write_log(const char *level, const char *msg)
{
	if (!g_log.file)
		return;
	char path[4096];
	if (g_log.file[0] == '/')
		snprintf(path, sizeof path, "%s", g_log.file);
	else {
		char cwd[2048];
		if (!getcwd(cwd, sizeof cwd))
			return;
		snprintf(path, sizeof path, "%s/%s", cwd, g_log.file);
	}
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	struct stat st;
	if (fstat(fd, &st) == 0 && (S_ISREG(st.st_mode) || S_ISCHR(st.st_mode))) {
		char when[32];
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
		struct jbuf b;
		jb_init(&b);
		if (g_log.format && strcmp(g_log.format, "json") == 0) {
			jb_obj_begin(&b);
			jb_key(&b, "level"), jb_str(&b, level);
			jb_key(&b, "msg"), jb_str(&b, msg);
			jb_key(&b, "time"), jb_str(&b, when);
			jb_obj_end(&b);
		} else {
			jb_raw(&b, "time=\"", 6);
			jb_raw(&b, when, strlen(when));
			jb_raw(&b, "\" level=", 8);
			jb_raw(&b, level, strlen(level));
			jb_raw(&b, " msg=", 5);
			jb_quoted(&b, msg);
		}
		jb_raw(&b, "\n", 1);
		ssize_t w = write(fd, b.p, b.len); /* one write: records from concurrent verbs do not interleave */
		(void)w;
	}
	close(fd);
}

void fail(const char *where, const char *fmt, ...)
{
	char msg[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	char line[8448];
	if (where && *where)
		snprintf(line, sizeof line, "%s: %s", where, msg);
	else
		snprintf(line, sizeof line, "%s", msg);
	if (g_catch) {
		snprintf(g_caught, sizeof g_caught, "%s", line);
		longjmp(*g_catch, 1);
	}
	char *esc = escape_controls(line);
	dprintf(2, "planc: %s\n", esc);
	write_log("error", esc);
	exit(g_fail_status);
}

void warn(const char *fmt, ...)
{
	char msg[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	char *esc = escape_controls(msg);
	dprintf(2, "planc: warning: %s\n", esc);
	write_log("warning", esc);
}
