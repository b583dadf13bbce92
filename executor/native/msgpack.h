#ifndef PLANC_MSGPACK_H
#define PLANC_MSGPACK_H
#include <stddef.h>
#include <stdint.h>

enum mp_type { MP_NIL, MP_BOOL, MP_INT, MP_UINT64, MP_FLOAT, MP_STR, MP_BIN, MP_ARR, MP_MAP, MP_EXT };

/* One decoded value. Strings are NUL-terminated copies; maps keep 2*len
 * children, key then value. MP_UINT64 holds only values above INT64_MAX. */
typedef struct mp {
	enum mp_type type;
	uint32_t len;
	union {
		int64_t i;
		uint64_t u;
		double f;
		const char *s;
		struct mp *kids;
	};
} mp;

int mp_parse(const uint8_t *buf, size_t len, mp *root, const char **err);
const mp *mp_get(const mp *map, const char *key);
const char *mp_str(const mp *v);
int mp_int(const mp *v, int64_t *out);
char **mp_strv(const mp *arr);

#endif
