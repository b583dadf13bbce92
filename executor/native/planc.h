#ifndef PLANC_H
#define PLANC_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <sys/types.h>
#include "msgpack.h"

/* Outcome of one action handler (PENDING: an exec about to happen, confirmed
 * or failed by a later record). */
enum { FAILED = -1, DONE = 0, SKIPPED = 1, PENDING = 2 };

/* Longest record line: one write() to the report pipe never interleaves. */
#define PIPE_BUF_LINE 4096

/* The head of the audit chain: sha256 of the last line, and the next line's number. */
struct chain {
	uint8_t h[32];
	uint32_t n;
};

struct ctx {
	int rootfd;        /* where container paths resolve: the rootfs bind before the pivot, "/" after */
	int fifofd;        /* exec fifo, opened O_PATH while its host path is still reachable */
	pid_t child;       /* P: the container init once cloned; C: 0 */
	int go[2];         /* P -> C: the parent actions C waits for are applied, continue */
	int ready[2];      /* C -> P: the parent action C waits at, or ready; EOF if C died first */
	int preserve;      /* --preserve-fds N: fds 3..3+N-1 reach the container */
	int userns;        /* C was cloned into a new user namespace */
	int waits;         /* P stays C's parent and exits with its status (clone parent "executor") */
	int cap_last;      /* highest capability this kernel knows */
	char *exec_path;   /* exec.check's resolution of the executable, used by exec */
	int status;        /* C: where the exec's outcome goes once the report pipe is closed
			    * (the ready pipe, or the exec fifo after `start`): PROTOCOL.md */
	int has_wait;      /* the plan waits for `start` (execfifo.wait) */
	int agent;         /* seccomp.connect: the connection to the seccomp agent (listenerPath), or -1 */
	/* exec.c, tty.c */
	int pidfd;         /* exec: the container init's pidfd (ns.enter), for cgroupns.enter */
	int console;       /* the socket the pty master is sent over (console.socket, C's end of console.relay) */
	int relay;         /* P's end of console.relay: P receives the master and relays */
	int ncg;           /* membership files kept by cgroup.create (cgroup.open), written by the init's cgroup.join (cgroup.attach) */
	struct {
		char *path;
		int fd;
	} cg[64];
};

typedef int handler(const mp *a, struct ctx *c);

/* The op table and the kernel's names for capabilities, rlimits, namespaces and
 * mount flags: generated from schemas/ (scripts/gen-tables.mjs), shared with
 * the planner. Never edit them here. */
#include "tables.generated.h"

/* tables.c: lookups in them; NULL when the name is not there. */
const struct name_value *by_name(const struct name_value *t, size_t n, const char *name);
const char *name_of(const struct name_value *t, size_t n, unsigned long value);
#define LOOKUP(table, name) by_name(table, sizeof table / sizeof *table, name)
#define NAME_OF(table, value) name_of(table, sizeof table / sizeof *table, value)
const struct op_entry *op_by_name(const char *name);
const struct ns_entry *ns_by_type(const char *type);

/* report.c: every handler ends in DONE, skip() or fail()/failx(). A record
 * that cannot be written makes report_result() return -1: the run stops. */
extern int report_fd, audit_fd;
int fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int failx(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int skip(const char *why);
void report_begin(int i, const char *op, const char *stage);
int report_result(int rc) __attribute__((warn_unused_result));
int report_confirmed(int i, const char *op, const char *stage) __attribute__((warn_unused_result));
int audit_failed(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int audit_error(void);
const char *audit_message(void);
size_t json_string(char *out, size_t cap, const char *s);
void report_line(const char *json);
void report_field(const char *key, long long v);
void report_flag(const char *key, int v);
void report_close(void);
const char *report_msg(void);
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* audit.c: the chained trail */
int audit_write(const char *line, size_t len);
int audit_header(const uint8_t *plan, size_t len, const char *id, uint32_t actions);
int audit_sync(void);
int chain_resync(void);
void chain_get(struct chain *out);
void chain_set(const struct chain *in);
void chain_open(char *buf, size_t cap);
void chain_close(char out[80]);

/* main.c: required plan fields; a missing one fails the action. */
const char *need_str(const mp *a, const char *key);
int need_int(const mp *a, const char *key, int64_t *out);
const mp *need_arr(const mp *a, const char *key);
char **need_strv(const mp *a, const char *key);

/* paths.c */
enum { MK_NONE, MK_DIR, MK_FILE };
int path_resolve(struct ctx *c, const char *path, int mk);
int path_parent(struct ctx *c, const char *path, char base[256]);
int expect_fs(int fd, const char *fs);
int proc_init(void);
int proc_handle(void);
void proc_close(void);
int proc_open(const char *path, int flags);
int proc_open_own(const char *path, int flags);
int proc_link(const char *dir, const char *name, int flags);
int write_all(int fd, const char *s, size_t n);
int write_file(const char *path, const char *s, int (*opener)(const char *, int));

/* An O_PATH fd as the (dirfd, path) pair of the fd-based mount calls
 * (open_tree, move_mount, mount_setattr, fspick), always passed with their
 * EMPTY_PATH flag: the kernel takes the fd itself and resolves no path, so
 * nothing in the container's mount tree can redirect a mount. */
#ifndef PLANC_WEAKEN_PROC
#define AT_FD(fd) (fd), ""
#define AT_FD_MOVE 0
#else
/* Test-only regression (build/test/planc-exec-weak-proc, escapes.test.ts):
 * the fd named by a /proc/self/fd/N string, resolved in the mount namespace
 * as it is at the time of the call, as mount(2) needed. */
struct fdp { char s[32]; };
struct fdp fdp(int fd);
#define AT_FD(fd) AT_FDCWD, fdp(fd).s
#define AT_FD_MOVE MOVE_MOUNT_T_SYMLINKS /* move_mount follows no final link by default */
#endif

/* mounts.c */
int mount_bind(int src, int dst, int rec);

/* namespaces.c */
int ns_flag(const char *name);
int ns_return_to_runtime(void);
void ns_forget_runtime(void);

/* cgroups.c */
int on_cgroupfs(int fd);
int cgroup_entry_keep(struct ctx *c, const char *path, int dir);
int cgroup_enter(struct ctx *c, const char *path, const char *what);

/* exec.c, tty.c */
void exec_after_clone(struct ctx *c);
int console_relay(struct ctx *c, pid_t pid, int *raw);

/* wt-procfields helpers */
void held_close_all(void);         /* idmap-mounts.c: P drops its copies of detached mounts after the clone */
void netdev_note_runtime_ns(void); /* netdev.c: before P joins another network namespace */
int report_index(void);            /* report.c: the plan index of the action being applied */
const char *err_words(int err);    /* report.c: strerror() in lower case, for messages that go on after it */
int copy_up(int from, int to);     /* copyup.c: tmpcopyup, the entries of directory from into the detached tmpfs to */

void reexec_sealed(char **argv, char **envp);
void send_ready(struct ctx *c);
void exec_status(struct ctx *c, char what, const struct chain *ch, int err);
/* process.c: the sync pipes (P releases C, C asks P for later parent actions, C
 * is ready). Each message carries the head of the audit chain: the process
 * that goes on writes records continues it. */
#define SYNC_READY (-1)
#define SYNC_GONE (-2)
int sync_wait(struct ctx *c);
int sync_ask(struct ctx *c, uint32_t i);
int sync_go(struct ctx *c);
int64_t sync_next(struct ctx *c);
int userns_root(void);

#endif
