/* Recursive mount attributes (the rro, rnosuid, rnoatime, ... mount options):
 * one mount_setattr(AT_RECURSIVE) on the target and every mount below it.
 * The target is an O_PATH fd resolved in the container root, as for every
 * other mount (AT_FD in planc.h). */
#include "planc.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

/* The bit of a plan MountAttr: tables.generated.c, from schemas/tables.ts MOUNT_ATTR_TABLE. */
static int attr_bit(const char *name, __u64 *out)
{
	const struct name_value *v = by_name(mount_attr_table, N_MOUNT_ATTRS, name);
	return v ? (*out |= v->value, 0) : -1;
}

static int attr_list(const mp *a, const char *key, const char *target, __u64 *out)
{
	const mp *arr = need_arr(a, key);
	if (!arr)
		return -1;
	for (uint32_t k = 0; k < arr->len; k++)
		if (attr_bit(mp_str(&arr->kids[k]), out))
			return failx(EINVAL, "mount attributes of \"%s\": unknown attribute \"%s\"", target,
				     mp_str(&arr->kids[k]) ? mp_str(&arr->kids[k]) : "?");
	return 0;
}

int op_mount_setattr(const mp *a, struct ctx *c)
{
	const char *target = need_str(a, "target"), *atime = mp_str(mp_get(a, "atime"));
	struct mount_attr at = {0};
	if (!target || attr_list(a, "set", target, &at.attr_set) || attr_list(a, "clear", target, &at.attr_clr))
		return FAILED;
	if (atime) {
		/* The access-time mode is a value in a 3-bit field: the kernel takes a
		 * new one only with the whole field cleared in the same call. */
		at.attr_clr |= MOUNT_ATTR__ATIME;
		if (!strcmp(atime, "noatime"))
			at.attr_set |= MOUNT_ATTR_NOATIME;
		else if (!strcmp(atime, "strictatime"))
			at.attr_set |= MOUNT_ATTR_STRICTATIME;
		else if (strcmp(atime, "relatime"))
			return failx(EINVAL, "mount attributes of \"%s\": unknown access-time mode \"%s\"", target, atime);
	}
	int t = path_resolve(c, target, MK_NONE);
	if (t < 0)
		return fail(errno, "set mount attributes of \"%s\" and below", target);
	int rc = mount_setattr(AT_FD(t), AT_EMPTY_PATH | AT_RECURSIVE, &at, sizeof at), e = errno;
	close(t);
	if (rc && e == EPERM)
		/* In a user namespace, flags a more privileged mount below carries are locked. */
		return fail(e, "set mount attributes of \"%s\" and below (a mount below may be locked by a more privileged namespace)", target);
	return rc ? fail(e, "set mount attributes of \"%s\" and below", target) : DONE;
}
