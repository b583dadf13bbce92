/* Credentials: bounding set, user and groups, capability sets. */
#include "planc.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A capability's name for messages; the kernel may know more than the table. */
static const char *cap_name(int k, char buf[24])
{
	const char *n = NAME_OF(cap_table, (unsigned long)k);
	if (n)
		return n;
	snprintf(buf, 24, "capability %d", k);
	return buf;
}

static int cap_mask(const mp *a, const char *key, uint64_t *out)
{
	const mp *arr = need_arr(a, key);
	*out = 0;
	if (!arr)
		return -1;
	for (uint32_t k = 0; k < arr->len; k++) {
		const char *name = mp_str(&arr->kids[k]);
		const struct name_value *cap = LOOKUP(cap_table, name);
		if (!cap)
			return failx(EINVAL, "caps: unknown capability \"%s\" in %s", name ? name : "?", key);
		*out |= 1ULL << cap->value;
	}
	return 0;
}

int op_caps_bounding(const mp *a, struct ctx *c)
{
	uint64_t keep;
	if (cap_mask(a, "keep", &keep))
		return FAILED;
	char buf[24];
	/* Drop first, ask later: dropping a capability the set no longer holds
	 * succeeds, so the read is needed only when a drop fails (no CAP_SETPCAP,
	 * or a number this kernel does not know), to skip what is not there as
	 * before. One prctl per capability instead of two. */
	for (int k = 0; k <= c->cap_last; k++) {
		if (k < 64 && (keep >> k & 1))
			continue;
		if (prctl(PR_CAPBSET_DROP, k, 0, 0, 0)) {
			int e = errno;
			if (prctl(PR_CAPBSET_READ, k, 0, 0, 0) != 1)
				continue;
			return fail(e, "drop %s from the bounding set", cap_name(k, buf));
		}
	}
	return DONE;
}

/* setgroups() is EPERM in a user namespace whose setgroups is "deny":
 * that is the planned state, not an error. */
static int setgroups_denied(void)
{
	char buf[8] = "";
	int fd = proc_open("self/setgroups", O_RDONLY);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	return n > 0 && !strncmp(buf, "deny", 4);
}

int op_user(const mp *a, struct ctx *c)
{
	(void)c;
	int64_t uid, gid, mask;
	const mp *extra = need_arr(a, "additionalGids");
	if (need_int(a, "uid", &uid) || need_int(a, "gid", &gid) || !extra)
		return FAILED;
	if (extra->len > 65536) /* NGROUPS_MAX; also bounds the array below */
		return failx(EINVAL, "user: too many additionalGids");
	gid_t gids[extra->len + 1];
	for (uint32_t k = 0; k < extra->len; k++) {
		int64_t g;
		if (mp_int(&extra->kids[k], &g))
			return failx(EINVAL, "user: additionalGids[%u] is not an integer", k);
		gids[k] = (gid_t)g;
	}
	/* Keep the permitted set across the uid change; the caps action sets it exactly. */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0))
		return fail(errno, "user: keep capabilities");
	/* Raw syscalls: glibc's set*id wrappers assume its own thread bookkeeping,
	 * which a clone3() child does not have. */
	if (syscall(SYS_setgroups, (size_t)extra->len, gids) && !(errno == EPERM && setgroups_denied()))
		return fail(errno, "user: setgroups");
	if (syscall(SYS_setresgid, (gid_t)gid, (gid_t)gid, (gid_t)gid))
		return fail(errno, "user: setresgid %lld", (long long)gid);
	if (syscall(SYS_setresuid, (uid_t)uid, (uid_t)uid, (uid_t)uid))
		return fail(errno, "user: setresuid %lld", (long long)uid);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0))
		return fail(errno, "user: clear keep capabilities");
	if (!mp_int(mp_get(a, "umask"), &mask))
		umask((mode_t)mask & 0777);
	return DONE;
}

int op_caps(const mp *a, struct ctx *c)
{
	(void)c;
	uint64_t eff, perm, inh, amb;
	if (cap_mask(a, "effective", &eff) || cap_mask(a, "permitted", &perm) ||
	    cap_mask(a, "inheritable", &inh) || cap_mask(a, "ambient", &amb))
		return FAILED;
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2] = {
		{(uint32_t)eff, (uint32_t)perm, (uint32_t)inh},
		{(uint32_t)(eff >> 32), (uint32_t)(perm >> 32), (uint32_t)(inh >> 32)},
	};
	if (syscall(SYS_capset, &h, d))
		return fail(errno, "capset");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0))
		return fail(errno, "clear ambient capabilities");
	char buf[24];
	for (int k = 0; k < 64; k++)
		if ((amb >> k & 1) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, k, 0, 0))
			return fail(errno, "raise ambient %s", cap_name(k, buf));
	return DONE;
}

int op_no_new_privs(const mp *a, struct ctx *c)
{
	(void)a, (void)c;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return fail(errno, "set no_new_privs");
	return DONE;
}
