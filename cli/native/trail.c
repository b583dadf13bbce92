/* The audit trail, appended to by the front's verbs: chained as
 * cli/audit/trail.ts and the executor's audit.c chain it (docs/audit.md).
 * Reached through the gate: the state directory's audit.json names the
 * store, whose directory and the id's directory in it are opened and
 * checked like --root; the trail file is opened O_NOFOLLOW relative to it. */
#include "trail.h"
#include "../../executor/native/sha256.h"
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern char **g_argv;

struct trail {
	int fd;
	char path[8192];
	long n;
	char prev[65];
};

int64_t now_micros(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void *trail_load_key(const char *path)
{
	if (!path)
		return NULL;
	FILE *f = fopen(path, "re");
	if (!f)
		fail(NULL, "%s: --audit-sign-key: not a private key planc can read (%s)", path, errno_words(errno));
	EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!key)
		fail(NULL, "%s: --audit-sign-key: not a private key planc can read (not a PEM private key)", path);
	if (EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
		const char *type = EVP_PKEY_get_id(key) == EVP_PKEY_RSA ? "rsa" : EVP_PKEY_get_id(key) == EVP_PKEY_EC ? "ec" : "other";
		fail(NULL, "%s: --audit-sign-key: an %s key; planc signs with Ed25519", path, type);
	}
	return key;
}

static void write_whole(struct trail *t, const char *bytes, size_t len)
{
	struct stat st;
	off_t before = fstat(t->fd, &st) == 0 ? st.st_size : 0;
	for (size_t off = 0; off < len;) {
		ssize_t w = write(t->fd, bytes + off, len - off);
		if (w <= 0) {
			int e = w < 0 ? errno : EIO;
			/* Whole or not at all: a cut record is taken back; if even that fails the verifier names the cut line. */
			if (ftruncate(t->fd, before) < 0) {
			}
			fail(NULL, "write the audit record to %s: %s", t->path, errno_words(e));
		}
		off += (size_t)w;
	}
}

