/* `planc exec ID cmd…` and `planc exec -p process.json ID` without Node. The
 * container's state directory is opened through the gate and locked, as the
 * CLI's execInContainer does, and held until the process runs; its record,
 * status and stored plan are read here, and the exec is planned from them by
 * the embedded engine (engine/engine.h: the CLI's own exec planning,
 * cli/exec-inputs.ts), then applied by apply.c exactly as when the CLI plans
 * and hands over. Whatever is not the plain case — a record that cannot be
 * read, a stopped container, any planning error, a preserved fd that is not
 * open — goes to the CLI whole (hand_off), which reports it as it always did:
 * the front has no words of its own for a bad exec. */
#include "front.h"
#include "apply.h"
#include "engine.h"
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

/* The order of EXEC_FLAGS in front.c. */
enum { E_PROCESS, E_DETACH, E_PID_FILE, E_TTY, E_CONSOLE_SOCKET, E_CWD, E_ENV, E_USER, E_GIDS, E_CAP, E_NO_NEW_PRIVS, E_PRESERVE_FDS, E_CGROUP, E_IGNORE_PAUSED };

/* A plan.msgpack larger than this is not one planc wrote: the CLI says so. */
#define MAX_STORED_PLAN (64u << 20)

static void flag_str(struct jbuf *b, const char *name, const char *value)
{
	if (value)
		jb_key(b, name), jb_str(b, value);
}

static void flag_bool(struct jbuf *b, const char *name, const char *value)
{
	if (value)
		jb_key(b, name), jb_bool(b, true);
}

/* A repeatable flag's values in order, as the CLI's parser gives them (absent: not given). */
static void flag_list(struct jbuf *b, const struct globals *g, const char *name, int flag)
{
	if (!g->verb_flags[flag])
		return;
	jb_key(b, name), jb_arr_begin(b);
	for (int m = 0; m < g->nmany; m++)
		if (g->many_of[m] == flag)
			jb_str(b, g->many[m]);
	jb_arr_end(b);
}

/* The request entry.ts reads as an ExecRequest (engine_plan_exec adds the working directory, euid and arch). */
static char *exec_request(const struct globals *g, const struct cdir *d, const struct record *rec, enum status st)
{
	const char *const *f = g->verb_flags;
	struct jbuf b;
	jb_init(&b);
	jb_obj_begin(&b);
	jb_key(&b, "verb"), jb_str(&b, "exec");
	jb_key(&b, "id"), jb_str(&b, d->id);
	jb_key(&b, "path"), jb_str(&b, d->path);
	jb_key(&b, "status"), jb_str(&b, STATUS_NAMES[st]);
	jb_key(&b, "pid"), jb_i64(&b, rec->pid);
	jb_key(&b, "startTime"), jb_str(&b, rec->start_time);
	jb_key(&b, "cgroups"), jb_arr_begin(&b);
	for (int k = 0; k < rec->ncgroups; k++) {
		jb_obj_begin(&b);
		jb_key(&b, "path"), jb_str(&b, rec->cgroups[k].path);
		jb_key(&b, "ino"), jb_u64(&b, rec->cgroups[k].ino);
		jb_obj_end(&b);
	}
	jb_arr_end(&b);
	jb_key(&b, "flags"), jb_obj_begin(&b);
	flag_str(&b, "process", f[E_PROCESS]);
	flag_bool(&b, "detach", f[E_DETACH]);
	flag_bool(&b, "tty", f[E_TTY]);
	flag_str(&b, "console-socket", f[E_CONSOLE_SOCKET]);
	flag_str(&b, "cwd", f[E_CWD]);
	flag_list(&b, g, "env", E_ENV);
	flag_str(&b, "user", f[E_USER]);
	flag_list(&b, g, "additional-gids", E_GIDS);
	flag_list(&b, g, "cap", E_CAP);
	flag_bool(&b, "no-new-privs", f[E_NO_NEW_PRIVS]);
	flag_list(&b, g, "cgroup", E_CGROUP);
	flag_bool(&b, "ignore-paused", f[E_IGNORE_PAUSED]);
	jb_obj_end(&b);
	jb_key(&b, "args"), jb_arr_begin(&b);
	for (int k = 0; k < g->nrest; k++)
		jb_str(&b, g->rest[k]);
	jb_arr_end(&b);
	jb_obj_end(&b);
	return b.p;
}

int verb_exec(struct globals *g, char **args, int nargs)
{
	(void)nargs;
	const char *const *f = g->verb_flags;
	const char *id = args[0];
	/* The values front.c let through for --preserve-fds are plain decimals of at most 4 digits. */
	int preserve = f[E_PRESERVE_FDS] ? atoi(f[E_PRESERVE_FDS]) : 0;
	/* Fds 3 … 3+K-1 are the caller's, for the process. One that is not open would be taken by the first fd opened
	 * below and handed to the process: the CLI reports it instead, in its order. */
	for (int fd = 3; fd < 3 + preserve; fd++)
		if (fcntl(fd, F_GETFD) < 0)
			hand_off();
	/* The gate's rules and words, as every verb that names a container; the lock held from here until the process
	 * runs (apply.c takes the directory over), so no delete comes between the plan and the exec. */
	struct root root;
	struct cdir d;
	cdir_open_existing(&d, &root, g->root, id);
	cdir_lock(&d);
	/* The record and the status; a record planc cannot read, or none yet, is the CLI's to report. */
	jmp_buf unread;
	g_catch = &unread;
	if (setjmp(unread) != 0)
		hand_off();
	struct record rec;
	if (!record_read(&d, &rec) || !rec.start_time)
		hand_off();
	enum status st = status_of(&d, &rec);
	size_t stored_len = 0;
	char *stored = cdir_read(&d, "plan.msgpack", MAX_STORED_PLAN, &stored_len);
	g_catch = NULL;
	char *request = exec_request(g, &d, &rec, st);
	struct engine_result rs;
	if (engine_plan_exec(request, (const uint8_t *)stored, stored_len, &rs) != 0)
		hand_off();
	free(request);
	free(stored);
	/* {"configPath":"…"}: the file a pointer in the plan's errors is in. */
	const char *err;
	mp *extras = json_parse(rs.extras, strlen(rs.extras), &err);
	const char *config = extras ? mp_str(mp_get(extras, "configPath")) : NULL;
	if (!config)
		hand_off();
	struct apply_request ap = {
		.mode = APPLY_EXEC,
		.plan = rs.plan,
		.plan_len = rs.plan_len,
		.id = id,
		.root = g->root,
		.pid_file = f[E_PID_FILE] && *f[E_PID_FILE] ? f[E_PID_FILE] : NULL,
		.preserve_fds = preserve,
		.audit_dir = g->audit_dir,
		.audit_sign_key = g->audit_sign_key,
		.dir_fd = d.fd,
		.paused = st == ST_PAUSED,
		.config = config,
	};
	apply_plan(&ap);
}
