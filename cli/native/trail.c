/* The audit trail, appended to by the front's verbs: chained as
 * cli/audit/trail.ts and the executor's audit.c chain it (docs/audit.md).
 * Reached through the gate: the state directory's audit.json names the
 * store, whose directory and the id's directory in it are opened and
 * checked like --root; the trail file is opened O_NOFOLLOW relative to it. */
#include "trail.h"
#include "../../executor/native/sha256.h"
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <stddef.h>
#include <time.h>
#include <unistd.h>

extern char **g_argv;

struct trail {
	int fd;
	char path[8192];
	long n;
	char prev[65];
};

#ifdef PLANC_TRAIL_TEST
int64_t trail_test_t;
const char *trail_test_by;
#endif

int64_t now_micros(void)
{
#ifdef PLANC_TRAIL_TEST
	if (trail_test_t)
		return trail_test_t;
#endif
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	/* Rounded, as nowMicros rounds its fraction of a microsecond. */
	return (int64_t)ts.tv_sec * 1000000 + (ts.tv_nsec + 500) / 1000;
}

/* libcrypto, loaded by the first trail_load_key: only a signed close needs it, and linking it would cost every
 * start of the front (state, kill, …) the dynamic loader's work for a 4 MB library, about 0.5 ms. Its types are
 * opaque here and the few functions are declared by hand, so building needs no OpenSSL headers. */
struct ossl;
typedef int pem_password_cb_(char *buf, int size, int rwflag, void *u);
static struct {
	bool loaded;
	struct ossl *(*bio_new_mem_buf)(const void *, int);
	int (*bio_free)(struct ossl *);
	struct ossl *(*pem_read_bio_privatekey)(struct ossl *, struct ossl **, pem_password_cb_ *, void *);
	unsigned long (*err_peek_error)(void);
	void (*err_error_string_n)(unsigned long, char *, size_t);
	void (*err_clear_error)(void);
	int (*evp_pkey_get_id)(const struct ossl *);
	void (*evp_pkey_free)(struct ossl *);
	int (*i2d_pubkey)(const struct ossl *, unsigned char **);
	void (*crypto_free)(void *, const char *, int);
	struct ossl *(*evp_md_ctx_new)(void);
	void (*evp_md_ctx_free)(struct ossl *);
	int (*evp_digestsigninit)(struct ossl *, struct ossl **, const struct ossl *, struct ossl *, struct ossl *);
	int (*evp_digestsign)(struct ossl *, unsigned char *, size_t *, const unsigned char *, size_t);
	int (*evp_encodeblock)(unsigned char *, const unsigned char *, int);
} C;

/* OpenSSL's NIDs (obj_mac.h), which EVP_PKEY_get_id returns, and Node's asymmetricKeyType for each. */
static const char *key_type(int nid)
{
	switch (nid) {
	case 6: return "rsa";
	case 912: return "rsa-pss";
	case 116: return "dsa";
	case 28: return "dh";
	case 408: return "ec";
	case 1087: return "ed25519";
	case 1088: return "ed448";
	case 1034: return "x25519";
	case 1035: return "x448";
	default: return "undefined"; /* Node has no name for it: the TypeScript's message says so */
	}
}