char *trail_bytes(struct trail *t, size_t *len)
{
	struct stat st;
	if (fstat(t->fd, &st) < 0)
		fail(NULL, "read the audit trail %s: %s", t->path, errno_words(errno));
	char *buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		fail(NULL, "read the audit trail %s: out of memory", t->path);
	size_t n = 0;
	for (ssize_t r; n < (size_t)st.st_size && (r = pread(t->fd, buf + n, (size_t)st.st_size - n, (off_t)n)) > 0;)
		n += (size_t)r;
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

/* The head: the next line number and the hash of the last line (the plan's hash for an empty trail);
 * a last line cut by a crash gets its newline, so it stays visible to the verifier and the chain goes on. */
static void sync_head(struct trail *t, const char *anchor)
{
	size_t len;
	char *text = trail_bytes(t, &len);
	if (len > 0 && text[len - 1] != '\n') {
		write_whole(t, "\n", 1);
		text = realloc(text, len + 2);
		text[len++] = '\n';
		text[len] = 0;
	}
	long lines = 0;
	size_t last = 0;
	for (size_t k = 0; k < len; k++) {
		if (text[k] != '\n')
			continue;
		lines++;
		if (k + 1 < len)
			last = k + 1;
	}
	t->n = lines;
	if (lines > 0) {
		uint8_t d[32];
		sha256(text + last, len - 1 - last, d);
		sha256_hex(d, t->prev);
	} else
		snprintf(t->prev, sizeof t->prev, "%s", anchor);
	free(text);
}

/* Has the init passed the fifo without its exec being recorded yet (it writes those records itself once start opened
 * the fifo)? Then a verb waits for them, up to 2 s, so its own records come after the init's. */
static bool init_records_due(const struct trailref *ref)
{
	char *text = trail_text(ref, NULL);
	bool due = text && strstr(text, "\"op\":\"execfifo.wait\"") &&
		   !strstr(text, "\"op\":\"exec\",\"stage\":\"init\",\"r\":\"pending\"") &&
		   !strstr(text, "\"op\":\"exec\",\"stage\":\"init\",\"r\":\"error\"");
	free(text);
	return due;
}

struct trail *trail_open(struct cdir *d)
{
	struct trailref ref;
	if (!trailref_read(d, &ref))
		return NULL;
	for (int waited = 0; waited < 2000 && init_records_due(&ref); waited++)
		nanosleep(&(struct timespec){0, 1000000}, NULL);
	struct trail *t = calloc(1, sizeof *t);
	snprintf(t->path, sizeof t->path, "%s/%s/%ld.audit.jsonl", ref.dir, ref.id, ref.seq);
	struct root store;
	if (!root_open_as(&store, ref.dir, "--audit-dir"))
		fail(NULL, "the audit store %s is gone", ref.dir);
	struct cdir dir;
	if (!cdir_open(&dir, &store, ref.id))
		fail(NULL, "the audit trail %s is gone", t->path);
	char name[64];
	snprintf(name, sizeof name, "%ld.plan.msgpack", ref.seq);
	size_t plen;
	char *plan = cdir_read(&dir, name, (size_t)64 << 20, &plen);
	char anchor[65] = "";
	if (plan) {
		uint8_t dg[32];
		sha256(plan, plen, dg);
		sha256_hex(dg, anchor);
		free(plan);
	}
	snprintf(name, sizeof name, "%ld.audit.jsonl", ref.seq);
	t->fd = openat(dir.fd, name, O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (t->fd < 0)
		fail(NULL, "open the audit trail %s: %s", t->path, errno_words(errno));
	struct stat st;
	if (fstat(t->fd, &st) < 0 || !S_ISREG(st.st_mode))
		fail(NULL, "%s is not a regular file", t->path);
	close(dir.fd);
	close(store.fd);
	sync_head(t, anchor);
	return t;
}

/* The inside of a compact JSON object ("{a,b}" → "a,b"), for splicing fields into a record. */
static void splice_fields(struct jbuf *line, const struct jbuf *fields)
{
	if (!fields || fields->len <= 2)
		return;
	jb_raw(line, ",", 1);
	jb_raw(line, fields->p + 1, fields->len - 2);
}

long trail_append(struct trail *t, const struct jbuf *fields)
{
	struct jbuf line;
	jb_init(&line);
	char head[32];
	jb_raw(&line, head, (size_t)snprintf(head, sizeof head, "{\"n\":%ld", t->n));
	splice_fields(&line, fields);
	if (t->prev[0]) {
		jb_raw(&line, ",\"prev\":\"", 9);
		jb_raw(&line, t->prev, 64);
		jb_raw(&line, "\"", 1);
	}
	jb_raw(&line, "}", 1);
	uint8_t d[32];
	sha256(line.p, line.len, d);
	jb_raw(&line, "\n", 1);
	write_whole(t, line.p, line.len);
	sha256_hex(d, t->prev);
	free(line.p);
	return t->n++;
}

/* One argument of the caller's command line, shown as trail.ts quoteArg shows it. */
static void quoted_arg(struct jbuf *b, const char *a)
{
	static regex_t plain;
	static bool compiled;
	if (!compiled)
		compiled = regcomp(&plain, "^[A-Za-z0-9_@%+=:,./-]+$", REG_EXTENDED | REG_NOSUB) == 0;
	if (compiled && regexec(&plain, a, 0, NULL, 0) == 0)
		jb_raw(b, a, strlen(a));
	else
		jb_quoted(b, a);
}

/* Who is writing: this planc, its command line, and its parent (the engine or shell that ran it). */
static void caller(struct jbuf *b)
{
	jb_obj_begin(b);
	jb_key(b, "uid"), jb_i64(b, geteuid());
	jb_key(b, "pid"), jb_i64(b, getpid());
	struct jbuf cmd;
	jb_init(&cmd);
	jb_raw(&cmd, "planc", 5);
	for (int k = 1; g_argv && g_argv[k]; k++) {
		jb_raw(&cmd, " ", 1);
		quoted_arg(&cmd, g_argv[k]);
	}
	jb_key(b, "command"), jb_str(b, cmd.p);
	free(cmd.p);
	pid_t ppid = getppid();
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)ppid);
	struct jbuf pc;
	jb_init(&pc);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		char buf[8192];
		ssize_t n = read(fd, buf, sizeof buf - 1);
		close(fd);
		for (ssize_t k = 0; n > 0 && k < n;) {
			size_t l = strnlen(buf + k, (size_t)(n - k));
			if (l > 0) {
				char *arg = strndup(buf + k, l);
				if (pc.len)
					jb_raw(&pc, " ", 1);
				quoted_arg(&pc, arg);
				free(arg);
			}
			k += (ssize_t)l + 1;
		}
	}
	/* Cut at 512 characters, as trail.ts does (UTF-16 units there; the bytes of a UTF-8 character are kept together here). */
	size_t units = 0, k = 0;
	for (; k < pc.len && units < 512; k++)
		if (((unsigned char)pc.p[k] & 0xc0) != 0x80)
			units++;
	while (k < pc.len && ((unsigned char)pc.p[k] & 0xc0) == 0x80)
		k++;
	if (k < pc.len) {
		pc.len = k;
		pc.p[k] = 0;
		jb_raw(&pc, "…", strlen("…"));
	}
	jb_key(b, "parent");
	jb_obj_begin(b);
	jb_key(b, "pid"), jb_i64(b, ppid);
	jb_key(b, "command"), jb_str(b, pc.p);
	jb_obj_end(b);
	free(pc.p);
	jb_obj_end(b);
}

