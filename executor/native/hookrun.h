/* One hook run, for every planc program that runs hooks: the executor
 * (prestart, createRuntime, createContainer, startContainer) and the native
 * front (poststart by `start`, poststop by `delete`). The hook gets the state
 * JSON on stdin, exactly its argv and environment, its stdout and stderr in a
 * pipe (the start of it kept for the message, never mixed into anyone's
 * stdio), no other fd, default signals, and its own process group, so a
 * timeout kills whatever it started too. The caller says where it runs (its
 * namespaces, its working directory) and writes the record. */
#ifndef PLANC_HOOKRUN_H
#define PLANC_HOOKRUN_H
#include <stddef.h>
#include "msgpack.h"

#define HOOK_OUTPUT_KEPT 512 /* bytes of the hook's output, for the message */

struct hook_spec {
	const char *path;  /* absolute */
	char **argv;       /* non-empty, NULL-terminated: exactly the hook's argv, argv[0] included */
	char **envp;       /* NULL-terminated: exactly its environment */
	long long timeout; /* seconds; 0: none */
	const char *input; /* what its stdin gets (the state JSON) */
	int cwd_fd;        /* the child fchdir()s here first; -1: the caller's working directory */
};

struct hook_outcome {
	int ok;           /* it exited 0 in time */
	int err;          /* when not ok: ETIMEDOUT (timeout), ECANCELED (exit status, signal), else the failed call's errno */
	const char *call; /* the call that failed ("pipes", "fork", "pidfd_open", "poll"), or NULL: then `what` says it */
	/* "exited with status 7: <what it wrote>", "killed by signal 9 (Killed)", "killed after its timeout of 1 s";
	 * messages are "<kind> hook <path>: <what>" (or "...: <call>: <errno words>"). */
	char what[HOOK_OUTPUT_KEPT + 128];
};

/* Runs the hook and waits for it (up to its timeout, then SIGKILL to its group). 0 when ok, else -1. */
int hook_run(const struct hook_spec *h, struct hook_outcome *o);

/* The hook's stdin: the planned state (a map of strings, and maps of strings) as JSON.stringify
 * writes it, with "pid" added when pid >= 0. malloc'd; NULL when the state is missing or not such a map. */
char *hook_state_json(const mp *state, long pid);
#endif
