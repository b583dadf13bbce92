/* Report lines: one JSON object per action, each emitted with a single
 * write() shorter than PIPE_BUF so lines from P and C never interleave. */
#include "planc.h"
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int report_fd = -1, audit_fd = -1;

static int cur_i;
static const char *cur_op = "", *cur_stage = "";
static int err_no;
static char err_msg[2048];
static const char *skip_why = "";
static char extra[256]; /* ,"key":value... a handler adds to its ok record */
static size_t extra_n;

struct jb {
	char s[PIPE_BUF];
	size_t n;
};

static void jraw(struct jb *b, const char *s)
{
	size_t k = strlen(s);
	if (b->n + k < sizeof b->s - 4) {
		memcpy(b->s + b->n, s, k);
		b->n += k;
	}
}

/* Escapes s as a JSON string, truncating on a character boundary so the
 * closing quote, '}' and '\n' always fit. */
static void jstr(struct jb *b, const char *s)
{
	const size_t cap = sizeof b->s - 4;
	const unsigned char *p = (const unsigned char *)s;
	jraw(b, "\"");
	while (*p) {
		char tmp[8];
		size_t k = 1, adv = 1;
		if (*p == '"' || *p == '\\') {
			tmp[0] = '\\', tmp[1] = *p, k = 2;
		} else if (*p < 0x20) {
			k = snprintf(tmp, sizeof tmp, "\\u%04x", *p);
		} else if (*p < 0x80) {
			tmp[0] = *p;
		} else {
			adv = *p >= 0xf0 && *p <= 0xf4 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc2 && *p < 0xe0 ? 2 : 0;
			for (size_t j = 1; j < adv; j++)
				if ((p[j] & 0xc0) != 0x80)
					adv = 0;
			if (adv)
				memcpy(tmp, p, adv), k = adv;
			else /* not UTF-8: keep the line valid JSON */
				memcpy(tmp, "\\ufffd", 6), k = 6, adv = 1;
		}
		if (b->n + k > cap)
			break;
		memcpy(b->s + b->n, tmp, k);
		b->n += k;
		p += adv;
	}
	b->s[b->n++] = '"';
}

static void emit(int fd, const struct jb *b)
{
	if (fd < 0)
		return;
	while (write(fd, b->s, b->n) < 0 && errno == EINTR)
		;
}

static int vset(int err, int with_strerror, const char *fmt, va_list ap)
{
	int n = vsnprintf(err_msg, sizeof err_msg, fmt, ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof err_msg)
		n = sizeof err_msg - 1;
	if (with_strerror) {
		char *tail = err_msg + n;
		/* EXDEV only comes from our own filesystem-type checks (expect_fs, cgroup files). */
		snprintf(tail, sizeof err_msg - n, ": %s", err == EXDEV ? "not on the expected filesystem" : strerror(err));
		for (; *tail; tail++) /* strerror() is capitalised; messages are not */
			*tail = tolower((unsigned char)*tail);
	}
	err_no = err;
	return FAILED;
}

int fail(int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset(err, 1, fmt, ap);
	va_end(ap);
	return FAILED;
}

int failx(int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset(err, 0, fmt, ap);
	va_end(ap);
	return FAILED;
}

int skip(const char *why)
{
	skip_why = why;
	return SKIPPED;
}

const char *report_msg(void)
{
	return err_msg;
}

/* Extra fields of the current action's ok record (keys are literals of the
 * executor: no escaping). */
static void add_extra(const char *key, const char *value)
{
	int n = snprintf(extra + extra_n, sizeof extra - extra_n, ",\"%s\":%s", key, value);
	if (n > 0 && (size_t)n < sizeof extra - extra_n)
		extra_n += n;
	else
		extra[extra_n] = 0; /* does not fit: dropped whole */
}

void report_field(const char *key, long long v)
{
	char num[24];
	snprintf(num, sizeof num, "%lld", v);
	add_extra(key, num);
}

void report_flag(const char *key, int v)
{
	add_extra(key, v ? "true" : "false");
}

int report_index(void)
{
	return cur_i;
}

void report_begin(int i, const char *op, const char *stage)
{
	extra_n = 0;
	extra[0] = 0;
	cur_i = i;
	cur_op = op ? op : "";
	cur_stage = stage ? stage : "";
}

void report_result(int rc)
{
	struct jb b = {.n = 0};
	struct timespec ts;
	char num[96];
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(num, sizeof num, "{\"i\":%d,\"op\":", cur_i);
	jraw(&b, num);
	jstr(&b, cur_op);
	jraw(&b, ",\"stage\":");
	jstr(&b, cur_stage);
	snprintf(num, sizeof num, ",\"r\":\"%s\",\"t\":%lld", rc == DONE ? "ok" : rc == SKIPPED ? "skipped" : "error",
		 (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
	jraw(&b, num);
	if (rc == DONE)
		jraw(&b, extra);
	if (rc == SKIPPED) {
		jraw(&b, ",\"why\":");
		jstr(&b, skip_why);
	} else if (rc == FAILED) {
		snprintf(num, sizeof num, ",\"errno\":%d,\"msg\":", err_no);
		jraw(&b, num);
		jstr(&b, err_msg);
	}
	b.s[b.n++] = '}';
	b.s[b.n++] = '\n';
	emit(audit_fd, &b);
	emit(report_fd, &b);
}

/* Protocol lines that are not action results ({"pid":N}, {"ready":1}). */
void report_line(const char *json)
{
	struct jb b = {.n = 0};
	jraw(&b, json);
	b.s[b.n++] = '\n';
	emit(report_fd, &b);
}

/* stderr, for what happens where no report pipe listens (before the plan is
 * read, or after ready). */
void say(const char *fmt, ...)
{
	char buf[2300];
	va_list ap;
	va_start(ap, fmt);
	int n = snprintf(buf, sizeof buf, "planc-exec: ");
	n += vsnprintf(buf + n, sizeof buf - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof buf - 2)
		n = sizeof buf - 2;
	buf[n++] = '\n';
	if (write(2, buf, n) < 0) {
		/* nowhere left to complain */
	}
}

void report_close(void)
{
	if (report_fd >= 0)
		close(report_fd);
	report_fd = -1;
}

/* strerror() in the lower case of the executor's messages, for a message that goes on after it. */
const char *err_words(int err)
{
	static char b[128];
	snprintf(b, sizeof b, "%s", strerror(err));
	b[0] = tolower((unsigned char)b[0]);
	return b;
}
