/* Hooks (runtime-spec config.md "POSIX-platform Hooks"): the executor runs
 * four of the six, each from the process that is in the namespaces the spec
 * names (planner/hooks.ts has the whole table):
 *   hook.prestart, hook.create-runtime    P, in the runtime's namespaces, while
 *                                         C waits after its mounts (parent stage)
 *   hook.create-container                 C, in the container's namespaces, before
 *                                         pivot_root, working directory the rootfs
 *   hook.start-container                  C, after `start` released it, before execve
 * The hook gets the state JSON of the action (plus the container's pid as the
 * hook's pid namespace sees it) on stdin, exactly its argv and environment,
 * its stdout and stderr in a pipe (kept for the error message, never mixed
 * into the container's stdio), and no other fd. It runs in its own process
 * group, so a timeout kills whatever it started too. */
#include "planc.h"
#include "hookrun.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum where { RUNTIME, CONTAINER_BEFORE_PIVOT, CONTAINER };

/* Runs the hook of action a (hookrun.c); DONE when it exited 0 in time. */
static int run_hook(const mp *a, struct ctx *c, const char *kind, enum where w, long pid)
{
	const char *path = need_str(a, "path");
	char **args = need_strv(a, "args"), **env = need_strv(a, "env");
	int64_t timeout = 0;
	int rc = FAILED;
	char *state = NULL;
	if (!path || !args || !env)
		goto out;
	if (!args[0] || path[0] != '/') {
		rc = failx(EINVAL, "%s hook: plan: needs an absolute path and a non-empty argv", kind);
		goto out;
	}
	if (mp_get(a, "timeout") && (need_int(a, "timeout", &timeout) || timeout < 1 || timeout > 86400 * 365)) {
		rc = failx(EINVAL, "%s hook %s: plan: bad timeout", kind, path);
		goto out;
	}
	state = hook_state_json(mp_get(a, "state"), pid);
	if (!state) {
		rc = failx(EINVAL, "%s hook %s: plan: the state is missing or not a map of strings", kind, path);
		goto out;
	}
	/* As runc: createContainer hooks start in the rootfs, still reached by the host's path. */
	struct hook_spec h = {path, args, env, timeout, state, w == CONTAINER_BEFORE_PIVOT ? c->rootfd : -1};
	struct hook_outcome o;
	if (hook_run(&h, &o) == 0)
		rc = DONE;
	else if (o.call)
		rc = fail(o.err, "%s hook %s: %s", kind, path, o.call);
	else
		rc = failx(o.err, "%s hook %s: %s", kind, path, o.what);
out:
	free(state);
	free(args);
	free(env);
	return rc;
}

/* P: the runtime's namespaces, and the init's pid as the runtime sees it. */
static int runtime_hook(const mp *a, struct ctx *c, const char *kind)
{
	if (c->child <= 0)
		return failx(EINVAL, "%s hook: plan: applied before the clone", kind);
	if (ns_return_to_runtime())
		return FAILED;
	return run_hook(a, c, kind, RUNTIME, (long)c->child);
}

int op_hook_prestart(const mp *a, struct ctx *c)
{
	return runtime_hook(a, c, "prestart");
}

int op_hook_create_runtime(const mp *a, struct ctx *c)
{
	return runtime_hook(a, c, "createRuntime");
}

/* C: the container's namespaces, and its own pid as the container sees it. */
int op_hook_create_container(const mp *a, struct ctx *c)
{
	return run_hook(a, c, "createContainer", CONTAINER_BEFORE_PIVOT, (long)getpid());
}

int op_hook_start_container(const mp *a, struct ctx *c)
{
	return run_hook(a, c, "startContainer", CONTAINER, (long)getpid());
}
