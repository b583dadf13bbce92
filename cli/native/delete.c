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