static void load_crypto(const char *path)
{
	if (C.loaded)
		return;
	void *h = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		fail(NULL, "%s: --audit-sign-key: OpenSSL's libcrypto cannot be loaded (%s)", path, dlerror());
	static const struct {
		const char *name;
		size_t off;
	} fns[] = {
#define FN(field, name) {name, offsetof(__typeof__(C), field)}
		FN(bio_new_mem_buf, "BIO_new_mem_buf"),
		FN(bio_free, "BIO_free"),
		FN(pem_read_bio_privatekey, "PEM_read_bio_PrivateKey"),
		FN(err_peek_error, "ERR_peek_error"),
		FN(err_error_string_n, "ERR_error_string_n"),
		FN(err_clear_error, "ERR_clear_error"),
		FN(evp_pkey_get_id, "EVP_PKEY_get_id"),
		FN(evp_pkey_free, "EVP_PKEY_free"),
		FN(i2d_pubkey, "i2d_PUBKEY"),
		FN(crypto_free, "CRYPTO_free"),
		FN(evp_md_ctx_new, "EVP_MD_CTX_new"),
		FN(evp_md_ctx_free, "EVP_MD_CTX_free"),
		FN(evp_digestsigninit, "EVP_DigestSignInit"),
		FN(evp_digestsign, "EVP_DigestSign"),
		FN(evp_encodeblock, "EVP_EncodeBlock"),
#undef FN
	};
	for (size_t k = 0; k < sizeof fns / sizeof fns[0]; k++) {
		void *f = dlsym(h, fns[k].name);
		if (!f)
			fail(NULL, "%s: --audit-sign-key: OpenSSL's libcrypto has no %s", path, fns[k].name);
		/* POSIX lets dlsym's void * stand for a function: copied, since ISO C has no such cast. */
		memcpy((char *)&C + fns[k].off, &f, sizeof f);
	}
	C.loaded = true;
}

/* No passphrase is asked for: an encrypted key is refused, in the words OpenSSL gives Node for it. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

void *trail_load_key(const char *path)
{
	if (!path)
		return NULL;
	/* Read as readFileSync reads it: a directory or an unreadable file is named in Node's (libuv's) words. */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail(NULL, "%s: --audit-sign-key: not a private key planc can read (%s)", path, errno_words(errno));
	struct jbuf pem;
	jb_init(&pem);
	char buf[4096];
	for (ssize_t r; (r = read(fd, buf, sizeof buf)) != 0;) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			fail(NULL, "%s: --audit-sign-key: not a private key planc can read (%s)", path, errno_words(errno));
		jb_raw(&pem, buf, (size_t)r);
		if (pem.len > (1u << 20))
			break; /* no PEM key is this long; what was read is refused below */
	}
	close(fd);
	explicit_bzero(buf, sizeof buf);
	load_crypto(path);
	C.err_clear_error();
	struct ossl *bio = C.bio_new_mem_buf(pem.p, (int)pem.len);
	struct ossl *key = bio ? C.pem_read_bio_privatekey(bio, NULL, no_passphrase, NULL) : NULL;
	if (bio)
		C.bio_free(bio);
	explicit_bzero(pem.p, pem.len);
	free(pem.p);
	if (!key) {
		/* Node's message for the key is OpenSSL's first error in its own words ("error:1E08010C:DECODER routines::unsupported"). */
		char e[256];
		unsigned long code = C.err_peek_error();
		if (code)
			C.err_error_string_n(code, e, sizeof e);
		else
			snprintf(e, sizeof e, "unsupported key format");
		C.err_clear_error();
		fail(NULL, "%s: --audit-sign-key: not a private key planc can read (%s)", path, e);
	}
	const char *type = key_type(C.evp_pkey_get_id(key));
	if (strcmp(type, "ed25519") != 0)
		fail(NULL, "%s: --audit-sign-key: an %s key; planc signs with Ed25519", path, type);
	return key;
}

/* Bytes appended whole, or cut back off and the error said (Trail.write). */
static void write_whole(struct trail *t, const char *bytes, size_t len)
{
	struct stat st;
	/* Without the size before, a failed write could not be cut back: nothing is written. */
	if (fstat(t->fd, &st) < 0)
		fail(NULL, "write the audit record to %s: %s", t->path, errno_words(errno));
	for (size_t off = 0; off < len;) {
		ssize_t w = write(t->fd, bytes + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : EIO;
			/* Whole or not at all: a cut record is taken back; if even that fails the verifier names the cut line. */
			if (ftruncate(t->fd, st.st_size) < 0) {
			}
			fail(NULL, "write the audit record to %s: %s", t->path, errno_words(e));
		}
		off += (size_t)w;
	}
}

