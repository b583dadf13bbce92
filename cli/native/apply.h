/* Applying a plan: everything `planc create`, `planc run --detach`, a
 * foreground `planc run` and `planc exec` do once the plan exists
 * (cli/native/apply.c). The planner hands over the plan bytes; for a create
 * this claims the state directory, starts the trail, runs the executor
 * (executor/PROTOCOL.md), saves the record or undoes what was made, and for a
 * foreground run waits for the container and takes it apart. For an exec it
 * takes over the state directory the CLI holds locked, begins the exec's
 * trail, runs the executor and, in the foreground, waits for the process. */
#ifndef PLANC_APPLY_H
#define PLANC_APPLY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum apply_mode { APPLY_CREATE, APPLY_RUN, APPLY_RUN_DETACHED, APPLY_EXEC };

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
	/* exec only: */
	int dir_fd;         /* the container's state directory, open and flock-locked by the CLI that planned */
	bool paused;        /* the container is paused (exec --ignore-paused): its lock is let go while the exec waits */
	const char *config; /* the file a "process.json:" pointer is in (exec -p), as the CLI named it; NULL: the config */
};

/* Exits with planc's status: 0 for a create or a detached exec, the container's (process's) status for a foreground run
 * (exec), 1 with one error line (126 or 127 for an exec whose command could not be run). */
_Noreturn void apply_plan(const struct apply_request *rq);
#endif
