/* planc delete [-f|--force] ID: take a stopped container apart (teardown.c);
 * --force stops one that is not, and an unknown id is then not an error
 * (runc exits 0). The delete is planned into the container's trail, recorded
 * action by action, then the poststop hooks run (for a crashed create: once
 * a hook ran), and the trail is closed (and signed). */
#include "teardown.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The container's directory, locked; false for --force on a container that does not exist. */
static bool locked_dir(struct cdir *d, struct root *root, const char *root_flag, const char *id, bool force)
{
	if (!root_open(root, root_flag) || !cdir_open(d, root, id)) {
		if (force)
			return false;
		fail(id, "container does not exist");
	}
	jmp_buf here, *saved = g_catch;
	g_catch = &here;
	if (setjmp(here) != 0) {
		g_catch = saved;
		/* The holder before us deleted it: not-found, which --force takes as done. */
		struct stat st;
		if (force && fstat(d->fd, &st) == 0 && st.st_nlink == 0)
			return false;
		fail(NULL, "%s", g_caught);
	}
	cdir_lock(d);
	g_catch = saved;
	return true;
}

int verb_delete(struct globals *g, char **args, int nargs)
{
	(void)nargs;
	const char *id = args[0];
	bool force = g->verb_flags[0] != NULL;
	check_id(id); /* an invalid id is an error even with --force: it names nothing planc could have made */
	const char *key_path = g->audit_sign_key ? g->audit_sign_key : getenv("PLANC_AUDIT_SIGN_KEY");
	void *key = key_path ? trail_load_key(key_path) : NULL;
	struct root root;
	struct cdir d;
	if (!locked_dir(&d, &root, g->root, id, force))
		return 0;
	struct record rec;
	bool has_rec = record_read(&d, &rec);
	/* Read before teardown removes it: the poststop hooks run once the container is gone. */
	bool hooked;
	mp *plan = plan_read(&d, !has_rec, &hooked);
	if (!has_rec && !force)
		fail(id, "container was never fully created; delete --force removes what it left");
	const char *status = has_rec ? STATUS_NAMES[status_of(&d, &rec)] : "creating";
	/* The spec: deleting a container that is not stopped MUST fail and leave it be — a created
	 * one too (runc deletes it; see docs/linux-fields.md). --force stops it first. */
	if (!force && strcmp(status, "stopped"))
		fail(NULL, "cannot delete container %s that is not stopped: %s", id, status);
	struct trail *trail = trail_open(&d);
	bool hooks_ran = has_rec || (trail && trail_has_hooks(trail));
	struct remains r;
	/* No record under the lock: a create that crashed. Clean up what its executor recorded making. */
	if (has_rec)
		remains_of_record(&rec, &r);
	else
		remains_of_crashed_create(&d, plan, &r);
	struct jbuf extra;
	jb_init(&extra);
	jb_obj_begin(&extra);
	jb_key(&extra, "status"), jb_str(&extra, status);
	jb_key(&extra, "force"), jb_bool(&extra, force);
	jb_obj_end(&extra);
	struct td_audit a = {
		.trail = trail,
		.extra = &extra,
		.sign_key = key,
		.poststop = hooks_ran && hooked,
		.plan = plan,
		.audit_log = has_rec ? mp_str(mp_get(rec.doc, "auditLog")) : NULL,
		.plan_digest = has_rec ? mp_str(mp_get(rec.doc, "planDigest")) : NULL,
	};
	teardown(&d, &r, TD_DELETE, &a);
	if (trail)
		trail_release(trail);
	return 0;
}

void teardown_with_trail(struct cdir *d, const struct remains *r, enum td_kind kind, const struct td_how *how)
{
	struct trail *volatile trail = NULL;
	if (how->best_effort) {
		/* A trail that cannot even be read back: the undo goes on unrecorded, the trail ends unclosed. */
		jmp_buf here, *saved = g_catch;
		g_catch = &here;
		if (setjmp(here) == 0)
			trail = trail_open(d);
		g_catch = saved;
	} else
		trail = trail_open(d);
	struct jbuf extra;
	jb_init(&extra);
	jb_obj_begin(&extra);
	if (how->reason)
		jb_key(&extra, "reason"), jb_str(&extra, how->reason);
	jb_obj_end(&extra);
	struct td_audit a = {
		.trail = trail,
		.best_effort = how->best_effort,
		.extra = &extra,
		.sign_key = how->key,
		/* Once a create-time hook ran, the spec goes on at step 12: destroyed, then poststop. */
		.poststop = how->hooked && (how->finished || (trail && trail_has_hooks(trail))),
		.plan = how->plan,
		.audit_log = how->audit_log,
		.plan_digest = how->digest,
	};
	teardown(d, r, kind, &a);
	if (trail)
		trail_release(trail);
}

