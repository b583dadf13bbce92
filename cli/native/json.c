/* JSON for the front: a strict reader of the files planc writes (state.json,
 * audit.json) into the executor's mp tree, so one set of accessors (mp_get,
 * mp_str, mp_int) serves both encodings; and a writer whose strings come out
 * exactly as JSON.stringify writes them, so the front prints what the
 * TypeScript verbs printed. */
#include "front.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

struct jr {
	const char *p, *end;
	const char *err;
};

static void ws(struct jr *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static int hex4(const char *p, uint32_t *out)
{
	uint32_t v = 0;
	for (int k = 0; k < 4; k++) {
		char c = p[k];
		v <<= 4;
		if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
		else return -1;
	}
	*out = v;
	return 0;
}

static char *string(struct jr *r)
{
	/* r->p is at the opening quote; the result is never longer than the source. */
	const char *s = ++r->p;
	char *out = malloc((size_t)(r->end - s) + 1), *o = out;
	if (!out) {
		r->err = "out of memory";
		return NULL;
	}
	while (r->p < r->end && *r->p != '"') {
		unsigned char c = (unsigned char)*r->p++;
		if (c < 0x20) {
			r->err = "control character in string";
			return NULL;
		}
		if (c != '\\') {
			*o++ = (char)c;
			continue;
		}
		if (r->p >= r->end)
			break;
		char e = *r->p++;
		switch (e) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			uint32_t v;
			if (r->end - r->p < 4 || hex4(r->p, &v) < 0) {
				r->err = "bad \\u escape";
				return NULL;
			}
			r->p += 4;
			if (v >= 0xd800 && v <= 0xdbff && r->end - r->p >= 6 && r->p[0] == '\\' && r->p[1] == 'u') {
				uint32_t lo;
				if (hex4(r->p + 2, &lo) == 0 && lo >= 0xdc00 && lo <= 0xdfff) {
					v = 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00);
					r->p += 6;
				}
			}
			if (v >= 0xd800 && v <= 0xdfff)
				v = 0xfffd; /* a lone surrogate has no UTF-8 form */
			if (v == 0) {
				r->err = "NUL in string";
				return NULL;
			}
			if (v < 0x80) *o++ = (char)v;
			else if (v < 0x800) *o++ = (char)(0xc0 | v >> 6), *o++ = (char)(0x80 | (v & 0x3f));
			else if (v < 0x10000)
				*o++ = (char)(0xe0 | v >> 12), *o++ = (char)(0x80 | (v >> 6 & 0x3f)), *o++ = (char)(0x80 | (v & 0x3f));
			else
				*o++ = (char)(0xf0 | v >> 18), *o++ = (char)(0x80 | (v >> 12 & 0x3f)), *o++ = (char)(0x80 | (v >> 6 & 0x3f)),
				*o++ = (char)(0x80 | (v & 0x3f));
			break;
		}
		default:
			r->err = "bad escape";
			return NULL;
		}
	}
	if (r->p >= r->end) {
		r->err = "unterminated string";
		return NULL;
	}
	r->p++;
	*o = 0;
	return out;
}

static int value(struct jr *r, mp *o, int depth);

static int children(struct jr *r, mp *o, int depth, char close, int per)
{
	size_t cap = 8, n = 0;
	mp *kids = malloc(cap * sizeof *kids);
	if (!kids)
		return r->err = "out of memory", -1;
	r->p++;
	ws(r);
	if (r->p < r->end && *r->p == close) {
		r->p++;
		o->kids = kids, o->len = 0;
		return 0;
	}
	for (;;) {
		if (n + 2 > cap) {
			cap *= 2;
			if (!(kids = realloc(kids, cap * sizeof *kids)))
				return r->err = "out of memory", -1;
		}
		ws(r);
		if (per == 2) {
			if (r->p >= r->end || *r->p != '"')
				return r->err = "expected a key", -1;
			char *k = string(r);
			if (!k)
				return -1;
			kids[n].type = MP_STR, kids[n].s = k, kids[n].len = (uint32_t)strlen(k);
			n++;
			ws(r);
			if (r->p >= r->end || *r->p != ':')
				return r->err = "expected ':'", -1;
			r->p++;
		}
		if (value(r, &kids[n++], depth + 1) < 0)
			return -1;
		ws(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == close) {
			r->p++;
			break;
		}
		return r->err = "expected ',' or a close", -1;
	}
	o->kids = kids;
	o->len = (uint32_t)(n / (size_t)per);
	return 0;
}