char *trail_bytes(struct trail *t, size_t *len)
{
	/* One byte more: sync_head may add the newline of a cut line. */
	char *buf = read_whole_fd(t->fd, SIZE_MAX - 2, 1, len);
	if (!buf)
		fail(NULL, "read the audit trail %s: %s", t->path, errno == ENOMEM ? "out of memory" : errno_words(errno));
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
 * the fifo)? Then a verb waits for them, as lifecycle.ts openTrail does, so its own records come after the init's. */
static bool init_records_due(struct trail *t)
{
	size_t len;
	char *text = trail_bytes(t, &len);
#define HAS(lit) (memmem(text, len, lit, sizeof lit - 1) != NULL)
	bool due = HAS("\"op\":\"execfifo.wait\"") && !HAS("\"op\":\"exec\",\"stage\":\"init\",\"r\":\"pending\"") &&
		   !HAS("\"op\":\"exec\",\"stage\":\"init\",\"r\":\"error\"");
#undef HAS
	free(text);
	return due;
}

#define READ_MAX ((size_t)64 << 20) /* ContainerDir.read's limit, which store.read applies to the plan and the trail */

/* Trail.open through lifecycle.ts openTrail, with the same gate and words: the store and the id's directory opened and
 * checked like --root and a state directory, the plan's sha256 (the anchor), the trail file's checks (store.read's
 * dir.read, then openTrail's), then the wait for the init's records and the head. */
