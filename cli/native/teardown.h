/* Taking a container apart, the one implementation: `planc delete`, and,
 * for apply.c, the undo of a failed create and the end of a foreground `run`,
 * and for start.c a failed `start`.
 *
 * It touches only what is still provably the container's: the init (same
 * pid and start time, inside one of the container's cgroups) and the
 * cgroups the executor made (same path and inode, on cgroupfs); a joined
 * cgroup is never emptied or removed. The small plan (schemas/
 * lifecycle.schema.json) goes into the container's trail whole before its
 * first action, each action gets its record before the next runs, then the
 * poststop hooks run (each recorded), then the trail is closed and signed. */
#ifndef PLANC_TEARDOWN_H
#define PLANC_TEARDOWN_H
#include "front.h"
#include "trail.h"

enum td_kind { TD_DELETE, TD_UNDO, TD_EXIT };

/* What teardown needs to know of a container; a create that failed half-way has only part of a record. */
struct remains {
	int64_t pid;            /* 0: none */
	const char *start_time; /* "" with no init */
	struct cgroup cgroups[64];
	int ncgroups;
};

struct td_audit {
	struct trail *trail; /* NULL: nothing is recorded (no trail reference) */
	/* An undo of a failed create goes on when its records cannot be written (what the
	 * executor made must not be left behind for want of a record): the first lost record
	 * ends the trail there, unclosed. Every other use stops at it (fail closed). */
	bool best_effort;
	bool lost;
	const struct jbuf *extra; /* fields for the plan's line (delete: the status it had and --force) */
	void *sign_key;           /* sign the closing record (--audit-sign-key) */
	/* The poststop hooks, run once the container is gone and recorded before the trail is closed. */
	bool poststop;
	const mp *plan;          /* the container's plan (its hooks), or NULL */
	const char *audit_log;   /* the record's --audit-log: the hooks' records are copied there too */
	const char *plan_digest; /* and tagged with this */
};

/* The remains in a record. */
void remains_of_record(const struct record *rec, struct remains *r);
/* The cgroup (or resctrl group) an executor's cgroup.create or resctrl.create record (a report line or a trail line)
 * stands for, if it is well-formed and matches the plan's action; a resctrl group counts as made only when it is the
 * container's own (the spec keeps a group named by closID, even one planc made). */
bool group_of_record(const mp *plan, const mp *rec, struct cgroup *out);
/* What a create that never finished left (no state.json): the cgroups its executor
 * recorded in the trail, checked against the stored plan. */
void remains_of_crashed_create(struct cdir *d, const mp *plan, struct remains *r);
/* The container's plan.msgpack decoded, when it has hook actions (*hooked) or `always`; else, or when there is none, NULL. */
mp *plan_read(struct cdir *d, bool always, bool *hooked);
/* Does the trail hold a record of a hook (a create got that far)? */
bool trail_has_hooks(struct trail *t);
/* Take it apart (the caller holds the directory's lock). Fails (fail()) at the first action that fails, once it is recorded. */
void teardown(struct cdir *d, const struct remains *r, enum td_kind kind, struct td_audit *a);
/* A teardown of a create's or a run's container (the undo of a failed create, the end of a foreground run, the
 * internal verb): the trail opened (under best effort, a trail that cannot be read is no reason to leave the
 * container), the poststop hooks run once a hook ran (`finished`: the create finished, so one did). */
struct td_how {
	const char *reason; /* the plan line's "reason", or NULL */
	bool best_effort;
	void *key;
	const mp *plan; /* the container's plan when it has hooks (plan_read), else NULL */
	bool hooked, finished;
	const char *audit_log, *digest;
};
void teardown_with_trail(struct cdir *d, const struct remains *r, enum td_kind kind, const struct td_how *how);
#endif
