/* Teardown (teardown.h): the facts gathered from the kernel, the small plan
 * made from them, each action applied and recorded, the poststop hooks, the
 * trail closed. Files and directories are removed with unlink and rmdir
 * through the state directory's fd (/proc/self/fd/N/name), as the gate
 * always reached them: the kernel resolves the name from the open
 * directory, never from a path someone could swap. */
#include "teardown.h"
#include "lifecycle.h"
#include "../../executor/native/hookrun.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>


static void sleep_ms(double ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)((ms - (time_t)(ms / 1000) * 1000) * 1e6)};
	nanosleep(&ts, NULL);
}

/* ---- the remains ---- */

void remains_of_record(const struct record *rec, struct remains *r)
{
	r->pid = rec->pid;
	r->start_time = rec->start_time;
	r->ncgroups = rec->ncgroups;
	memcpy(r->cgroups, rec->cgroups, sizeof rec->cgroups);
}

mp *plan_read(struct cdir *d, bool always, bool *hooked)
{
	size_t len;
	char *bytes = cdir_read(d, "plan.msgpack", (size_t)64 << 20, &len);
	*hooked = false;
	/* Op names are plain strings in msgpack: without "hook." anywhere there is no hook action,
	 * and a container with a record needs its plan for nothing else (most have no hooks). */
	if (!bytes || (!always && !memmem(bytes, len, "hook.", 5)))
		return NULL;
	mp *plan = calloc(1, sizeof *plan);
	const char *err;
	if (!plan || mp_parse((const uint8_t *)bytes, len, plan, &err) < 0)
		fail(NULL, "%s/plan.msgpack does not decode (%s); left alone", d->path, plan ? err : "out of memory");
	const mp *cid = mp_get(plan, "containerId"), *actions = mp_get(plan, "actions");
	if (!cid || cid->type != MP_STR || strcmp(cid->s, d->id) != 0 || !actions || actions->type != MP_ARR)
		fail(NULL, "%s/plan.msgpack is not a plan for %s; left alone", d->path, d->id);
	for (uint32_t k = 0; k < actions->len; k++) {
		const char *op = mp_str(mp_get(&actions->kids[k], "op"));
		if (op && !strncmp(op, "hook.", 5))
			*hooked = true;
	}
	return plan;
}

static const mp *plan_action(const mp *plan, int64_t i)
{
	const mp *actions = plan ? mp_get(plan, "actions") : NULL;
	return actions && actions->type == MP_ARR && i >= 0 && i < actions->len ? &actions->kids[i] : NULL;
}

bool group_of_record(const mp *plan, const mp *rec, struct cgroup *out)
{
	const char *op = mp_str(mp_get(rec, "op")), *res = mp_str(mp_get(rec, "r"));
	const mp *i = mp_get(rec, "i"), *ino = mp_get(rec, "ino"), *made = mp_get(rec, "made");
	if (!op || (strcmp(op, "cgroup.create") && strcmp(op, "resctrl.create")) || !res || strcmp(res, "ok") || !i || i->type != MP_INT)
		return false;
	const mp *a = plan_action(plan, i->i);
	const char *aop = a ? mp_str(mp_get(a, "op")) : NULL, *path = a ? mp_str(mp_get(a, "path")) : NULL;
	if (!aop || strcmp(aop, op) || !path)
		return false;
	if (!ino || ino->type != MP_INT || ino->i < 1 || ino->i > 9007199254740991LL || !made || made->type != MP_BOOL)
		return false;
	/* A resctrl group counts as made only when it is the container's own (the spec keeps a closID group). */
	const char *exists = mp_str(mp_get(a, "exists"));
	*out = (struct cgroup){path, (uint64_t)ino->i, made->i && (!strcmp(aop, "cgroup.create") || (exists && !strcmp(exists, "refuse")))};
	return true;
}

