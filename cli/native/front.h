/* planc's native front: the hot verbs served without starting Node.
 *
 * The `planc` command is this program. It serves exactly the argument shapes
 * it fully understands — the lifecycle verbs engines call many times per
 * container — and hands every other command line, unchanged, to the oclif CLI
 * (node bin/planc.cjs). Each verb it serves has this one implementation: the
 * TypeScript side calls it (cli/native-front.ts) rather than keeping a twin.
 *
 * Its rules are the gate's (cli/state/gate.ts, docs/security.md): an id is
 * checked before any filesystem access, --root and each state directory are
 * opened without following a symlink and checked (owner, mode), every state
 * file is reached relative to its directory's fd, and whatever is read back
 * is checked before it is acted on. */
#ifndef PLANC_FRONT_H
#define PLANC_FRONT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../../executor/native/msgpack.h"

/* ---- report.c: the one way an error leaves the front (as cli/report.ts) ---- */
struct logto {
	const char *file;   /* --log */
	const char *format; /* --log-format: "text" (default) or "json" */
};
extern struct logto g_log;
#include <setjmp.h>
/* When set, fail() jumps here (the message in g_caught) instead of reporting: list skips a container it cannot read. */
extern jmp_buf *g_catch;
extern char g_caught[8448];
/* The status fail() exits with: 1, but for an exec whose command could not be run (the shell's 127 and 126). */
extern int g_fail_status;
/* One line "planc: [where: ]message" on stderr and one record in --log; exit g_fail_status (1). */
_Noreturn void fail(const char *where, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A hostile string for a message: JSON-quoted, cut at 64 characters (gate.ts quote). */
const char *quote(const char *s);
/* The kernel's words for errno, as Node's messages say them ("no such file or directory"). */
const char *errno_words(int e);

/* ---- json.c: JSON in (into the executor's mp tree) and out ---- */
/* Parse a whole JSON document; NULL and *err set when it is not valid JSON. */
mp *json_parse(const char *text, size_t len, const char **err);
struct jbuf {
	char *p;
	size_t len, cap;
	int depth;
	bool first[64];
	bool after_key; /* the next value is a key's: no comma before it */
};
void jb_init(struct jbuf *b);
void jb_raw(struct jbuf *b, const char *s, size_t n);
void jb_obj_begin(struct jbuf *b);
void jb_obj_end(struct jbuf *b);
void jb_arr_begin(struct jbuf *b);
void jb_arr_end(struct jbuf *b);
void jb_key(struct jbuf *b, const char *k);
void jb_str(struct jbuf *b, const char *s);
void jb_i64(struct jbuf *b, int64_t v);
void jb_u64(struct jbuf *b, uint64_t v);
void jb_bool(struct jbuf *b, bool v);
void jb_null(struct jbuf *b);
/* A number already written as JSON text: digits of a value wider than 64 bits, a formatted double. */
void jb_num(struct jbuf *b, const char *text);
/* A JS number (a double) as JSON.stringify writes it: 3, 1.5, 1e+21; null for NaN and the infinities. */
void jb_double(struct jbuf *b, double v);
/* The same text, for a caller that needs it as a string (`${n}` in JS, for a finite n). */
#define JB_DOUBLE_MAX 40
void jb_format_double(double v, char out[JB_DOUBLE_MAX]);
/* JSON.stringify(value, null, 2) of a compact document made with the jb_* calls. */
char *json_indent(const char *compact);
/* The string as JSON.stringify writes it, appended to b. */
void jb_quoted(struct jbuf *b, const char *s);

/* ---- gate.c: --root, ids, state directories ---- */
#define DEFAULT_ROOT "/run/planc"
/* The id rule; fails with gate.ts's words. */
void check_id(const char *id);
bool id_shaped(const char *name);
struct root {
	char path[4096];
	int fd;
};
/* path.resolve: absolute against the working directory, "." and ".." folded. */
void path_resolve(const char *in, char *out, size_t cap);
/* Open --root; false when it does not exist. */
bool root_open(struct root *r, const char *flag);
/* The same for another directory planc keeps (the audit store): `what` names it in messages ("--audit-dir"). */
bool root_open_as(struct root *r, const char *flag, const char *what);
/* The same, made (0700, missing parents too) when it does not exist: a create's --root and audit store. */
bool root_open_make(struct root *r, const char *flag, const char *what);
struct cdir {
	struct root *root;
	const char *id;
	char path[4352];
	int fd;
};
/* Claim an id for a new container (gate.ts ContainerDir.claim had it): made under a private name, locked, then renamed
 * into place without replacing; false when the id is taken. Returns with the lock held. */
bool cdir_claim(struct cdir *d, struct root *r, const char *id);
/* Open a container's directory; false when there is none (ENOENT). */
bool cdir_open(struct cdir *d, struct root *r, const char *id);
/* The directory of a container a verb names: the id checked first, then --root and the directory opened;
 * "container does not exist" when either is missing. `root` holds the open root for as long as `d` is used. */
void cdir_open_existing(struct cdir *d, struct root *root, const char *root_flag, const char *id);
/* The container's lock (flock, up to 10 s), as ContainerDir.lock. */
void cdir_lock(struct cdir *d);
/* A regular file's bytes (NUL-terminated), or NULL when it does not exist. */
char *cdir_read(struct cdir *d, const char *name, size_t max, size_t *len);
bool cdir_has(struct cdir *d, const char *name);
/* Replace a file atomically: an O_EXCL temp file (".<name>.<12 hex>.tmp") written whole, then renamed over the name. */
void cdir_write(struct cdir *d, const char *name, const char *data, size_t len);
/* Remove a file; a missing one is no error. */
void cdir_unlink(struct cdir *d, const char *name);

/* ---- record.c: state.json, checked against the record schema's rules ---- */
struct cgroup {
	const char *path;
	uint64_t ino;
	bool made;
};
struct record {
	mp *doc;
	const char *oci_version, *id, *bundle, *rootfs, *created, *owner, *start_time;
	int64_t pid;
	const mp *annotations; /* a map of strings, or NULL */
	struct cgroup cgroups[64];
	int ncgroups;
};
/* The record, or false when there is none; fails on one planc did not write. */
bool record_read(struct cdir *d, struct record *rec);
/* A container that must exist and have a record (not one still being created): its directory (locked first
 * when `lock`, so the record read is the one acted on) and its record. */
void container_open(struct cdir *d, struct root *root, const char *root_flag, const char *id, bool lock, struct record *rec);

/* ---- trailref.c: where a container's audit trail is ---- */
struct trailref {
	char dir[4096];
	const char *id;
	long seq;
};
/* The state directory's audit.json, checked; false when there is none. */
bool trailref_read(struct cdir *d, struct trailref *ref);
/* The trail's text as it is now, or NULL when the store or the trail is gone. */
char *trail_text(const struct trailref *ref, size_t *len);

/* ---- status.c ---- */
/* A small file's text (at most cap-1 bytes), trailing newline and spaces trimmed; NULL when it cannot be read.
 * `path` relative to `dirfd` (AT_FDCWD: an absolute path), never through a symlink at its last component. */
char *read_small_at(int dirfd, const char *path, char *buf, size_t cap);
/* The whole of an open regular file, from offset 0 (pread: the file offset is left alone), NUL-terminated, with
 * `slack` more bytes allocated after it. NULL with errno set: EFBIG when larger than `max`, ENOMEM, or a read's. */
char *read_whole_fd(int fd, size_t max, size_t slack, size_t *len);
enum status { ST_CREATED, ST_RUNNING, ST_PAUSED, ST_STOPPED };
extern const char *const STATUS_NAMES[];
/* Field 22 of /proc/<pid>/stat (its start time, in clock ticks since boot) and its state letter; false when there
 * is no such process. */
bool proc_stat(int64_t pid, char *start, size_t cap, char *state);
bool alive(int64_t pid, const char *start_time);
bool cgroup_still_owned(const struct cgroup *c);
bool is_paused(const struct record *rec);
enum status status_of(struct cdir *d, const struct record *rec);
/* The OCI state JSON of whatever is in the directory (compact); fails not-found for nothing there. */
void state_json(struct jbuf *out, struct cdir *d);

/* ---- stats.c: a container's cgroup statistics (events --stats) ---- */
/* A whole file, NUL-terminated (malloc'd); NULL when it cannot be read. Runs out of memory: fails. Text files only. */
char *read_file(const char *path);
/* The stats object (runc 1.1's types.Stats JSON: the "data" of a stats event) of the container's cgroups, as
 * recorded; only those still owned are read. */
void stats_json(struct jbuf *b, const struct cgroup *cgroups, int n);

/* ---- poststart.c: the hooks planc runs itself after the release ---- */
/* Run the hook of plan action i (pid: the init's, or < 0 once stopped): its record (the fields) in *record;
 * false when it failed, with the message and errno. */
bool hook_action_run(const mp *a, int i, long pid, struct jbuf *record, char *msg, size_t cap, int *err);
/* The poststart hooks (stage "start"); a failure stops the container, destroys it, runs poststop, and fails
 * (config: the config file its message names first, or NULL). */
void poststart(struct cdir *d, struct record *rec, const mp *plan, const char *config);
/* A start whose init failed (a startContainer hook, the exec): destroyed, poststop run, failed with the init's reason. */
_Noreturn void failed_start(struct cdir *d, struct record *rec, const mp *plan);

/* ---- the verbs ---- */
struct globals {
	const char *root;
	bool debug;
	/* The verb's flag values in the order of its flag table (NULL: not given; "true": a switch given). */
	const char *const *verb_flags;
	const char *audit_sign_key; /* --audit-sign-key (NULL: not given) */
	const char *audit_dir;      /* --audit-dir (NULL: not given) */
	bool systemd_cgroup;        /* --systemd-cgroup */
	/* The values of the verb's repeatable flags ("=*" in its table) in command-line order, each with the index of its
	 * flag in the verb's table. */
	const char *const *many;
	const int *many_of;
	int nmany;
	/* A variadic verb's command (exec ID cmd…): the arguments after its first positional one, as given. */
	char *const *rest;
	int nrest;
};
int verb_state(struct globals *g, char **argv, int argc);
int verb_list(struct globals *g, char **argv, int argc);
int verb_delete(struct globals *g, char **argv, int argc);
int verb_kill(struct globals *g, char **argv, int argc);
int verb_pause(struct globals *g, char **argv, int argc);
int verb_resume(struct globals *g, char **argv, int argc);
int verb_ps(struct globals *g, char **argv, int argc);
int verb_events(struct globals *g, char **argv, int argc);

int verb_start(struct globals *g, char **argv, int argc);
/* create.c: planned by the embedded engine, applied by apply.c; anything else the CLI's. */
int verb_create(struct globals *g, char **argv, int argc);
int verb_run(struct globals *g, char **argv, int argc);
/* exec.c: planned by the embedded engine from what the gate read, applied by apply.c; anything else the CLI's. */
int verb_exec(struct globals *g, char **argv, int argc);
/* Not a shape the front serves: the CLI (node bin/planc.cjs) gets the command line as it came. */
_Noreturn void hand_off(void);
/* Internal: a plan applied (cli/native/apply.c), for the CLI that planned it. */
int verb_apply(struct globals *g, char **argv, int argc);
#endif
