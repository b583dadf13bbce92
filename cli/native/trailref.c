/* Where a container's audit trail is: the state directory's audit.json
 * ({"dir", "id", "seq"}, cli/audit/store.ts parseTrailRef), read back as
 * input, and the trail's text read through the store's gate — the store and
 * the id's directory opened and checked like --root and a state directory. */
#include "front.h"
#include <limits.h>
#include <stdio.h>
#include <string.h>

bool trailref_read(struct cdir *d, struct trailref *ref)
{
	size_t len;
	char *bytes = cdir_read(d, "audit.json", 4096, &len);
	if (!bytes)
		return false;
	const char *err;
	mp *doc = json_parse(bytes, len, &err);
	const mp *dir = doc ? mp_get(doc, "dir") : NULL, *id = doc ? mp_get(doc, "id") : NULL, *seq = doc ? mp_get(doc, "seq") : NULL;
	if (!dir || dir->type != MP_STR || dir->s[0] != '/' || strlen(dir->s) >= sizeof ref->dir || !id || id->type != MP_STR ||
	    strcmp(id->s, d->id) != 0 || !seq || seq->type != MP_INT || seq->i < 1 || seq->i > 999999999)
		fail(NULL, "%s/audit.json is not a trail reference planc wrote; left alone", d->path);
	snprintf(ref->dir, sizeof ref->dir, "%s", dir->s);
	ref->id = d->id;
	ref->seq = (long)seq->i;
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
