/* Records: one JSON object per action, written to the audit trail
 * (audit.c) and then, the same line, to the report pipe with a single
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

int report_fd = -1;

static int cur_i;
static const char *cur_op = "", *cur_stage = "";
static int err_no;
static char err_msg[2048];
static const char *skip_why = "";
static char extra[256]; /* ,"key":value... a handler adds to its ok record */
static size_t extra_n;
static int audit_err;
static char audit_msg[256];

/* Room a record keeps free for its chain link (`,"prev":"<64 hex>"}`) and newline. */
#define LINK_ROOM 96

struct jb {
	char s[PIPE_BUF_LINE];
	size_t n;
};

static void jraw(struct jb *b, const char *s)
{
	size_t k = strlen(s);
	if (b->n + k < sizeof b->s - LINK_ROOM) {
		memcpy(b->s + b->n, s, k);
		b->n += k;
	}
}

/* s as a JSON string into out (at most cap bytes, quotes included),
 * truncated on a character boundary; invalid UTF-8 becomes U+FFFD so the
 * line stays valid JSON. Returns the bytes written. */
size_t json_string(char *out, size_t cap, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;
	if (cap < 2)
		return 0;
	out[n++] = '"';
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
		if (n + k + 1 > cap)
			break;
		memcpy(out + n, tmp, k);
		n += k;
		p += adv;
	}
	out[n++] = '"';
	return n;
}

static void jstr(struct jb *b, const char *s)
{
	b->n += json_string(b->s + b->n, sizeof b->s - LINK_ROOM - b->n, s);
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

static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The record written to the trail, then (the same line) to the report pipe.
 * A record that cannot be written is reported as such, and the caller stops. */
static int record(struct jb *b)
{
	char link[80];
	chain_close(link);
	memcpy(b->s + b->n, link, strlen(link));
	b->n += strlen(link);
	if (audit_write(b->s, b->n)) {
		audit_failed(errno, "write the audit record of action %d (%s)", cur_i, cur_op);
		return -1;
	}
	b->s[b->n++] = '\n';
	emit(report_fd, b);
	return 0;
}

/* `{"n":N,"i":I,"op":…,"stage":…,"r":R,"t":T` */
static void record_start(struct jb *b, const char *r)
{
	char num[96];
	chain_open(num, sizeof num);
	jraw(b, num);
	snprintf(num, sizeof num, "\"i\":%d,\"op\":", cur_i);
	jraw(b, num);
	jstr(b, cur_op);
	jraw(b, ",\"stage\":");
	jstr(b, cur_stage);
	snprintf(num, sizeof num, ",\"r\":\"%s\",\"t\":%lld", r, now_us());
	jraw(b, num);
}

int report_result(int rc)
{
	struct jb b = {.n = 0};
	char num[96];
	record_start(&b, rc == DONE ? "ok" : rc == SKIPPED ? "skipped" : rc == PENDING ? "pending" : "error");
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
	return record(&b);
}

/* The exec of action i took place (the init's close-on-exec channel closed
 * without a failure): its pending record confirmed, by this process. */
int report_confirmed(int i, const char *op, const char *stage)
{
	struct jb b = {.n = 0};
	report_begin(i, op, stage);
	record_start(&b, "ok");
	jraw(&b, ",\"by\":\"executor\"");
	return record(&b);
}

/* What stops a run whose record could not be written: kept for the report
 * pipe (planc's one error line) and for stderr where no pipe listens. */
int audit_failed(int err, const char *fmt, ...)
{
	va_list ap;
	char what[160];
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	audit_err = err;
	snprintf(audit_msg, sizeof audit_msg, "%s: %s", what, strerror(err));
	for (char *c = audit_msg + strlen(what); *c; c++) /* strerror() is capitalised; messages are not */
		*c = tolower((unsigned char)*c);
	if (report_fd >= 0) {
		struct jb b = {.n = 0};
		char num[64];
		snprintf(num, sizeof num, "{\"i\":%d,\"auditError\":%d,\"msg\":", cur_i, err);
		jraw(&b, num);
		jstr(&b, audit_msg);
		b.s[b.n++] = '}';
		b.s[b.n++] = '\n';
		emit(report_fd, &b);
	}
	return -1;
}

int audit_error(void)
{
	return audit_err;
}

const char *audit_message(void)
{
	return audit_msg;
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