/* planc teardown --kind undo|exit [--dir-fd N] [--remains JSON] [--reason MSG] [--best-effort] ID:
 * hidden (PLANC_FRONT_ONLY=1): the undo of a failed create
 * or start, the end of a foreground run. --dir-fd: the container's directory as the caller holds
 * it, locked (the lock is the open file's, so this process holds it too, and no other planc can
 * step in between). --remains: what the caller knows the create made, instead of the record
 * ({"pid","startTime","cgroups":[{"path","ino","made"}],"auditLog","planDigest","finished"}; finished:
 * the create finished, so the poststop hooks run whatever the trail holds). */
int verb_teardown(struct globals *g, char **args, int nargs)
{
	(void)nargs;
	const char *id = args[0], *kind_s = g->verb_flags[0], *fd_s = g->verb_flags[1], *remains_s = g->verb_flags[2],
		   *reason = g->verb_flags[3];
	bool best_effort = g->verb_flags[4] != NULL;
	enum td_kind kind;
	if (kind_s && !strcmp(kind_s, "undo"))
		kind = TD_UNDO;
	else if (kind_s && !strcmp(kind_s, "exit"))
		kind = TD_EXIT;
	else
		fail(NULL, "internal: teardown --kind must be undo or exit");
	check_id(id);
	const char *key_path = g->audit_sign_key ? g->audit_sign_key : getenv("PLANC_AUDIT_SIGN_KEY");
	void *key = key_path ? trail_load_key(key_path) : NULL;
	struct root root;
	struct cdir d;
	if (!root_open(&root, g->root) || !cdir_open(&d, &root, id))
		fail(id, "container does not exist");
	cdir_adopt(&d, fd_s, "teardown");
	cdir_lock(&d);
	/* What the caller knows is what it made (its record may hold a start time the init never had:
	 * one that exited before it was read); without it, the record, or what a crashed create left. */
	struct record rec;
	bool has_rec = !remains_s && record_read(&d, &rec);
	bool hooked;
	mp *plan = plan_read(&d, !has_rec && !remains_s, &hooked);
	struct remains r;
	const char *audit_log = has_rec ? mp_str(mp_get(rec.doc, "auditLog")) : NULL,
		   *digest = has_rec ? mp_str(mp_get(rec.doc, "planDigest")) : NULL;
	if (remains_s) {
		const char *err;
		mp *doc = json_parse(remains_s, strlen(remains_s), &err);
		const mp *pid = doc ? mp_get(doc, "pid") : NULL, *st = doc ? mp_get(doc, "startTime") : NULL,
			 *cgs = doc ? mp_get(doc, "cgroups") : NULL;
		if (!pid || pid->type != MP_INT || !st || st->type != MP_STR || !cgs || cgs->type != MP_ARR || cgs->len > 64)
			fail(NULL, "internal: teardown --remains is not what a create made");
		memset(&r, 0, sizeof r);
		r.pid = pid->i, r.start_time = st->s;
		for (uint32_t k = 0; k < cgs->len; k++) {
			const mp *path = mp_get(&cgs->kids[k], "path"), *ino = mp_get(&cgs->kids[k], "ino"), *made = mp_get(&cgs->kids[k], "made");
			if (!path || path->type != MP_STR || !ino || ino->type != MP_INT || ino->i < 1 || !made || made->type != MP_BOOL)
				fail(NULL, "internal: teardown --remains is not what a create made");
			r.cgroups[r.ncgroups++] = (struct cgroup){path->s, (uint64_t)ino->i, made->i != 0};
		}
		audit_log = mp_str(mp_get(doc, "auditLog"));
		digest = mp_str(mp_get(doc, "planDigest"));
		const mp *finished = mp_get(doc, "finished");
		has_rec = finished && finished->type == MP_BOOL && finished->i;
	} else if (has_rec)
		remains_of_record(&rec, &r);
	else
		remains_of_crashed_create(&d, plan, &r);
	teardown_with_trail(&d, &r, kind, &(struct td_how){reason, best_effort, key, plan, hooked, has_rec, audit_log, digest});
	return 0;
}
