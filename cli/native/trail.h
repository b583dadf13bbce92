/* The container's audit trail, appended to by the front's verbs (kill,
 * delete, start, pause, resume): records chained exactly as the executor's
 * and cli/audit/trail.ts chain them — "n" the line number first, "prev" the
 * sha256 of the line before last — written whole or cut back off. Fail
 * closed: a record that cannot be written is fail()ed, so the verb stops
 * before its next action (docs/audit.md). */
#ifndef PLANC_TRAIL_H
#define PLANC_TRAIL_H
#include "front.h"

struct trail;
/* The Ed25519 key of --audit-sign-key / PLANC_AUDIT_SIGN_KEY, read and checked before the verb does anything (NULL path: none);
 * fails in loadSignKey's words. OpenSSL's libcrypto.so.3 is loaded here, the first time, and by nothing else. */
void *trail_load_key(const char *path);
/* The container's trail (audit.json → the store → <seq>.audit.jsonl), open at its head; NULL when the state
 * directory names none (a create killed before it wrote the reference). As lifecycle.ts openTrail: the store and the
 * id's directory through the gate, the trail file checked as store.read checks it, a wait for the init's records.
 * The caller holds the container's lock (cdir_lock), as the verbs do: the trail has one writer. */
struct trail *trail_open(struct cdir *d);
/* The whole file as it is now. */
char *trail_bytes(struct trail *t, size_t *len);
/* Append one record: `fields` a compact JSON object made with jb_*; the line is {"n":N,<fields>,"prev":"…"}. Returns N. */
long trail_append(struct trail *t, const struct jbuf *fields);
/* A small plan (compact JSON), whole, before its first action: {"n","plan","by","t",<extra>} — the line its records name with "of". */
long trail_begin_plan(struct trail *t, const char *plan_json, const struct jbuf *extra);
/* Exec n into the container named before its executor runs: {"n","exec":{"n","planDigest"},"by","t"} (exec-trails). */
long trail_begin_exec(struct trail *t, long n, const char *digest);
/* Action i of the plan at line `of`: {"n","of","i","op","r","t",<extra>}; r is "ok", "skipped" or "error". */
void trail_record(struct trail *t, long of, int i, const char *op, const char *r, const struct jbuf *extra);
/* The closing record {"final":true,"t"}, then the signature line when a key was given; synced. */
void trail_close(struct trail *t, void *key);
void trail_flush(struct trail *t);
void trail_release(struct trail *t);
/* Microseconds since the epoch, as records say "t". */
int64_t now_micros(void);

#ifdef PLANC_TRAIL_TEST
/* Only in the test driver (cli/native/test/trail-main.c): fixed values where a record has the clock or the caller,
 * so its bytes can be compared with the TypeScript's, and the caller ("by") alone. */
extern int64_t trail_test_t;       /* nonzero: every "t" */
extern const char *trail_test_by;  /* non-NULL: the "by" of every plan (a JSON value) */
void trail_caller(struct jbuf *b); /* the "by" from g_argv and the parent */
#endif
#endif
