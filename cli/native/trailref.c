/* Where a container's audit trail is: the state directory's audit.json
 * ({"dir", "id", "seq"}, cli/audit/store.ts parseTrailRef), read back as
 * input, and the trail's text read through the store's gate — the store and
 * the id's directory opened and checked like --root and a state directory. */
#include "front.h"
#include <limits.h>
#include <stdio.h>
#include <string.h>

/* A key's value as JSON.parse keeps it: the last of a repeated key. */
static const mp *last_of(const mp *map, const char *key)
{
	const mp *v = NULL;
	for (uint32_t k = 0; map && map->type == MP_MAP && k < map->len; k++)
		if (map->kids[2 * k].type == MP_STR && !strcmp(map->kids[2 * k].s, key))
			v = &map->kids[2 * k + 1];
	return v;
}

bool trailref_read(struct cdir *d, struct trailref *ref)
{
	size_t len;
	char *bytes = cdir_read(d, "audit.json", 4096, &len);
	if (!bytes)
		return false;
	const char *err;
	mp *doc = json_parse(bytes, len, &err);
	const mp *dir = last_of(doc, "dir"), *id = last_of(doc, "id"), *seq = last_of(doc, "seq");
	/* parseTrailRef: seq any safe integer from 1 (1.0 and 1e0 are 1 to JSON.parse). */
	double n = !seq ? 0 : seq->type == MP_INT ? (double)seq->i : seq->type == MP_FLOAT ? seq->f : 0;
	if (!dir || dir->type != MP_STR || dir->s[0] != '/' || strlen(dir->s) >= sizeof ref->dir || !id || id->type != MP_STR ||
	    strcmp(id->s, d->id) != 0 || !(n >= 1 && n <= 9007199254740991.0 && n == (double)(long)n))
		fail(NULL, "%s/audit.json is not a trail reference planc wrote; left alone", d->path);
	snprintf(ref->dir, sizeof ref->dir, "%s", dir->s);
	ref->id = d->id;
	ref->seq = (long)n;
	return true;
}

char *trail_text(const struct trailref *ref, size_t *len)
{
	struct root store;
	if (!root_open_as(&store, ref->dir, "--audit-dir"))
		return NULL;
	struct cdir dir;
	if (!cdir_open(&dir, &store, ref->id))
		return NULL;
	char name[64];
	snprintf(name, sizeof name, "%ld.audit.jsonl", ref->seq);
	return cdir_read(&dir, name, (size_t)64 << 20, len);
}