static int number(struct jr *r, mp *o)
{
	const char *s = r->p;
	if (r->p < r->end && *r->p == '-')
		r->p++;
	if (r->p >= r->end || *r->p < '0' || *r->p > '9')
		return r->err = "bad number", -1;
	while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
		r->p++;
	bool integer = true;
	while (r->p < r->end && (strchr(".eE+-", *r->p) || (*r->p >= '0' && *r->p <= '9')))
		integer = false, r->p++;
	char tmp[64];
	size_t n = (size_t)(r->p - s);
	if (n >= sizeof tmp)
		return r->err = "number too long", -1;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	errno = 0;
	if (integer && tmp[0] != '-') {
		unsigned long long u = strtoull(tmp, NULL, 10);
		if (errno)
			return r->err = "integer out of range", -1;
		if (u > INT64_MAX)
			o->type = MP_UINT64, o->u = u;
		else
			o->type = MP_INT, o->i = (int64_t)u;
	} else if (integer) {
		long long v = strtoll(tmp, NULL, 10);
		if (errno)
			return r->err = "integer out of range", -1;
		o->type = MP_INT, o->i = v;
	} else {
		char *end;
		o->type = MP_FLOAT, o->f = strtod(tmp, &end);
		if (*end)
			return r->err = "bad number", -1;
	}
	return 0;
}

static int value(struct jr *r, mp *o, int depth)
{
	if (depth > MAX_DEPTH)
		return r->err = "nested too deep", -1;
	memset(o, 0, sizeof *o);
	ws(r);
	if (r->p >= r->end)
		return r->err = "unexpected end", -1;
	switch (*r->p) {
	case '{': o->type = MP_MAP; return children(r, o, depth, '}', 2);
	case '[': o->type = MP_ARR; return children(r, o, depth, ']', 1);
	case '"': {
		char *s = string(r);
		if (!s)
			return -1;
		o->type = MP_STR, o->s = s, o->len = (uint32_t)strlen(s);
		return 0;
	}
	}
	static const struct { const char *word; enum mp_type t; int b; } words[] = {
		{"true", MP_BOOL, 1}, {"false", MP_BOOL, 0}, {"null", MP_NIL, 0}};
	for (size_t k = 0; k < 3; k++) {
		size_t n = strlen(words[k].word);
		if ((size_t)(r->end - r->p) >= n && memcmp(r->p, words[k].word, n) == 0) {
			r->p += n;
			o->type = words[k].t, o->i = words[k].b;
			return 0;
		}
	}
	return number(r, o);
}

mp *json_parse(const char *text, size_t len, const char **err)
{
	struct jr r = {text, text + len, NULL};
	mp *root = calloc(1, sizeof *root);
	if (!root || value(&r, root, 0) < 0) {
		*err = r.err ? r.err : "out of memory";
		return NULL;
	}
	ws(&r);
	if (r.p != r.end) {
		*err = "text after the document";
		return NULL;
	}
	return root;
}

/* ---- out ---- */

void jb_init(struct jbuf *b)
{
	memset(b, 0, sizeof *b);
	b->cap = 256;
	b->p = malloc(b->cap);
	if (!b->p)
		abort();
	b->p[0] = 0;
	b->first[0] = true;
}

