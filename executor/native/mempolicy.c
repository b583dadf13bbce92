/* The NUMA memory policy of the container process: set_mempolicy(2) on the
 * init, which keeps it across execve; its children inherit it. */
#include "planc.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The planner's bound on node numbers (CONFIG_NODES_SHIFT is at most 10). */
#define MAX_NODES 1024
#define BITS (8 * sizeof(unsigned long))

int op_mempolicy_set(const mp *a, struct ctx *c)
{
	(void)c;
	const char *mode = need_str(a, "mode");
	const mp *nodes = need_arr(a, "nodes"), *flags = need_arr(a, "flags");
	unsigned long mask[MAX_NODES / BITS] = {0};
	char list[256] = "";
	size_t n = 0;
	int m = -1, fl = 0;
	if (!mode || !nodes || !flags)
		return FAILED;
	/* Names → numbers: tables.generated.c, from schemas/tables.ts. */
	const struct name_value *mv = by_name(mpol_mode_table, N_MPOL_MODES, mode);
	if (!mv)
		return failx(EINVAL, "set_mempolicy: unknown mode \"%s\"", mode);
	m = (int)mv->value;
	for (uint32_t k = 0; k < flags->len; k++) {
		const char *f = mp_str(&flags->kids[k]);
		const struct name_value *fv = by_name(mpol_flag_table, N_MPOL_FLAGS, f);
		if (!fv)
			return failx(EINVAL, "set_mempolicy: unknown flag \"%s\"", f ? f : "?");
		fl |= (int)fv->value;
	}
	for (uint32_t k = 0; k < nodes->len; k++) {
		int64_t node;
		if (mp_int(&nodes->kids[k], &node) || node < 0 || node >= MAX_NODES)
			return failx(EINVAL, "set_mempolicy: node numbers must be integers from 0 to %d", MAX_NODES - 1);
		mask[node / BITS] |= 1UL << (node % BITS);
		int w = snprintf(list + n, sizeof list - n, "%s%lld", k ? "," : "", (long long)node);
		if (w > 0 && (size_t)w < sizeof list - n)
			n += w;
	}
	/* maxnode counts one more bit than the mask holds: the kernel has always read maxnode - 1. */
	long rc = syscall(SYS_set_mempolicy, m | fl, nodes->len ? mask : NULL, nodes->len ? MAX_NODES + 1 : 0);
	if (!rc)
		return DONE;
	int e = errno;
	return failx(e, "set_mempolicy %s%s%s: %s%s", mode, n ? " on nodes " : "", list, err_words(e),
		     e == EINVAL && nodes->len ? " (are those nodes online on this host? see /sys/devices/system/node/online)" : "");
}