long trail_begin_plan(struct trail *t, const char *plan_json, const struct jbuf *extra)
{
	struct jbuf f;
	jb_init(&f);
	jb_obj_begin(&f);
	jb_key(&f, "plan");
	f.after_key = false;
	jb_raw(&f, plan_json, strlen(plan_json));
	jb_key(&f, "by");
	caller(&f);
	jb_key(&f, "t"), jb_i64(&f, now_micros());
	jb_obj_end(&f);
	if (extra && extra->len > 2) {
		f.len--; /* splice the extra fields in before the closing brace */
		jb_raw(&f, ",", 1);
		jb_raw(&f, extra->p + 1, extra->len - 1);
	}
	long n = trail_append(t, &f);
	free(f.p);
	return n;
}

void trail_record(struct trail *t, long of, int i, const char *op, const char *r, const struct jbuf *extra)
{
	struct jbuf f;
	jb_init(&f);
	jb_obj_begin(&f);
	jb_key(&f, "of"), jb_i64(&f, of);
	jb_key(&f, "i"), jb_i64(&f, i);
	jb_key(&f, "op"), jb_str(&f, op);
	jb_key(&f, "r"), jb_str(&f, r);
	jb_key(&f, "t"), jb_i64(&f, now_micros());
	jb_obj_end(&f);
	if (extra && extra->len > 2) {
		f.len--;
		jb_raw(&f, ",", 1);
		jb_raw(&f, extra->p + 1, extra->len - 1);
	}
	trail_append(t, &f);
	free(f.p);
}

void trail_flush(struct trail *t)
{
	if (fsync(t->fd) < 0)
		fail(NULL, "sync the audit trail %s: %s", t->path, errno_words(errno));
}

/* "sha256:" and the hex sha256 of the public key's SPKI DER: how a signature line names its key (trail.ts keyFingerprint). */
static void fingerprint(EVP_PKEY *key, char out[72])
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(key, &der);
	uint8_t d[32];
	char hex[65];
	sha256(der, n > 0 ? (size_t)n : 0, d);
	sha256_hex(d, hex);
	snprintf(out, 72, "sha256:%s", hex);
	OPENSSL_free(der);
}

void trail_close(struct trail *t, void *key)
{
	struct jbuf f;
	jb_init(&f);
	jb_obj_begin(&f);
	jb_key(&f, "final"), jb_bool(&f, true);
	jb_key(&f, "t"), jb_i64(&f, now_micros());
	jb_obj_end(&f);
	trail_append(t, &f);
	free(f.p);
	if (key) {
		size_t len;
		char *all = trail_bytes(t, &len);
		size_t end = len - 1, start = end;
		while (start > 0 && all[start - 1] != '\n')
			start--;
		unsigned char sig[64];
		size_t siglen = sizeof sig;
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		if (!md || EVP_DigestSignInit(md, NULL, NULL, NULL, key) != 1 ||
		    EVP_DigestSign(md, sig, &siglen, (const unsigned char *)all + start, end - start) != 1)
			fail(NULL, "sign the audit trail %s: the Ed25519 signature failed", t->path);
		EVP_MD_CTX_free(md);
		free(all);
		char b64[100];
		EVP_EncodeBlock((unsigned char *)b64, sig, (int)siglen);
		char fp[72];
		fingerprint(key, fp);
		struct jbuf s;
		jb_init(&s);
		jb_obj_begin(&s);
		jb_key(&s, "sig"), jb_str(&s, b64);
		jb_key(&s, "alg"), jb_str(&s, "ed25519");
		jb_key(&s, "key"), jb_str(&s, fp);
		jb_obj_end(&s);
		jb_raw(&s, "\n", 1);
		write_whole(t, s.p, s.len);
		free(s.p);
	}
	trail_flush(t);
}

void trail_release(struct trail *t)
{
	close(t->fd);
	free(t);
}