void jb_raw(struct jbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		while (b->len + n + 1 > b->cap)
			b->cap *= 2;
		if (!(b->p = realloc(b->p, b->cap)))
			abort();
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

/* A comma before every value but the first in its container (a key's value follows its key). */
static void sep(struct jbuf *b)
{
	if (b->depth > 0 && !b->first[b->depth])
		jb_raw(b, ",", 1);
	b->first[b->depth] = false;
}

static void before_value(struct jbuf *b)
{
	if (b->after_key)
		b->after_key = false;
	else
		sep(b);
}

void jb_obj_begin(struct jbuf *b)
{
	before_value(b);
	jb_raw(b, "{", 1);
	b->first[++b->depth] = true;
}

void jb_obj_end(struct jbuf *b)
{
	b->depth--;
	jb_raw(b, "}", 1);
}

void jb_arr_begin(struct jbuf *b)
{
	before_value(b);
	jb_raw(b, "[", 1);
	b->first[++b->depth] = true;
}

void jb_arr_end(struct jbuf *b)
{
	b->depth--;
	jb_raw(b, "]", 1);
}

void jb_key(struct jbuf *b, const char *k)
{
	sep(b);
	jb_quoted(b, k);
	jb_raw(b, ":", 1);
	b->after_key = true;
}

void jb_quoted(struct jbuf *b, const char *s)
{
	jb_raw(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		const char *e = NULL;
		char u[8];
		switch (*p) {
		case '"': e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		case '\b': e = "\\b"; break;
		case '\f': e = "\\f"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		default:
			if (*p < 0x20) {
				snprintf(u, sizeof u, "\\u%04x", *p);
				e = u;
			}
		}
		if (e)
			jb_raw(b, e, strlen(e));
		else
			jb_raw(b, (const char *)p, 1);
	}
	jb_raw(b, "\"", 1);
}

void jb_str(struct jbuf *b, const char *s)
{
	before_value(b);
	jb_quoted(b, s);
}

void jb_i64(struct jbuf *b, int64_t v)
{
	char t[32];
	before_value(b);
	jb_raw(b, t, (size_t)snprintf(t, sizeof t, "%lld", (long long)v));
}

void jb_u64(struct jbuf *b, uint64_t v)
{
	char t[32];
	before_value(b);
	jb_raw(b, t, (size_t)snprintf(t, sizeof t, "%llu", (unsigned long long)v));
}

void jb_bool(struct jbuf *b, bool v)
{
	before_value(b);
	jb_raw(b, v ? "true" : "false", v ? 4 : 5);
}

void jb_null(struct jbuf *b)
{
	before_value(b);
	jb_raw(b, "null", 4);
}

char *json_indent(const char *s)
{
	/* JSON.stringify(v, null, 2) of compact JSON: a newline and indent after
	 * each open and comma, before each close; empty containers stay "{}"/"[]". */
	struct jbuf b;
	jb_init(&b);
	int depth = 0;
	bool in_str = false;
	for (const char *p = s; *p; p++) {
		char c = *p;
		if (in_str) {
			jb_raw(&b, p, 1);
			if (c == '\\' && p[1])
				jb_raw(&b, ++p, 1);
			else if (c == '"')
				in_str = false;
			continue;
		}
		switch (c) {
		case '"': in_str = true; jb_raw(&b, p, 1); break;
		case '{':
		case '[':
			jb_raw(&b, p, 1);
			if (p[1] == (c == '{' ? '}' : ']')) {
				jb_raw(&b, ++p, 1);
				break;
			}
			depth++;
			jb_raw(&b, "\n", 1);
			for (int k = 0; k < depth; k++) jb_raw(&b, "  ", 2);
			break;
		case '}':
		case ']':
			depth--;
			jb_raw(&b, "\n", 1);
			for (int k = 0; k < depth; k++) jb_raw(&b, "  ", 2);
			jb_raw(&b, p, 1);
			break;
		case ',':
			jb_raw(&b, ",\n", 2);
			for (int k = 0; k < depth; k++) jb_raw(&b, "  ", 2);
			break;
		case ':': jb_raw(&b, ": ", 2); break;
		default: jb_raw(&b, p, 1);
		}
	}
	return b.p;
}

void jb_num(struct jbuf *b, const char *text)
{
	before_value(b);
	jb_raw(b, text, strlen(text));
}

/* ECMAScript Number::toString: the shortest digits that read back as the same
 * double, written plainly up to 21 integer digits and down to 6 leading
 * zeros after the point, with an exponent beyond either. */
void jb_format_double(double d, char out[JB_DOUBLE_MAX])
{
	if (d != d || d - d != 0) { /* NaN, ±Infinity: JSON.stringify writes null */
		strcpy(out, "null");
		return;
	}
	if (d == 0) { /* -0 too */
		strcpy(out, "0");
		return;
	}
	char *o = out;
	if (d < 0) {
		*o++ = '-';
		d = -d;
	}
	if (d < 9007199254740992.0 && (double)(uint64_t)d == d) {
		snprintf(o, JB_DOUBLE_MAX - 1, "%llu", (unsigned long long)d);
		return;
	}
	char e[40];
	for (int p = 1; p <= 17; p++) {
		snprintf(e, sizeof e, "%.*e", p - 1, d);
		if (strtod(e, NULL) == d)
			break;
	}
	/* e is "D.DDDe±XX": the digits s (trailing zeros dropped), and n with value = 0.s × 10^n. */
	char s[24];
	int k = 0;
	const char *q = e;
	for (; *q && *q != 'e'; q++)
		if (*q != '.')
			s[k++] = *q;
	while (k > 1 && s[k - 1] == '0')
		k--;
	s[k] = 0;
	int n = atoi(q + 1) + 1;
	if (k <= n && n <= 21) {
		memcpy(o, s, (size_t)k);
		o += k;
		for (int z = 0; z < n - k; z++)
			*o++ = '0';
		*o = 0;
	} else if (0 < n && n <= 21) {
		sprintf(o, "%.*s.%s", n, s, s + n);
	} else if (-6 < n && n <= 0) {
		*o++ = '0';
		*o++ = '.';
		for (int z = 0; z < -n; z++)
			*o++ = '0';
		strcpy(o, s);
	} else if (k == 1) {
		sprintf(o, "%se%c%d", s, n - 1 >= 0 ? '+' : '-', abs(n - 1));
	} else {
		sprintf(o, "%c.%se%c%d", s[0], s + 1, n - 1 >= 0 ? '+' : '-', abs(n - 1));
	}
}

void jb_double(struct jbuf *b, double v)
{
	char t[JB_DOUBLE_MAX];
	jb_format_double(v, t);
	jb_num(b, t);
}
