/* Credentials: bounding set, user and groups, capability sets. */
#include "planc.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *const cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
	"CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
	"CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};
#define NCAPS (int)(sizeof cap_names / sizeof *cap_names)

static int cap_num(const char *name)
{
	for (int k = 0; name && k < NCAPS; k++)
		if (!strcmp(name, cap_names[k]))
			return k;
	return -1;
}

static int cap_mask(const mp *a, const char *key, uint64_t *out)
{
	const mp *arr = need_arr(a, key);
	*out = 0;
	if (!arr)
		return -1;
	for (uint32_t k = 0; k < arr->len; k++) {
		const char *name = mp_str(&arr->kids[k]);
		int n = cap_num(name);
		if (n < 0)
			return failx(EINVAL, "caps: unknown capability \"%s\" in %s", name ? name : "?", key);
		*out |= 1ULL << n;
	}
	return 0;
}

int op_caps_bounding(const mp *a, struct ctx *c)
{
	uint64_t keep;
	if (cap_mask(a, "keep", &keep))
		return FAILED;
	for (int k = 0; k <= c->cap_last; k++) {
		if ((k < 64 && (keep >> k & 1)) || prctl(PR_CAPBSET_READ, k, 0, 0, 0) != 1)
			continue;
		if (prctl(PR_CAPBSET_DROP, k, 0, 0, 0))
			return fail(errno, "drop %s from the bounding set", k < NCAPS ? cap_names[k] : "capability");
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
	for (int k = 0; k < NCAPS; k++)
		if ((amb >> k & 1) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, k, 0, 0))
			return fail(errno, "raise ambient %s", cap_names[k]);
	return DONE;
}

int op_no_new_privs(const mp *a, struct ctx *c)
{
	(void)a, (void)c;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return fail(errno, "set no_new_privs");
	return DONE;
}