struct trail *trail_open(struct cdir *d)
{
	struct trailref ref;
	if (!trailref_read(d, &ref))
		return NULL;
	struct root store;
	if (!root_open_as(&store, ref.dir, "--audit-dir"))
		fail(NULL, "the audit store %s is gone", ref.dir);
	struct trail *t = calloc(1, sizeof *t);
	if (!t)
		fail(NULL, "open the audit trail: out of memory");
	/* The store's path as the gate resolved it (store.path(ref)), not audit.json's spelling of it. */
	snprintf(t->path, sizeof t->path, "%s/%s/%ld.audit.jsonl", store.path, ref.id, ref.seq);
	struct cdir dir;
	if (!cdir_open(&dir, &store, ref.id))
		fail(NULL, "the audit trail %s is gone", t->path);
	char name[64];
	snprintf(name, sizeof name, "%ld.plan.msgpack", ref.seq);
	size_t plen;
	char *plan = cdir_read(&dir, name, READ_MAX, &plen);
	char anchor[65] = "";
	if (plan) {
		uint8_t dg[32];
		sha256(plan, plen, dg);
		sha256_hex(dg, anchor);
		free(plan);
	}
	snprintf(name, sizeof name, "%ld.audit.jsonl", ref.seq);
	/* O_NONBLOCK as dir.read opens it: a fifo or device put in its place is refused below, never waited on. */
	t->fd = openat(dir.fd, name, O_RDWR | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (t->fd < 0) {
		if (errno == ELOOP)
			fail(NULL, "%s is a symbolic link; planc does not follow it", t->path);
		if (errno == EISDIR)
			fail(NULL, "%s is not a regular file", t->path);
		fail(NULL, "open the audit trail %s: %s", t->path, errno_words(errno));
	}
	struct stat st;
	if (fstat(t->fd, &st) < 0)
		fail(NULL, "read %s: %s", t->path, errno_words(errno));
	if (!S_ISREG(st.st_mode))
		fail(NULL, "%s is not a regular file", t->path);
	if ((size_t)st.st_size > READ_MAX)
		fail(NULL, "%s is larger than %zu bytes", t->path, READ_MAX);
	close(dir.fd);
	close(store.fd);
	for (int waited = 0; waited < 2000 && init_records_due(t); waited++)
		nanosleep(&(struct timespec){0, 1000000}, NULL);
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

/* Bytes as Node decodes them into a string (argv, a file's toString('utf8')): valid UTF-8 kept, each maximal
 * invalid subpart one U+FFFD (WHATWG). */
static void utf8_clean(struct jbuf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t k = 0; k < n;) {
		unsigned char c = p[k];
		size_t need = 0;
		unsigned char lo = 0x80, hi = 0xbf;
		if (c < 0x80) {
			jb_raw(out, s + k++, 1);
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			need = 1;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
		size_t got = 1;
		while (need && got <= need && k + got < n && p[k + got] >= lo && p[k + got] <= hi)
			got++, lo = 0x80, hi = 0xbf;
		if (need && got == need + 1)
			jb_raw(out, s + k, got);
		else
			jb_raw(out, "\xef\xbf\xbd", 3);
		k += got;
	}
}

/* One argument of a command line, shown as trail.ts quoteArg shows it: as it is when made only of
 * [A-Za-z0-9_@%+=:,./-], else JSON-quoted; appended to b after a space unless b is empty. */
static void quoted_arg(struct jbuf *b, const char *a, size_t n)
{
	struct jbuf clean;
	jb_init(&clean);
	utf8_clean(&clean, a, n);
	bool plain = clean.len > 0;
	for (size_t k = 0; plain && k < clean.len; k++) {
		char c = clean.p[k];
		plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c && strchr("_@%+=:,./-", c));
	}
	if (b->len)
		jb_raw(b, " ", 1);
	if (plain)
		jb_raw(b, clean.p, clean.len);
	else
		jb_quoted(b, clean.p);
	free(clean.p);
}

/* The parent's command line as a JSON string: cut at 512 UTF-16 units with "…" as cmd.slice(0, 512) cuts it. A cut
 * through a surrogate pair keeps its high half, which JSON.stringify writes as a \ud8xx escape. */
static void parent_command(struct jbuf *b, const struct jbuf *pc)
{
	const unsigned char *p = (const unsigned char *)pc->p;
	size_t units = 0, cut = pc->len;
	unsigned lone = 0;
	for (size_t k = 0; k < pc->len;) {
		size_t n = p[k] < 0x80 ? 1 : p[k] < 0xe0 ? 2 : p[k] < 0xf0 ? 3 : 4;
		size_t u = n == 4 ? 2 : 1;
		if (units + u > 512 && cut == pc->len) {
			cut = k;
			if (units == 511 && n == 4) {
				unsigned cp = (p[k] & 7u) << 18 | (p[k + 1] & 0x3fu) << 12 | (p[k + 2] & 0x3fu) << 6 | (p[k + 3] & 0x3fu);
				lone = 0xd800 + ((cp - 0x10000) >> 10);
			}
		}
		units += u;
		k += n;
	}
	if (units <= 512) {
		jb_quoted(b, pc->p);
		return;
	}
	struct jbuf head;
	jb_init(&head);
	jb_raw(&head, pc->p, cut);
	jb_quoted(b, head.p);
	free(head.p);
	b->len--; /* the closing quote: the cut's tail goes before it */
	if (lone) {
		char esc[8];
		jb_raw(b, esc, (size_t)snprintf(esc, sizeof esc, "\\u%04x", lone));
	}
	jb_raw(b, "…\"", strlen("…\""));
}

/* Who is writing (trail.ts caller): this planc, its command line, and its parent (the engine or shell that ran it). */
static void caller(struct jbuf *b)
{
	jb_obj_begin(b);
	jb_key(b, "uid"), jb_i64(b, geteuid());
	jb_key(b, "pid"), jb_i64(b, getpid());
	struct jbuf cmd;
	jb_init(&cmd);
	jb_raw(&cmd, "planc", 5);
	for (int k = 1; g_argv && g_argv[0] && g_argv[k]; k++)
		quoted_arg(&cmd, g_argv[k], strlen(g_argv[k]));
	jb_key(b, "command"), jb_str(b, cmd.p);
	free(cmd.p);
	pid_t ppid = getppid();
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)ppid);
	/* The whole file: a long argument cut short could be quoted differently from the whole one. */
	struct jbuf raw, pc;
	jb_init(&raw);
	jb_init(&pc);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		char buf[4096];
		for (ssize_t n; (n = read(fd, buf, sizeof buf)) != 0;) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				raw.len = 0; /* unreadable: the empty command, as the TypeScript's catch */
				break;
			}
			jb_raw(&raw, buf, (size_t)n);
		}
		close(fd);
	}
	/* NUL-separated, empty pieces dropped, each quoted. */
	for (size_t s = 0; s < raw.len;) {
		size_t l = strnlen(raw.p + s, raw.len - s);
		if (l > 0)
			quoted_arg(&pc, raw.p + s, l);
		s += l + 1;
	}
	free(raw.p);
	jb_key(b, "parent");
	jb_obj_begin(b);
	jb_key(b, "pid"), jb_i64(b, ppid);
	jb_key(b, "command");
	b->after_key = false;
	parent_command(b, &pc);
	jb_obj_end(b);
	free(pc.p);
	jb_obj_end(b);
}

