/* --audit-log: an operator's own log of every privileged action of every
 * container, beside the durable audit store. Records are copied from the
 * container's trail as they become final, each tagged with the container and
 * the plan it belongs to; state.json's "auditExported" says how many the
 * trail held at the last copy. The store's trail is the one that verifies;
 * this copy is for log shippers. (Create and run reach it through the front:
 * cli/native-front.ts.) */
#include "front.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int caller_log_open(const char *what, const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd < 0)
		fail(NULL, "%s %s: %s", what, path, errno == ELOOP ? "it is a symbolic link; planc does not write through one" : errno_words(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)))
		fail(NULL, "%s %s: not a regular file", what, path);
	return fd;
}

void caller_log_append(const char *what, const char *path, const char *text, size_t len)
{
	int fd = caller_log_open(what, path);
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			fail(NULL, "%s %s: %s", what, path, errno_words(w < 0 ? errno : EIO));
		off += (size_t)w;
	}
	close(fd);
}

void audit_tag(struct jbuf *out, const char *id, const char *digest)
{
	jb_raw(out, "{\"container\":", 13);
	jb_quoted(out, id);
	jb_raw(out, ",\"planDigest\":", 14);
	jb_quoted(out, digest);
	jb_raw(out, ",", 1);
}

/* Where the value of top-level key `key` is in a compact JSON object (as planc writes state.json): its start and end, or false. */
static bool top_value(const char *s, const char *key, size_t *from, size_t *to)
{
	int depth = 0;
	size_t klen = strlen(key);
	for (size_t k = 0; s[k]; k++) {
		char c = s[k];
		if (c == '"') {
			size_t start = k;
			for (k++; s[k] && s[k] != '"'; k++)
				if (s[k] == '\\' && s[k + 1])
					k++;
			/* A key at depth 1: `"key":` right after '{' or ','. */
			if (depth == 1 && s[k] == '"' && s[k + 1] == ':' && k - start - 1 == klen && strncmp(s + start + 1, key, klen) == 0 &&
			    (s[start - 1] == '{' || s[start - 1] == ',')) {
				*from = k + 2;
				size_t e = *from;
				while (s[e] && s[e] != ',' && s[e] != '}')
					e++;
				*to = e;
				return true;
			}
		} else if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']')
			depth--;
	}
	return false;
}

void audit_export(struct cdir *d, const struct record *rec)
{
	const mp *log = mp_get(rec->doc, "auditLog"), *done = mp_get(rec->doc, "auditExported"), *digest = mp_get(rec->doc, "planDigest");
	if (!log || log->type != MP_STR)
		return;
	struct trailref ref;
	size_t len = 0;
	char *text = trailref_read(d, &ref) ? trail_text(&ref, &len) : NULL;
	/* The lines after the header, empty ones left out. */
	int64_t skip = done && done->type == MP_INT ? done->i : 0, lines = 0;
	struct jbuf out;
	jb_init(&out);
	bool header = true;
	for (size_t k = 0; text && k < len;) {
		size_t e = k;
		while (e < len && text[e] != '\n')
			e++;
		if (header)
			header = false;
		else if (e > k) {
			if (lines++ >= skip) {
				audit_tag(&out, rec->id, digest->s);
				jb_raw(&out, text + k + 1, e - k - 1);
				jb_raw(&out, "\n", 1);
			}
		}
		k = e + 1;
	}
	if (out.len == 0)
		return;
	caller_log_append("--audit-log", log->s, out.p, out.len);
	/* The record saved with the new count: in place of the old one, or last (as JSON.stringify orders a key set anew). */
	char *state = cdir_read(d, "state.json", 1 << 20, &len);
	if (!state)
		fail(d->id, "container does not exist");
	char num[32];
	snprintf(num, sizeof num, "%lld", (long long)lines);
	struct jbuf rec2;
	jb_init(&rec2);
	size_t from, to;
	if (top_value(state, "auditExported", &from, &to)) {
		jb_raw(&rec2, state, from);
		jb_raw(&rec2, num, strlen(num));
		jb_raw(&rec2, state + to, len - to);
	} else {
		size_t end = len;
		while (end > 0 && state[end - 1] != '}')
			end--;
		if (end == 0)
			fail(NULL, "%s/state.json is not a state planc wrote; left alone", d->path);
		jb_raw(&rec2, state, end - 1);
		jb_raw(&rec2, ",\"auditExported\":", 17);
		jb_raw(&rec2, num, strlen(num));
		jb_raw(&rec2, state + end - 1, len - end + 1);
	}
	cdir_write(d, "state.json", rec2.p, rec2.len);
}
