/* CPU and I/O scheduling of the container process: set on the init, which
 * keeps both across execve (and its children inherit them). Applied while the
 * init still holds its privileges, before the user switch. */
#include "planc.h"
#include <errno.h>
#include <stdio.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* struct sched_attr of sched_setattr(2), SCHED_ATTR_SIZE_VER1; glibc does not declare it. */
struct sched_attr_v1 {
	uint32_t size, sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime, sched_deadline, sched_period;
	uint32_t sched_util_min, sched_util_max;
};

#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6 /* linux/sched.h; the table's number is checked against it */
#endif

/* Names → numbers come from tables.generated.c (schemas/tables.ts). */
static int lookup(const char *name, const struct name_value *t, size_t n, long *out)
{
	const struct name_value *v = by_name(t, n, name);
	return v ? (*out = (long)v->value, 0) : -1;
}

static int u64_field(const mp *a, const char *key, uint64_t *out)
{
	const char *s = need_str(a, key);
	char *end;
	if (!s)
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno || !*s || *end || *s == '-')
		return failx(EINVAL, "sched_setattr: %s \"%s\" is not an unsigned 64-bit integer", key, s);
	return 0;
}

/* Why the kernel said EPERM or EBUSY, in the words of what the config can change. */
static const char *sched_hint(int err, long policy, int64_t nice)
{
	if (err == EPERM && (policy == SCHED_FIFO || policy == SCHED_RR))
		return " (a real-time policy needs CAP_SYS_NICE in the host's user namespace or a high enough "
		       "RLIMIT_RTPRIO, and, where the kernel has CONFIG_RT_GROUP_SCHED, real-time runtime in the "
		       "container's cpu cgroup: linux.resources.cpu.realtimeRuntime)";
	if (err == EPERM && policy == SCHED_DEADLINE)
		return " (SCHED_DEADLINE needs CAP_SYS_NICE in the host's user namespace and a CPU affinity that "
		       "spans every CPU of its scheduling domain)";
	if (err == EBUSY && policy == SCHED_DEADLINE)
		return " (the deadline bandwidth left on this host is smaller than runtime/period)";
	if (err == EPERM && nice < 0)
		return " (a negative nice value needs CAP_SYS_NICE in the host's user namespace or RLIMIT_NICE)";
	return "";
}

int op_sched_setattr(const mp *a, struct ctx *c)
{
	(void)c;
	const char *policy = need_str(a, "policy");
	const mp *flags = need_arr(a, "flags");
	struct sched_attr_v1 at = {.size = sizeof at};
	int64_t nice, prio;
	long v;
	if (!policy || !flags || need_int(a, "nice", &nice) || need_int(a, "priority", &prio) ||
	    u64_field(a, "runtime", &at.sched_runtime) || u64_field(a, "deadline", &at.sched_deadline) ||
	    u64_field(a, "period", &at.sched_period))
		return FAILED;
	if (lookup(policy, sched_policy_table, N_SCHED_POLICIES, &v))
		return failx(EINVAL, "sched_setattr: unknown policy \"%s\"", policy);
	at.sched_policy = v;
	for (uint32_t k = 0; k < flags->len; k++) {
		if (lookup(mp_str(&flags->kids[k]), sched_flag_table, N_SCHED_FLAGS, &v))
			return failx(EINVAL, "sched_setattr: unknown flag \"%s\"", mp_str(&flags->kids[k]) ? mp_str(&flags->kids[k]) : "?");
		at.sched_flags |= v;
	}
	if (nice < -20 || nice > 19 || prio < 0 || prio > 99)
		return failx(EINVAL, "sched_setattr: nice %lld or priority %lld out of range", (long long)nice, (long long)prio);
	at.sched_nice = nice;
	at.sched_priority = prio;
	if (!syscall(SYS_sched_setattr, 0, &at, 0))
		return DONE;
	int e = errno;
	char what[64] = "";
	if (at.sched_policy == SCHED_FIFO || at.sched_policy == SCHED_RR)
		snprintf(what, sizeof what, " priority %lld", (long long)prio);
	else if (at.sched_policy == SCHED_OTHER || at.sched_policy == SCHED_BATCH)
		snprintf(what, sizeof what, " nice %lld", (long long)nice);
	return failx(e, "sched_setattr %s%s: %s%s", policy, what, err_words(e), sched_hint(e, at.sched_policy, nice));
}

/* include/uapi/linux/ioprio.h (not included: it is not in every libc's headers) */
#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_CLASS_SHIFT 13

int op_ioprio_set(const mp *a, struct ctx *c)
{
	(void)c;
	const char *cls = need_str(a, "class");
	int64_t level;
	long v;
	if (!cls || need_int(a, "priority", &level))
		return FAILED;
	if (lookup(cls, ioprio_class_table, N_IOPRIO_CLASSES, &v) || level < 0 || level > 7)
		return failx(EINVAL, "ioprio_set: unknown class \"%s\" or priority %lld out of 0-7", cls, (long long)level);
	if (!syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, (int)(v << IOPRIO_CLASS_SHIFT | level)))
		return DONE;
	int e = errno;
	return failx(e, "ioprio_set %s priority %lld: %s%s", cls, (long long)level, err_words(e),
		     e == EPERM && v == 1 ? " (the real-time I/O class needs CAP_SYS_NICE or CAP_SYS_ADMIN in the host's user namespace)" : "");
}
