/* planc pause ID / planc resume ID: the cgroup freezer, one way, planned and recorded in the container's trail. */
#include "lifecycle.h"
#include <stdio.h>
#include <string.h>

static int freezer_verb(struct globals *g, const char *id, bool frozen)
{
	struct root root;
	struct cdir d;
	struct record rec;
	container_open(&d, &root, g->root, id, true, &rec); /* locked: no other verb thaws meanwhile */
	enum status st = status_of(&d, &rec);
	/* runc's words (engines match on them), with the status that made it so. */
	if (frozen && st != ST_RUNNING && st != ST_CREATED)
		fail(id, "container not running: it is %s", STATUS_NAMES[st]);
	if (!frozen && st != ST_PAUSED)
		fail(id, "container not paused: it is %s", STATUS_NAMES[st]);
	struct trail *trail = trail_open(&d);
	struct facts f;
	facts_of(&f, &rec);
	const char *kind = frozen ? "pause" : "resume";
	struct jbuf p;
	jb_init(&p);
	jb_obj_begin(&p);
	jb_key(&p, "planVersion"), jb_i64(&p, 1);
	jb_key(&p, "kind"), jb_str(&p, kind);
	jb_key(&p, "containerId"), jb_str(&p, id);
	jb_key(&p, "actions"), jb_arr_begin(&p);
	jb_obj_begin(&p);
	jb_key(&p, "op"), jb_str(&p, "freezer");
	char why[32];
	snprintf(why, sizeof why, "runtime:%s", kind);
	jb_key(&p, "why"), jb_str(&p, why);
	jb_key(&p, "state"), jb_str(&p, frozen ? "FROZEN" : "THAWED");
	jb_obj_end(&p);
	jb_arr_end(&p);
	jb_obj_end(&p);
	struct applying a;
	plan_begin(&a, trail, p.p, NULL);
	char err[512];
	if (!set_freezer(&f, frozen, err, sizeof err)) {
		plan_record(&a, 0, "freezer", "error", err, NULL);
		fail(NULL, "%s", err);
	}
	plan_record(&a, 0, "freezer", "ok", NULL, NULL);
	if (trail)
		trail_flush(trail);
	return 0;
}

int verb_pause(struct globals *g, char **args, int nargs)
{
	(void)nargs;
	return freezer_verb(g, args[0], true);
}

int verb_resume(struct globals *g, char **args, int nargs)
{
	(void)nargs;
	return freezer_verb(g, args[0], false);
}