void remains_of_crashed_create(struct cdir *d, const mp *plan, struct remains *r)
{
	memset(r, 0, sizeof *r);
	r->start_time = "";
	struct trailref ref;
	char *text = plan && trailref_read(d, &ref) ? trail_text(&ref, NULL) : NULL;
	if (!text)
		return;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (!strstr(line, "\"cgroup.create\"") && !strstr(line, "\"resctrl.create\""))
			continue;
		const char *err;
		mp *rec = json_parse(line, strlen(line), &err);
		if (!rec) /* a line cut short by a crash: it recorded nothing usable */
			continue;
		struct cgroup c;
		if (!group_of_record(plan, rec, &c))
			continue;
		const char *path = c.path;
		bool seen = false;
		for (int k = 0; k < r->ncgroups; k++)
			seen = seen || !strcmp(r->cgroups[k].path, path);
		if (seen || r->ncgroups >= 64)
			continue;
		r->cgroups[r->ncgroups++] = c;
	}
}

/* ---- the trail ---- */

bool trail_has_hooks(struct trail *t)
{
	size_t len;
	char *text = trail_bytes(t, &len);
	bool yes = text && strstr(text, "\"op\":\"hook.") != NULL;
	free(text);
	return yes;
}

/* A trail write under best effort: a lost record ends the records there. */
#define RECORDED(a, call)                                                                                                    \
	do {                                                                                                                 \
		if (!(a)->trail || (a)->lost)                                                                                \
			break;                                                                                               \
		if (!(a)->best_effort) {                                                                                     \
			call;                                                                                                \
			break;                                                                                               \
		}                                                                                                            \
		jmp_buf here_, *saved_ = g_catch;                                                                            \
		g_catch = &here_;                                                                                            \
		if (setjmp(here_) == 0)                                                                                      \
			call;                                                                                                \
		else                                                                                                         \
			(a)->lost = true;                                                                                    \
		g_catch = saved_;                                                                                            \
	} while (0)

/* ---- the plan ---- */

enum op { OP_SIGNAL, OP_CGROUP_SIGNAL, OP_FREEZER, OP_CGROUP_KILL, OP_CGROUP_REMOVE, OP_STATE_REMOVE };
static const char *const OP_NAMES[] = {"signal", "cgroup.signal", "freezer", "cgroup.kill", "cgroup.remove", "state.remove"};

struct action {
	enum op op;
	const struct cgroup *cg; /* the cgroup ones */
};

/* The plan's JSON (schemas/lifecycle.schema.json), keys in the order the TypeScript planner wrote them. */
static void plan_json(struct jbuf *b, const char *kind, const char *why, const char *id, const struct action *acts, int n,
		      const struct remains *r, const char *state_dir)
{
	jb_obj_begin(b);
	jb_key(b, "planVersion"), jb_i64(b, 1);
	jb_key(b, "kind"), jb_str(b, kind);
	jb_key(b, "containerId"), jb_str(b, id);
	jb_key(b, "actions"), jb_arr_begin(b);
	for (int k = 0; k < n; k++) {
		const struct action *a = &acts[k];
		jb_obj_begin(b);
		jb_key(b, "op"), jb_str(b, OP_NAMES[a->op]);
		jb_key(b, "why"), jb_str(b, why);
		switch (a->op) {
		case OP_SIGNAL:
			jb_key(b, "pid"), jb_i64(b, r->pid);
			jb_key(b, "startTime"), jb_str(b, r->start_time);
			jb_key(b, "signal"), jb_i64(b, SIGKILL);
			jb_key(b, "name"), jb_str(b, "SIGKILL");
			break;
		case OP_CGROUP_SIGNAL:
			jb_key(b, "path"), jb_str(b, a->cg->path);
			jb_key(b, "ino"), jb_u64(b, a->cg->ino);
			jb_key(b, "signal"), jb_i64(b, SIGKILL);
			jb_key(b, "name"), jb_str(b, "SIGKILL");
			break;
		case OP_FREEZER:
			jb_key(b, "state"), jb_str(b, "THAWED");
			break;
		case OP_CGROUP_KILL:
		case OP_CGROUP_REMOVE:
			jb_key(b, "path"), jb_str(b, a->cg->path);
			jb_key(b, "ino"), jb_u64(b, a->cg->ino);
			break;
		case OP_STATE_REMOVE:
			jb_key(b, "path"), jb_str(b, state_dir);
			break;
		}
		jb_obj_end(b);
	}
	jb_arr_end(b);
	jb_obj_end(b);
}

