/* `planc create ID` and `planc run [-d] ID` without Node: the plan made by the
 * embedded engine (engine/engine.h: the CLI's own planning code, run by QuickJS
 * compiled to C), then applied by apply.c exactly as when the CLI plans and
 * hands over. Whatever the engine cannot plan as the CLI would — an error of any
 * kind, a rootless planc — goes to the CLI whole (hand_off), which plans or
 * reports it as it always did: the front never has words of its own for a bad
 * bundle. */
#include "front.h"
#include "apply.h"
#include "engine.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The order of CREATE_FLAGS / RUN_FLAGS in front.c. */
enum { F_BUNDLE, F_PID_FILE, F_PRESERVE_FDS, F_CONSOLE_SOCKET, F_NO_PIVOT, F_NO_NEW_KEYRING, F_AUDIT_LOG, F_DETACH };

static int create_or_run(struct globals *g, const char *id, int mode)
{
	const char *const *f = g->verb_flags;
	/* The gate's rule first, as every verb that names a container (the CLI's words on failure). */
	check_id(id);
	struct engine_request rq = {
		.bundle = f[F_BUNDLE],
		.id = id,
		.root = g->root,
		.no_pivot = f[F_NO_PIVOT] != NULL,
		.systemd_cgroup = g->systemd_cgroup,
		.mode = mode == APPLY_CREATE ? ENGINE_CREATE : mode == APPLY_RUN ? ENGINE_RUN : ENGINE_RUN_DETACHED,
		.console_socket = f[F_CONSOLE_SOCKET],
	};
	struct engine_result rs;
	if (engine_plan_create(&rq, &rs) != 0)
		hand_off();
	/* The values front.c let through for --preserve-fds are plain decimals of at most 4 digits. */
	struct apply_request ap = {
		.mode = mode,
		.plan = rs.plan,
		.plan_len = rs.plan_len,
		.extras = rs.extras,
		.id = id,
		.root = g->root,
		.pid_file = f[F_PID_FILE] && *f[F_PID_FILE] ? f[F_PID_FILE] : NULL,
		.preserve_fds = f[F_PRESERVE_FDS] ? atoi(f[F_PRESERVE_FDS]) : 0,
		.audit_log = f[F_AUDIT_LOG] && *f[F_AUDIT_LOG] ? f[F_AUDIT_LOG] : NULL,
		.audit_dir = g->audit_dir,
		.audit_sign_key = g->audit_sign_key,
	};
	apply_plan(&ap);
}

int verb_create(struct globals *g, char **args, int nargs)
{
	(void)nargs;
	return create_or_run(g, args[0], APPLY_CREATE);
}

int verb_run(struct globals *g, char **args, int nargs)
{
	(void)nargs;
	return create_or_run(g, args[0], g->verb_flags[F_DETACH] ? APPLY_RUN_DETACHED : APPLY_RUN);
}
