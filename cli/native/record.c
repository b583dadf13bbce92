/* state.json read back: input like any other. Every field the front uses is
 * checked against the rules of schemas/record.schema.json before anything is
 * done with it (test/unit/native-front.test.ts holds records the schema
 * refuses, and checks the front refuses each too). */
#include "front.h"
#include <stdio.h>
#include <string.h>

static const char *const KNOWN[] = {"ociVersion", "id", "pid", "startTime", "bundle", "rootfs", "created", "owner",
				    "annotations", "planDigest", "cgroups", "pidNamespace", "auditLog", "auditExported", "resources"};
static const char *const REQUIRED[] = {"ociVersion", "id", "pid", "startTime", "bundle", "rootfs", "created", "owner",
				       "planDigest", "cgroups", "pidNamespace"};
#define N(a) (sizeof a / sizeof a[0])

static bool digits(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);
	if (n < min || n > max)
		return false;
	for (size_t k = 0; k < n; k++)
		if (s[k] < '0' || s[k] > '9')
			return false;
	return true;
}

static bool clean_abs(const char *p)
{
	if (p[0] != '/')
		return false;
	for (const char *s = p; *s;) {
		while (*s == '/')
			s++;
		size_t n = strcspn(s, "/");
		if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		s += n;
	}
	return true;
}

static bool sha256_ref(const char *s)
{
	if (strncmp(s, "sha256:", 7) != 0 || strlen(s) != 71)
		return false;
	for (const char *p = s + 7; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

/* Why the record is not one planc wrote, or NULL. */
static const char *check(const mp *doc, const char *id, struct record *rec, char *why, size_t cap)
{
	if (doc->type != MP_MAP)
		return "/ must be object";
	for (uint32_t k = 0; k < doc->len; k++) {
		const char *key = doc->kids[2 * k].s;
		bool known = false;
		for (size_t j = 0; j < N(KNOWN); j++)
			known |= strcmp(key, KNOWN[j]) == 0;
		if (!known)
			return snprintf(why, cap, "/ must NOT have additional properties (%s)", quote(key)), why;
	}
	for (size_t j = 0; j < N(REQUIRED); j++)
		if (!mp_get(doc, REQUIRED[j]))
			return snprintf(why, cap, "/ must have required property '%s'", REQUIRED[j]), why;
#define STR(field, key, maxlen)                                                          \
	do {                                                                             \
		const mp *v = mp_get(doc, key);                                          \
		if (v && (v->type != MP_STR || (maxlen && v->len > maxlen)))            \
			return "/" key " must be a string within its length bound";   \
		rec->field = v ? v->s : NULL;                                            \
	} while (0)
	STR(oci_version, "ociVersion", 64);
	STR(id, "id", 255);
	STR(start_time, "startTime", 0);
	STR(bundle, "bundle", 0);
	STR(rootfs, "rootfs", 0);
	STR(created, "created", 64);
	STR(owner, "owner", 256);
#undef STR
	if (!id_shaped(rec->id) || strcmp(rec->id, id) != 0)
		return snprintf(why, cap, "it names container %s", quote(rec->id)), why;
	if (!digits(rec->start_time, 1, 20))
		return "/startTime must match pattern \"^[0-9]{1,20}$\"";
	if (rec->bundle[0] != '/')
		return "/bundle must match pattern \"^/\"";
	if (rec->rootfs[0] != '/')
		return "/rootfs must match pattern \"^/\"";
	const mp *pid = mp_get(doc, "pid");
	if (pid->type != MP_INT || pid->i < 2 || pid->i > 4194304)
		return "/pid must be an integer from 2 to 4194304";
	rec->pid = pid->i;
	const mp *digest = mp_get(doc, "planDigest");
	if (digest->type != MP_STR || !sha256_ref(digest->s))
		return "/planDigest must match pattern \"^sha256:[0-9a-f]{64}$\"";
	const mp *pidns = mp_get(doc, "pidNamespace");
	if (pidns->type != MP_BOOL)
		return "/pidNamespace must be boolean";
	const mp *ann = mp_get(doc, "annotations");
	if (ann) {
		if (ann->type != MP_MAP)
			return "/annotations must be object";
		for (uint32_t k = 0; k < ann->len; k++)
			if (ann->kids[2 * k + 1].type != MP_STR)
				return "/annotations must have string values";
	}
	rec->annotations = ann;
	const mp *log = mp_get(doc, "auditLog");
	if (log && (log->type != MP_STR || log->s[0] != '/'))
		return "/auditLog must match pattern \"^/\"";
	const mp *exported = mp_get(doc, "auditExported");
	if (exported && (exported->type != MP_INT || exported->i < 0))
		return "/auditExported must be >= 0";
	const mp *res = mp_get(doc, "resources");
	if (res && res->type != MP_MAP)
		return "/resources must be object";
	const mp *cg = mp_get(doc, "cgroups");
	if (cg->type != MP_ARR || cg->len > 64)
		return "/cgroups must be an array of at most 64 items";
	rec->ncgroups = (int)cg->len;
	for (uint32_t k = 0; k < cg->len; k++) {
		const mp *c = &cg->kids[k];
		if (c->type != MP_MAP)
			return "/cgroups/* must be object";
		for (uint32_t j = 0; j < c->len; j++) {
			const char *key = c->kids[2 * j].s;
			if (strcmp(key, "path") && strcmp(key, "ino") && strcmp(key, "made"))
				return "/cgroups/* must NOT have additional properties";
		}
		const mp *path = mp_get(c, "path"), *ino = mp_get(c, "ino"), *made = mp_get(c, "made");
		if (!path || path->type != MP_STR || !clean_abs(path->s))
			return "/cgroups/*/path must be a clean absolute path";
		if (!ino || ino->type != MP_INT || ino->i < 1)
			return "/cgroups/*/ino must be an integer >= 1";
		if (!made || made->type != MP_BOOL)
			return "/cgroups/*/made must be boolean";
		rec->cgroups[k] = (struct cgroup){path->s, (uint64_t)ino->i, made->i != 0};
	}
	return NULL;
}

bool record_read(struct cdir *d, struct record *rec)
{
	size_t len;
	char *bytes = cdir_read(d, "state.json", 1 << 20, &len);
	if (!bytes)
		return false;
	memset(rec, 0, sizeof *rec);
	const char *err;
	mp *doc = json_parse(bytes, len, &err);
	if (!doc)
		fail(NULL, "%s/state.json is not valid JSON (%s); left alone", d->path, err);
	char why[512];
	const char *bad = check(doc, d->id, rec, why, sizeof why);
	if (bad)
		fail(NULL, "%s/state.json is not a state planc wrote (%s); left alone", d->path, bad);
	rec->doc = doc;
	return true;
}

void container_open(struct cdir *d, struct root *root, const char *root_flag, const char *id, bool lock, struct record *rec)
{
	cdir_open_existing(d, root, root_flag, id);
	if (lock)
		cdir_lock(d);
	if (!record_read(d, rec))
		fail(id, "container does not exist");
}
