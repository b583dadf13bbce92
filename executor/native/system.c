/* Per-container kernel settings applied by C inside its namespaces. */
#include "planc.h"
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

int op_hostname(const mp *a, struct ctx *c)
{
	(void)c;
	const char *name = need_str(a, "name");
	if (!name)
		return FAILED;
	return sethostname(name, strlen(name)) ? fail(errno, "set hostname \"%s\"", name) : DONE;
}

int op_domainname(const mp *a, struct ctx *c)
{
	(void)c;
	const char *name = need_str(a, "name");
	if (!name)
		return FAILED;
	return setdomainname(name, strlen(name)) ? fail(errno, "set domainname \"%s\"", name) : DONE;
}

int op_sysctl(const mp *a, struct ctx *c)
{
	(void)c;
	const char *key = need_str(a, "key"), *value = need_str(a, "value");
	char path[4096];
	if (!key || !value)
		return FAILED;
	if (strstr(key, "..") || snprintf(path, sizeof path, "sys/%s", key) >= (int)sizeof path)
		return failx(EINVAL, "sysctl \"%s\": invalid key", key);
	for (char *p = path + 4; *p; p++)
		if (*p == '.')
			*p = '/';
	return write_file(path, value, proc_open) ? fail(errno, "sysctl \"%s\" = \"%s\"", key, value) : DONE;
}

int op_link_up(const mp *a, struct ctx *c)
{
	(void)c;
	const char *name = need_str(a, "name");
	struct ifreq ifr = {0};
	if (!name)
		return FAILED;
	if (strlen(name) >= IFNAMSIZ)
		return failx(EINVAL, "link \"%s\": name too long", name);
	strcpy(ifr.ifr_name, name);
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return fail(errno, "link \"%s\" up: socket", name);
	int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
	if (!rc) {
		ifr.ifr_flags |= IFF_UP;
		rc = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	int e = errno;
	close(s);
	return rc ? fail(e, "link \"%s\" up", name) : DONE;
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end ? -1 : 0;
}

int op_rlimit(const mp *a, struct ctx *c)
{
	(void)c;
	const char *res = need_str(a, "resource"), *soft = need_str(a, "soft"), *hard = need_str(a, "hard");
	struct rlimit rl, cur;
	uint64_t s, h;
	if (!res || !soft || !hard)
		return FAILED;
	const struct name_value *r = LOOKUP(rlimit_table, res);
	if (!r)
		return failx(EINVAL, "rlimit \"%s\": unknown resource", res);
	int n = (int)r->value;
	if (parse_u64(soft, &s) || parse_u64(hard, &h))
		return failx(EINVAL, "rlimit %s: soft \"%s\" / hard \"%s\" are not unsigned 64-bit integers", res, soft, hard);
	rl.rlim_cur = s; /* 2^64-1 is RLIM_INFINITY */
	rl.rlim_max = h;
	if (!prlimit(0, n, &rl, NULL))
		return DONE;
	int e = errno;
	if (e == EPERM && !prlimit(0, n, NULL, &cur) && h > cur.rlim_max)
		return failx(e, "rlimit %s = %s:%s: operation not permitted: the hard limit (%llu) cannot be raised "
			     "without CAP_SYS_RESOURCE", res, soft, hard, (unsigned long long)cur.rlim_max);
	return fail(e, "rlimit %s = %s:%s", res, soft, hard);
}

int op_oom_score_adj(const mp *a, struct ctx *c)
{
	(void)c;
	int64_t v;
	char buf[24];
	if (need_int(a, "value", &v))
		return FAILED;
	snprintf(buf, sizeof buf, "%lld", (long long)v);
	/* In a user namespace the init may only open its own /proc files while dumpable (proc_open_own). */
	return write_file("self/oom_score_adj", buf, proc_open_own) ? fail(errno, "oom_score_adj = %s", buf) : DONE;
}
