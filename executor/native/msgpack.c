/* A minimal msgpack reader: the whole plan is decoded once into a tree that
 * lives until exec, so nodes come from a bump arena that is never freed. */
#include "planc.h"
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

static uint8_t *arena_p;
static size_t arena_left;

static void *arena_alloc(size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (n > arena_left) {
		size_t sz = n > 65536 ? n : 65536;
		if (!(arena_p = malloc(sz)))
			return NULL;
		arena_left = sz;
	}
	void *r = arena_p;
	arena_p += n;
	arena_left -= n;
	return r;
}

struct rd {
	const uint8_t *p, *end;
	const char *err;
};

static const uint8_t *take(struct rd *r, size_t n)
{
	if ((size_t)(r->end - r->p) < n) {
		r->err = "truncated";
		return NULL;
	}
	const uint8_t *q = r->p;
	r->p += n;
	return q;
}

static int be(struct rd *r, int n, uint64_t *out)
{
	const uint8_t *q = take(r, n);
	if (!q)
		return -1;
	uint64_t v = 0;
	for (int k = 0; k < n; k++)
		v = v << 8 | q[k];
	*out = v;
	return 0;
}

static int value(struct rd *r, mp *o, int depth);

static int bytes(struct rd *r, mp *o, uint64_t n, enum mp_type t)
{
	const uint8_t *q = take(r, n);
	if (!q)
		return -1;
	char *s = arena_alloc(n + 1);
	if (!s)
		return r->err = "out of memory", -1;
	memcpy(s, q, n);
	s[n] = 0;
	/* A NUL inside a path would silently shorten it. */
	if (t == MP_STR && memchr(s, 0, n))
		return r->err = "NUL byte in string", -1;
	o->type = t;
	o->len = n;
	o->s = s;
	return 0;
}

static int items(struct rd *r, mp *o, uint64_t n, enum mp_type t, int depth)
{
	uint64_t count = t == MP_MAP ? 2 * n : n;
	/* Every item takes at least one byte: bounds the allocation by the input. */
	if (count > (uint64_t)(r->end - r->p))
		return r->err = "truncated", -1;
	o->type = t;
	o->len = n;
	o->kids = arena_alloc(count * sizeof(mp) + 1);
	if (!o->kids)
		return r->err = "out of memory", -1;
	for (uint64_t k = 0; k < count; k++)
		if (value(r, &o->kids[k], depth + 1))
			return -1;
	return 0;
}

static int value(struct rd *r, mp *o, int depth)
{
	const uint8_t *q;
	uint64_t n;
	memset(o, 0, sizeof *o);
	if (depth > MAX_DEPTH)
		return r->err = "nested too deeply", -1;
	if (!(q = take(r, 1)))
		return -1;
	uint8_t t = *q;
	if (t <= 0x7f || t >= 0xe0) {
		o->type = MP_INT;
		o->i = (int8_t)t;
		if (t <= 0x7f)
			o->i = t;
		return 0;
	}
	if ((t & 0xf0) == 0x80)
		return items(r, o, t & 0x0f, MP_MAP, depth);
	if ((t & 0xf0) == 0x90)
		return items(r, o, t & 0x0f, MP_ARR, depth);
	if ((t & 0xe0) == 0xa0)
		return bytes(r, o, t & 0x1f, MP_STR);
	switch (t) {
	case 0xc0:
		o->type = MP_NIL;
		return 0;
	case 0xc2:
	case 0xc3:
		o->type = MP_BOOL;
		o->i = t & 1;
		return 0;
	case 0xc4: case 0xc5: case 0xc6:
		return be(r, 1 << (t - 0xc4), &n) ? -1 : bytes(r, o, n, MP_BIN);
	case 0xd9: case 0xda: case 0xdb:
		return be(r, 1 << (t - 0xd9), &n) ? -1 : bytes(r, o, n, MP_STR);
	case 0xc7: case 0xc8: case 0xc9: /* ext: length, type byte, data */
		return be(r, 1 << (t - 0xc7), &n) || !take(r, 1) ? -1 : bytes(r, o, n, MP_EXT);
	case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
		return !take(r, 1) ? -1 : bytes(r, o, 1u << (t - 0xd4), MP_EXT);
	case 0xca: {
		float f;
		uint32_t w;
		if (be(r, 4, &n))
			return -1;
		w = (uint32_t)n;
		memcpy(&f, &w, 4);
		o->type = MP_FLOAT;
		o->f = f;
		return 0;
	}
	case 0xcb:
		if (be(r, 8, &n))
			return -1;
		o->type = MP_FLOAT;
		memcpy(&o->f, &n, 8);
		return 0;
	case 0xcc: case 0xcd: case 0xce: case 0xcf:
		if (be(r, 1 << (t - 0xcc), &n))
			return -1;
		o->type = n > INT64_MAX ? MP_UINT64 : MP_INT;
		o->u = n;
		return 0;
	case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
		int w = 1 << (t - 0xd0);
		if (be(r, w, &n))
			return -1;
		if (w < 8 && (n >> (8 * w - 1)))
			n |= ~(uint64_t)0 << (8 * w); /* sign-extend */
		o->type = MP_INT;
		o->i = (int64_t)n;
		return 0;
	}
	case 0xdc: case 0xdd:
		return be(r, t == 0xdc ? 2 : 4, &n) ? -1 : items(r, o, n, MP_ARR, depth);
	case 0xde: case 0xdf:
		return be(r, t == 0xde ? 2 : 4, &n) ? -1 : items(r, o, n, MP_MAP, depth);
	}
	return r->err = "reserved type byte 0xc1", -1;
}

int mp_parse(const uint8_t *buf, size_t len, mp *root, const char **err)
{
	struct rd r = {buf, buf + len, NULL};
	if (value(&r, root, 0)) {
		*err = r.err;
		return -1;
	}
	if (r.p != r.end) {
		*err = "trailing bytes after the plan";
		return -1;
	}
	return 0;
}

const mp *mp_get(const mp *map, const char *key)
{
	if (!map || map->type != MP_MAP)
		return NULL;
	for (uint32_t k = 0; k < map->len; k++) {
		const mp *kk = &map->kids[2 * k];
		if (kk->type == MP_STR && !strcmp(kk->s, key))
			return &map->kids[2 * k + 1];
	}
	return NULL;
}

const char *mp_str(const mp *v)
{
	return v && v->type == MP_STR ? v->s : NULL;
}

int mp_int(const mp *v, int64_t *out)
{
	if (!v || v->type != MP_INT)
		return -1;
	*out = v->i;
	return 0;
}

char **mp_strv(const mp *arr)
{
	if (!arr || arr->type != MP_ARR)
		return NULL;
	char **v = calloc(arr->len + 1, sizeof *v);
	for (uint32_t k = 0; v && k < arr->len; k++)
		if (!(v[k] = (char *)mp_str(&arr->kids[k]))) {
			free(v);
			return NULL;
		}
	return v;
}