/* ---- applying it ---- */

struct outcome {
	const char *r; /* "ok", "skipped"; NULL: failed, msg says why */
	struct jbuf extra;
	char msg[8448];
};

static void skipped(struct outcome *o, const char *why)
{
	o->r = "skipped";
	jb_key(&o->extra, "why"), jb_str(&o->extra, why);
}

/* Remove one cgroup directory; one whose last process just exited can be busy for a moment. false when it was gone. */
static bool remove_one(const char *path, char *err, size_t cap, bool *failed)
{
	for (int attempt = 0;; attempt++) {
		if (rmdir(path) == 0)
			return true;
		if (errno == ENOENT)
			return false;
		if (errno == EBUSY && attempt < 1000) {
			sleep_ms(1);
			continue;
		}
		snprintf(err, cap, "remove cgroup %s: %s", path, errno_words(errno));
		*failed = true;
		return false;
	}
}

/* Remove the state directory: its entries (files, the fifo, stray links — never followed), then
 * the directory itself, checking that the name in the root still is the directory we hold. */
static bool remove_state(struct cdir *d, char *err, size_t cap)
{
	int fd = openat(d->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	if (!dir) {
		snprintf(err, cap, "read %s: %s", d->path, errno_words(errno));
		return false;
	}
	char names[64][256];
	int n = 0;
	for (struct dirent *e; (e = readdir(dir));) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		struct stat st;
		if (fstatat(d->fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
			snprintf(err, cap, "%.4400s/%.255s is a directory planc did not make; state left in place", d->path, e->d_name);
			closedir(dir);
			return false;
		}
		if (n == 64) {
			snprintf(err, cap, "%s holds more files than planc keeps there; state left in place", d->path);
			closedir(dir);
			return false;
		}
		snprintf(names[n++], sizeof names[0], "%s", e->d_name);
	}
	closedir(dir);
	char path[512];
	for (int k = 0; k < n; k++) {
		snprintf(path, sizeof path, "/proc/self/fd/%d/%.255s", d->fd, names[k]);
		if (unlink(path) < 0 && errno != ENOENT) {
			snprintf(err, cap, "unlink %.4400s/%.255s: %.200s", d->path, names[k], errno_words(errno));
			return false;
		}
	}
	struct stat held, named;
	if (fstat(d->fd, &held) < 0) {
		snprintf(err, cap, "stat %s: %s", d->path, errno_words(errno));
		return false;
	}
	if (fstatat(d->root->fd, d->id, &named, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return true;
		snprintf(err, cap, "stat %s: %s", d->path, errno_words(errno));
		return false;
	}
	if (named.st_ino != held.st_ino || named.st_dev != held.st_dev) {
		snprintf(err, cap, "%s was replaced while planc held it; left alone", d->path);
		return false;
	}
	snprintf(path, sizeof path, "/proc/self/fd/%d/%s", d->root->fd, d->id);
	if (rmdir(path) < 0) {
		snprintf(err, cap, "rmdir %s: %s", d->path, errno_words(errno));
		return false;
	}
	return true;
}

/* ---- poststop ---- */

/* Append to the caller's --audit-log in one write: created if missing, never through a symlink, a regular file or a character device. */
static void append_caller_log(const char *file, const char *text, size_t len)
{
	int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd < 0)
		fail(NULL, "--audit-log %s: %s", file,
		     errno == ELOOP ? "it is a symbolic link; planc does not write through one" : errno_words(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)))
		fail(NULL, "--audit-log %s: not a regular file", file);
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			fail(NULL, "--audit-log %s: %s", file, errno_words(errno));
		off += (size_t)w;
	}
	close(fd);
}

