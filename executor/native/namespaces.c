/* Namespaces joined by P before the clone, or unshared by C after it. */
#include "planc.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

/* The CLONE_* flag of a namespace type (0: unknown). */
int ns_flag(const char *name)
{
	const struct ns_entry *ns = ns_by_type(name);
	return ns ? (int)ns->flag : 0;
}

int op_ns_join(const mp *a, struct ctx *c)
{
	(void)c;
	const char *ns = need_str(a, "ns"), *path = need_str(a, "path");
	if (!ns || !path)
		return FAILED;
	int flag = ns_flag(ns);
	if (!flag)
		return failx(EINVAL, "join namespace \"%s\": unknown type", ns);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(errno, "join %s namespace \"%s\": open", ns, path);
	/* The type is passed so a path naming another kind of namespace fails. */
	int rc = setns(fd, flag), e = errno;
	close(fd);
	return rc ? fail(e, "join %s namespace \"%s\"", ns, path) : DONE;
}

int op_ns_unshare(const mp *a, struct ctx *c)
{
	(void)c;
	const char *ns = need_str(a, "ns");
	if (!ns)
		return FAILED;
	int flag = ns_flag(ns);
	if (!flag)
		return failx(EINVAL, "unshare namespace \"%s\": unknown type", ns);
	return unshare(flag) ? fail(errno, "unshare %s namespace", ns) : DONE;
}
