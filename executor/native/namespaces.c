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

/* The runtime's own namespaces of each type P joins, kept from before the
 * join: hooks that must run in the runtime's namespaces (prestart,
 * createRuntime) go back to them. */
static int runtime_ns[N_NAMESPACES];
static int runtime_saved[N_NAMESPACES];

static int save_runtime(const struct ns_entry *ns)
{
	int k = (int)(ns - ns_table);
	if (runtime_saved[k])
		return 0;
	int fd = proc_link("self/ns", ns->proc, O_RDONLY);
	if (fd < 0)
		return fail(errno, "join %s namespace: keep the runtime's own (/proc/self/ns/%s)", ns->type, ns->proc);
	runtime_ns[k] = fd;
	runtime_saved[k] = 1;
	return 0;
}

int ns_return_to_runtime(void)
{
	for (int k = 0; k < N_NAMESPACES; k++) {
		if (!runtime_saved[k])
			continue;
		/* Back into the runtime's user namespace would need privilege over it,
		 * which joining a namespace it owns gave up (the planner refuses this). */
		if (ns_table[k].flag == CLONE_NEWUSER)
			return failx(EPERM, "cannot return to the runtime's user namespace after joining another");
	}
	for (int k = 0; k < N_NAMESPACES; k++) {
		if (!runtime_saved[k])
			continue;
		/* pid and time: for the children P starts from now on, the hooks. */
		if (setns(runtime_ns[k], (int)ns_table[k].flag))
			return fail(errno, "return to the runtime's %s namespace", ns_table[k].type);
		close(runtime_ns[k]);
		runtime_saved[k] = 0;
	}
	return 0;
}

/* C: no handle on the runtime's namespaces (they are close-on-exec too). */
void ns_forget_runtime(void)
{
	for (int k = 0; k < N_NAMESPACES; k++)
		if (runtime_saved[k]) {
			close(runtime_ns[k]);
			runtime_saved[k] = 0;
		}
}

int op_ns_join(const mp *a, struct ctx *c)
{
	(void)c;
	const char *ns = need_str(a, "ns"), *path = need_str(a, "path");
	if (!ns || !path)
		return FAILED;
	const struct ns_entry *t = ns_by_type(ns);
	if (!t)
		return failx(EINVAL, "join namespace \"%s\": unknown type", ns);
	int flag = (int)t->flag;
	if (save_runtime(t))
		return FAILED;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(errno, "join %s namespace \"%s\": open", ns, path);
	/* netdev.move takes interfaces from the runtime's network namespace, which P is about to leave. */
	if (flag == CLONE_NEWNET)
		netdev_note_runtime_ns();
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