/* The poststop hooks, in order, each recorded as it ends, before the next; a failure is a warning (runtime.md step 13). */
static void run_poststop(struct cdir *d, struct td_audit *a)
{
	const mp *actions = a->plan ? mp_get(a->plan, "actions") : NULL;
	for (uint32_t i = 0; actions && actions->type == MP_ARR && i < actions->len; i++) {
		const mp *act = &actions->kids[i];
		const char *stage = mp_str(mp_get(act, "stage")), *op = mp_str(mp_get(act, "op"));
		if (!stage || strcmp(stage, "delete") || !op)
			continue;
		struct jbuf rec;
		char msg[HOOK_OUTPUT_KEPT + 4600];
		int err = 0;
		volatile bool ok = hook_action_run(act, (int)i, -1, &rec, msg, sizeof msg, &err);
		RECORDED(a, trail_append(a->trail, &rec));
		if (a->audit_log) {
			struct jbuf line;
			jb_init(&line);
			jb_raw(&line, "{\"container\":", 13);
			jb_quoted(&line, d->id);
			jb_raw(&line, ",\"planDigest\":", 14);
			jb_quoted(&line, a->plan_digest ? a->plan_digest : "");
			jb_raw(&line, ",", 1);
			jb_raw(&line, rec.p + 1, rec.len - 1);
			jb_raw(&line, "\n", 1);
			append_caller_log(a->audit_log, line.p, line.len);
			free(line.p);
		}
		free(rec.p);
		if (!ok)
			warn("%s", msg);
	}
}

/* ---- teardown ---- */

/* SIGKILL what is in a cgroup tree until it is empty: without a pid namespace the init's death
 * does not take the rest with it. A killed process leaves its cgroup within a millisecond or
 * two: poll finely, for up to 2 s. How many were killed. */
static long empty_cgroup(const char *path)
{
	long killed = 0;
	for (int round = 0; round < 2000; round++) {
		size_t np;
		int *left = tree_pids(path, &np);
		for (size_t j = 0; j < np; j++)
			killed += send_signal(left[j], SIGKILL);
		free(left);
		if (np == 0)
			break;
		sleep_ms(1);
	}
	return killed;
}

/* A shared helper that fails (send_signal on EPERM and the like): its message, as the action's error. */
#define CAUGHT(o, call)                                                                                                      \
	do {                                                                                                                 \
		jmp_buf here_, *saved_ = g_catch;                                                                            \
		g_catch = &here_;                                                                                            \
		if (setjmp(here_) == 0)                                                                                      \
			call;                                                                                                \
		else {                                                                                                       \
			snprintf((o)->msg, sizeof (o)->msg, "%s", g_caught);                                                 \
			(o)->r = NULL;                                                                                       \
		}                                                                                                            \
		g_catch = saved_;                                                                                            \
	} while (0)

