/* What the front's lifecycle verbs share: the facts a small plan is made
 * from, signals, the freezer, and applying a plan with a record per action
 * (cli/native/lifecycle.c). */
#ifndef PLANC_LIFECYCLE_H
#define PLANC_LIFECYCLE_H
#include "trail.h"

/* The facts a small plan is made from (planner/lifecycle.ts had them): is the init still the container's, which
 * cgroups are still the ones the executor made or joined, is it paused. */
struct facts {
	const struct record *rec;
	bool init_ours;
	struct cgroup live[64];
	int nlive;
	bool paused;
};
void facts_of(struct facts *f, const struct record *rec);
/* The container's host pids (the cgroups it made, and its init), ascending; *n of them. */
int *container_pids(const struct facts *f, size_t *n);

/* Signal a process: false when it is gone. Never the host's init or ourselves. */
bool send_signal(long pid, int sig);
/* A cgroup and every cgroup below it, deepest first (the order they can be removed in). */
struct cgroup_tree {
	char **dirs;
	size_t n, cap;
};
void cgroup_tree_of(struct cgroup_tree *t, const char *top);
void cgroup_tree_free(struct cgroup_tree *t);
/* The pids of a cgroup and every cgroup below it. */
int *tree_pids(const char *dir, size_t *n);
/* Signal every process of an owned cgroup tree: how many, or -1 when it is no longer the one planc made. */
long signal_cgroup(const char *path, uint64_t ino, int sig);

/* Freeze or thaw the container's freezer cgroup and wait until the kernel says it is so; a freeze that does not
 * complete is undone. Fails (unsupported) when the container has no freezer. `err` set instead of failing when given. */
bool set_freezer(const struct facts *f, bool frozen, char *err, size_t cap);

/* A signal's number from runc's forms (a number, a name or SIG-name, any case); -1 when none. */
int signal_number(const char *s);
/* Node's name for a signal ("SIGKILL"), or "signal N". */
const char *signal_name(int sig, char *buf, size_t cap);

/* A small plan applied with a record per action (docs/audit.md): begin() writes the plan line, then each
 * action's outcome is recorded before the next action runs. */
struct applying {
	struct trail *trail; /* NULL: the container has no trail */
	long of;
};
void plan_begin(struct applying *a, struct trail *t, const char *plan_json, const struct jbuf *extra);
/* r: "ok", "skipped" (why given) or "error" (msg given); extra: more fields, or NULL. */
void plan_record(struct applying *a, int i, const char *op, const char *r, const char *why, const struct jbuf *extra);
/* Records appended to a record's --audit-log (the caller's file: no symlink followed, a regular file or a device). */
void append_audit_log(const char *path, const char *text, size_t len);
/* The trail's records since `from` copied to the record's --audit-log (cli/state/audit-export.ts). */
void export_audit(struct cdir *d, struct record *rec);
#endif
