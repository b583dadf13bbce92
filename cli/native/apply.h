/* Applying a plan: everything `planc create`, `planc run --detach` and a
 * foreground `planc run` do once the plan exists (cli/native/apply.c). The
 * planner hands over the plan bytes; this claims the state directory, starts
 * the trail, runs the executor (executor/PROTOCOL.md), saves the record or
 * undoes what was made, and for a foreground run waits for the container and
 * takes it apart. */
#ifndef PLANC_APPLY_H
#define PLANC_APPLY_H
#include <stddef.h>
#include <stdint.h>

enum apply_mode { APPLY_CREATE, APPLY_RUN, APPLY_RUN_DETACHED };

struct apply_request {
	int mode; /* enum apply_mode */
	const uint8_t *plan;
	size_t plan_len;
	/* JSON object {"annotations"?:{…},"resources"?:{…}}: the config's, as the record keeps them (NULL: none).
	 * The values are copied into state.json as they are written here. */
	const char *extras;
	const char *id;
	const char *root;     /* --root (never NULL) */
	const char *pid_file; /* NULL: none */
	int preserve_fds;
	const char *audit_log;      /* NULL: none */
	const char *audit_dir;      /* NULL: PLANC_AUDIT_DIR, else the default */
	const char *audit_sign_key; /* NULL: PLANC_AUDIT_SIGN_KEY, else unsigned */
};

/* Exits with planc's status: 0 for a create, the container's status for a foreground run, 1 with one error line. */
_Noreturn void apply_plan(const struct apply_request *rq);
#endif