void teardown(struct cdir *d, const struct remains *r, enum td_kind kind, struct td_audit *a)
{
	static const char *const KINDS[] = {"delete", "undo", "exit"};
	static const char *const WHYS[] = {"runtime:delete", "runtime:undo", "runtime:run"};
	/* The facts, as for kill (lifecycle.c): the remains stand in for the record. */
	static struct record rec;
	memset(&rec, 0, sizeof rec);
	rec.pid = r->pid, rec.start_time = r->start_time, rec.ncgroups = r->ncgroups;
	memcpy(rec.cgroups, r->cgroups, sizeof rec.cgroups);
	static struct facts f;
	facts_of(&f, &rec);

	/* SIGKILL the init; for a paused container kill everything first, then thaw, so no
	 * process of it runs a single instruction more (a frozen process dies only once
	 * thawed); empty and remove the cgroups planc made; remove the state directory. */
	struct action acts[4 * 64 + 3];
	int n = 0;
	if (f.init_ours)
		acts[n++] = (struct action){OP_SIGNAL, NULL};
	if (f.paused) {
		for (int k = 0; k < f.nlive; k++)
			if (f.live[k].made)
				acts[n++] = (struct action){OP_CGROUP_SIGNAL, &f.live[k]};
		acts[n++] = (struct action){OP_FREEZER, NULL};
	}
	for (int k = 0; k < f.nlive; k++)
		if (f.live[k].made)
			acts[n++] = (struct action){OP_CGROUP_KILL, &f.live[k]};
	for (int k = 0; k < f.nlive; k++)
		if (f.live[k].made)
			acts[n++] = (struct action){OP_CGROUP_REMOVE, &f.live[k]};
	acts[n++] = (struct action){OP_STATE_REMOVE, NULL};

	struct jbuf plan;
	jb_init(&plan);
	plan_json(&plan, KINDS[kind], WHYS[kind], d->id, acts, n, r, d->path);
	static long of = -1;
	RECORDED(a, of = trail_begin_plan(a->trail, plan.p, a->extra));

	for (volatile int k = 0; k < n; k++) {
		static struct outcome o;
		o.r = "ok";
		o.msg[0] = 0;
		jb_init(&o.extra);
		jb_obj_begin(&o.extra);
		const struct cgroup *cg = acts[k].cg;
		switch (acts[k].op) {
		case OP_SIGNAL: {
			static bool sent;
			sent = false;
			if (alive(r->pid, r->start_time))
				CAUGHT(&o, sent = send_signal((long)r->pid, SIGKILL));
			if (o.r && !sent)
				skipped(&o, "the init is gone");
			break;
		}
		case OP_CGROUP_SIGNAL: {
			static long sent;
			CAUGHT(&o, sent = signal_cgroup(cg->path, cg->ino, SIGKILL));
			if (o.r && sent < 0)
				skipped(&o, "no longer the cgroup planc made");
			else if (o.r)
				jb_key(&o.extra, "signalled"), jb_i64(&o.extra, sent);
			break;
		}
		case OP_FREEZER:
			if (!set_freezer(&f, false, o.msg, sizeof o.msg))
				o.r = NULL;
			break;
		case OP_CGROUP_KILL: {
			if (!cgroup_still_owned(cg)) {
				skipped(&o, "no longer the cgroup planc made");
				break;
			}
			static long killed;
			CAUGHT(&o, killed = empty_cgroup(cg->path));
			if (o.r)
				jb_key(&o.extra, "killed"), jb_i64(&o.extra, killed);
			break;
		}
		case OP_CGROUP_REMOVE: {
			if (!cgroup_still_owned(cg)) {
				skipped(&o, "no longer the cgroup planc made");
				break;
			}
			/* Its sub-cgroups first (exec --cgroup makes processes live in them). */
			struct cgroup_tree t;
			cgroup_tree_of(&t, cg->path);
			bool failed = false, removed = false;
			for (size_t j = 0; j + 1 < t.n && !failed; j++)
				remove_one(t.dirs[j], o.msg, sizeof o.msg, &failed);
			if (!failed)
				removed = remove_one(cg->path, o.msg, sizeof o.msg, &failed);
			cgroup_tree_free(&t);
			if (failed)
				o.r = NULL;
			else if (!removed)
				skipped(&o, "already gone");
			break;
		}
		case OP_STATE_REMOVE:
			if (!remove_state(d, o.msg, sizeof o.msg))
				o.r = NULL;
			break;
		}
		if (!o.r) {
			struct jbuf e;
			jb_init(&e);
			jb_obj_begin(&e);
			jb_key(&e, "msg"), jb_str(&e, o.msg);
			jb_obj_end(&e);
			RECORDED(a, trail_record(a->trail, of, k, OP_NAMES[acts[k].op], "error", &e));
			fail(NULL, "%s", o.msg);
		}
		jb_obj_end(&o.extra);
		RECORDED(a, trail_record(a->trail, of, k, OP_NAMES[acts[k].op], o.r, &o.extra));
		free(o.extra.p);
	}
	/* What runs once the container is gone (poststop hooks) is recorded before the trail is closed. */
	if (a->poststop)
		run_poststop(d, a);
	RECORDED(a, trail_close(a->trail, a->sign_key));
}

/* ---- a create's or a run's container ---- */

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