#ifdef PLANC_TRAIL_TEST
void trail_caller(struct jbuf *b)
{
	caller(b);
}
#endif

/* {"n",<key>:<value>,"by","t",<extra>}: a plan's first line, or an exec's. */
static long begin_line(struct trail *t, const char *key, const char *value_json, const struct jbuf *extra)
{
	struct jbuf f;
	jb_init(&f);
	jb_obj_begin(&f);
	jb_key(&f, key);
	f.after_key = false;
	jb_raw(&f, value_json, strlen(value_json));
	jb_key(&f, "by");
#ifdef PLANC_TRAIL_TEST
	if (trail_test_by) {
		f.after_key = false;
		jb_raw(&f, trail_test_by, strlen(trail_test_by));
	} else
#endif
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

long trail_begin_plan(struct trail *t, const char *plan_json, const struct jbuf *extra)
{
	return begin_line(t, "plan", plan_json, extra);
}

long trail_begin_exec(struct trail *t, long n, const char *digest)
{
	struct jbuf x;
	jb_init(&x);
	jb_obj_begin(&x);
	jb_key(&x, "n"), jb_i64(&x, n);
	jb_key(&x, "planDigest"), jb_str(&x, digest);
	jb_obj_end(&x);
	long line = begin_line(t, "exec", x.p, NULL);
	free(x.p);
	return line;
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
static void fingerprint(struct trail *t, struct ossl *key, char out[72])
{
	unsigned char *der = NULL;
	int n = C.i2d_pubkey(key, &der);
	if (n <= 0)
		fail(NULL, "sign the audit trail %s: the signing key has no public key", t->path);
	uint8_t d[32];
	char hex[65];
	sha256(der, (size_t)n, d);
	sha256_hex(d, hex);
	snprintf(out, 72, "sha256:%s", hex);
	C.crypto_free(der, __FILE__, __LINE__);
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
		/* What Trail.close signs: the file's last line as it is now, without its newline. */
		size_t len;
		char *all = trail_bytes(t, &len);
		size_t end = len - 1, start = end;
		while (start > 0 && all[start - 1] != '\n')
			start--;
		unsigned char sig[64];
		size_t siglen = sizeof sig;
		struct ossl *md = C.evp_md_ctx_new();
		if (!md || C.evp_digestsigninit(md, NULL, NULL, NULL, key) != 1 ||
		    C.evp_digestsign(md, sig, &siglen, (const unsigned char *)all + start, end - start) != 1)
			fail(NULL, "sign the audit trail %s: the Ed25519 signature failed", t->path);
		C.evp_md_ctx_free(md);
		free(all);
		char b64[100];
		C.evp_encodeblock((unsigned char *)b64, sig, (int)siglen);
		char fp[72];
		fingerprint(t, key, fp);
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
