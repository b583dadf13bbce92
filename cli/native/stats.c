// What `events --stats` reports: the container's cgroup statistics in the
// JSON shape of runc 1.1's `events --stats` (its types.Stats), which engines
// decode (containerd's `ctr task metrics`, podman's stats through conmon).
// Field names, nesting and which zero fields are left out follow runc's JSON
// tags (omitempty on numbers, lists and maps; structs always present), so a
// client's decoder sees the same document. Each function names the TS original
// it was ported from (cli/state/stats.ts, live.ts controllerDirs/readControl,
// host-facts.ts cgroupMounts; gone since) where the rules came from.
//
// Numbers are kept in 128 bits: a v2 swap limit of memory.max ("max",
// 2^64-1) plus memory.swap.max is beyond 64 bits, and is printed exactly.
// Only ASCII whitespace is trimmed (cgroupfs writes no other); a digit
// string of more than 38 digits saturates (the kernel writes at most 20).
#include "front.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef unsigned __int128 u128;

#define MAX_U64 ((u128)UINT64_MAX)

// ---------------------------------------------------------------------------
// Text and numbers

static bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

/** /^[0-9]+$/ */
static bool is_digits(const char *s) {
	if (!*s) return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9') return false;
	return true;
}

/** BigInt(s) of a digit string (saturating far beyond anything the kernel writes). */
static u128 dec(const char *s) {
	u128 v = 0;
	for (; *s; s++) {
		if (v > (~(u128)0 - 9) / 10) return ~(u128)0;
		v = v * 10 + (u128)(*s - '0');
	}
	return v;
}

static _Noreturn void no_memory(void) { fail(NULL, "out of memory"); }

/** The digits of v, written at the end of t[48]; returns where they start. */
static char *u128_str(u128 v, char t[48]) {
	size_t i = 47;
	t[i] = 0;
	do {
		t[--i] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v);
	return t + i;
}

static void jb_u128(struct jbuf *jb, u128 v) {
	char t[48];
	jb_num(jb, u128_str(v, t));
}

static void key_num(struct jbuf *jb, const char *key, u128 v) {
	jb_key(jb, key);
	jb_u128(jb, v);
}

/** Set `key` only when the number is not zero (Go's omitempty). */
static void omit_zero(struct jbuf *jb, const char *key, u128 v) {
	if (v != 0) key_num(jb, key, v);
}

char *read_file(const char *path) {
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return NULL;
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	for (;;) {
		if (!buf) no_memory();
		if (len + 1 >= cap) {
			buf = realloc(buf, cap *= 2);
			continue;
		}
		ssize_t r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR) continue;
		if (r <= 0) {
			close(fd);
			if (r == 0) {
				buf[len] = 0;
				return buf;
			}
			free(buf);
			return NULL;
		}
		len += (size_t)r;
	}
}

/** readControl: a control file's contents, trimmed; NULL when it cannot be read (absent, cgroup gone). */
static char *rd(const char *dir, const char *file) {
	if (!dir) return NULL;
	char *path;
	if (asprintf(&path, "%s/%s", dir, file) < 0) no_memory();
	char *buf = read_file(path);
	free(path);
	if (!buf) return NULL;
	size_t len = strlen(buf), a = 0;
	while (a < len && is_ws(buf[a])) a++;
	while (len > a && is_ws(buf[len - 1])) len--;
	memmove(buf, buf + a, len - a);
	buf[len - a] = 0;
	return buf;
}

/** readControl of a file named by a pattern ("hugetlb.%s.current"). */
static char *rdf(const char *dir, const char *fmt, const char *arg) {
	char *name;
	if (asprintf(&name, fmt, arg) < 0) no_memory();
	char *text = rd(dir, name);
	free(name);
	return text;
}

/** uint: "max" is 2^64-1, anything but digits (negative, absent) 0. Frees text. */
static u128 uint_of(char *text) {
	u128 v = 0;
	if (!text) return 0;
	if (strcmp(text, "max") == 0) v = MAX_U64;
	else if (is_digits(text)) v = dec(text);
	free(text);
	return v;
}

// The next line of a text cut in place: NULL at the end.
static char *next_line(char **cur) {
	char *s = *cur;
	if (!s) return NULL;
	char *nl = strchr(s, '\n');
	if (nl) {
		*nl = 0;
		*cur = nl + 1;
	} else {
		*cur = NULL;
	}
	return s;
}

// The next whitespace-separated token of a line, cut in place (split(/\s+/) after trim()).
static char *next_token(char **cur, bool (*sep)(char)) {
	char *s = *cur;
	while (*s && sep(*s)) s++;
	if (!*s) {
		*cur = s;
		return NULL;
	}
	char *t = s;
	while (*s && !sep(*s)) s++;
	if (*s) *s++ = 0;
	*cur = s;
	return t;
}

// "key value" lines: keyValues. Keys point into the owned text.
struct kv {
	const char *k;
	u128 v;
};
struct kvs {
	struct kv *e;
	size_t n;
	char *text;
};

static void kvs_free(struct kvs *m) {
	free(m->e);
	free(m->text);
}

/** keyValues(text): a later line of the same key changes its value, not its place (a JS Map). Takes text. */
static struct kvs key_values(char *text) {
	struct kvs m = {.text = text};
	char *cur = text;
	for (char *line; (line = next_line(&cur));) {
		char *k = next_token(&line, is_ws), *v = next_token(&line, is_ws);
		if (!k || !v || !is_digits(v)) continue;
		size_t i = 0;
		while (i < m.n && strcmp(m.e[i].k, k) != 0) i++;
		if (i == m.n) {
			struct kv *e = realloc(m.e, (m.n + 1) * sizeof *e);
			if (!e) {
				no_memory();
			}
			m.e = e;
			m.n++;
		}
		m.e[i] = (struct kv){k, dec(v)};
	}
	return m;
}

static u128 kv_get(const struct kvs *m, const char *k) {
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->e[i].k, k) == 0) return m->e[i].v;
	return 0;
}

/** A canonical array index ("0", "17", up to 2^32-2): JS objects list such keys first, in numeric order. */
static bool array_index(const char *k, uint64_t *v) {
	if (!is_digits(k) || (k[0] == '0' && k[1]) || strlen(k) > 10) return false;
	*v = strtoull(k, NULL, 10);
	return *v <= 4294967294ULL;
}

static int raw_order(const void *pa, const void *pb) {
	const struct kv *a = pa, *b = pb;
	uint64_t x, y;
	bool ia = array_index(a->k, &x), ib = array_index(b->k, &y);
	if (ia != ib) return ia ? -1 : 1;
	if (ia) return x < y ? -1 : x > y;
	return strcmp(a->k, b->k);
}

/** sortedObject: keys sorted, then as Object.fromEntries lists them. */
static void sorted_object(struct jbuf *jb, struct kvs *m) {
	qsort(m->e, m->n, sizeof *m->e, raw_order);
	jb_obj_begin(jb);
	for (size_t i = 0; i < m->n; i++) key_num(jb, m->e[i].k, m->e[i].v);
	jb_obj_end(jb);
}

// ---------------------------------------------------------------------------
// Which directory serves which controller (live.ts controllerDirs)

struct mount {
	int version;
	char *name; // v1: "cpu,cpuacct", "name=systemd"; v2: ""
	char *mountpoint;
};

struct layout {
	struct mount *m;
	size_t nm;
	char *text; // mountinfo, which the names and mountpoints point into
	int version;
	struct {
		const char *name, *path;
	} v1[64];
	size_t nv1;
	const char *v2;
};

/** \NNN octal escapes of mountinfo (space, tab, newline, backslash), in place. */
static void unescape(char *s) {
	char *o = s;
	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
			s += 4;
		} else {
			*o++ = *s++;
		}
	}
	*o = 0;
}


/** Options of a v1 superblock that name no controller. */
static bool not_a_controller(const char *o) {
	return !strcmp(o, "rw") || !strcmp(o, "ro") || !strncmp(o, "release_agent", 13) || !strcmp(o, "clone_children") || !strcmp(o, "noprefix") || !strcmp(o, "xattr");
}

/** host-facts.ts cgroupMounts: every cgroup hierarchy in /proc/self/mountinfo, the first mount of each. */
static void read_mounts(struct layout *l) {
	l->text = rd("/proc/self", "mountinfo");
	if (!l->text) fail(NULL, "read /proc/self/mountinfo: %s", errno_words(errno));
	char *cur = l->text;
	for (char *line; (line = next_line(&cur));) {
		char *sep = strstr(line, " - ");
		if (!sep) continue;
		*sep = 0;
		char *after = sep + 3;
		// split(' ')[4]: the fifth field, empty fields counted (no run-collapsing).
		char *mp = line;
		for (int f = 0; f < 4 && mp; f++) mp = strchr(mp, ' ') ? strchr(mp, ' ') + 1 : NULL;
		if (!mp) mp = "";
		char *end = strchr(mp, ' ');
		if (end) *end = 0;
		unescape(mp);
		char *fstype = after, *opts = NULL;
		char *p = strchr(after, ' ');
		if (p) {
			*p = 0;
			char *src = p + 1;
			p = strchr(src, ' ');
			if (p) {
				opts = p + 1;
				char *e = strchr(opts, ' ');
				if (e) *e = 0;
			}
		}
		if (!opts) opts = "";
		struct mount m = {0};
		if (strcmp(fstype, "cgroup2") == 0) {
			bool seen = false;
			for (size_t i = 0; i < l->nm; i++) seen |= l->m[i].version == 2;
			if (seen) continue;
			m = (struct mount){2, "", mp};
		} else if (strcmp(fstype, "cgroup") == 0) {
			// The controller names: superOpts without the options that are not one, in place.
			char *w = opts, *o = opts;
			for (char *opt; (opt = strsep(&o, ","));) {
				if (not_a_controller(opt)) continue;
				if (w != opts) *w++ = ',';
				memmove(w, opt, strlen(opt));
				w += strlen(opt);
			}
			*w = 0;
			bool seen = false;
			for (size_t i = 0; i < l->nm; i++) seen |= l->m[i].version == 1 && strcmp(l->m[i].name, opts) == 0;
			if (!*opts || seen) continue;
			m = (struct mount){1, opts, mp};
		} else {
			continue;
		}
		struct mount *n = realloc(l->m, (l->nm + 1) * sizeof *n);
		if (!n) no_memory();
		l->m = n;
		l->m[l->nm++] = m;
	}
}

/** The mount a cgroup directory lies in: the longest mountpoint that is it or above it. */
static const struct mount *mount_of(const struct layout *l, const char *path) {
	const struct mount *best = NULL;
	for (size_t i = 0; i < l->nm; i++) {
		const char *mp = l->m[i].mountpoint;
		size_t n = strlen(mp);
		bool in = strcmp(path, mp) == 0 || (strncmp(path, mp, n) == 0 && path[n] == '/');
		if (in && (!best || n > strlen(best->mountpoint))) best = &l->m[i];
	}
	return best;
}

static const char *v1_dir(const struct layout *l, const char *name) {
	for (size_t i = 0; i < l->nv1; i++)
		if (strcmp(l->v1[i].name, name) == 0) return l->v1[i].path;
	return NULL;
}

/** controllerDirs: v1 → per controller (first cgroup wins), v2 → the first cgroup2 directory. */
static void controller_dirs(struct layout *l, const struct cgroup *cg, int n) {
	read_mounts(l);
	for (int i = 0; i < n; i++) {
		if (!cgroup_still_owned(&cg[i])) continue;
		const struct mount *m = mount_of(l, cg[i].path);
		if (!m) continue;
		if (m->version == 2) {
			if (!l->v2) l->v2 = cg[i].path;
			continue;
		}
		// m->name is split in a copy: other cgroups may lie in the same mount.
		const char *s = m->name;
		while (true) {
			const char *e = strchr(s, ',');
			size_t len = e ? (size_t)(e - s) : strlen(s);
			char *name = strndup(s, len);
			if (!name) no_memory();
			if (strncmp(name, "name=", 5) != 0 && !v1_dir(l, name) && l->nv1 < sizeof l->v1 / sizeof l->v1[0]) {
				l->v1[l->nv1].name = name;
				l->v1[l->nv1++].path = cg[i].path;
			} else {
				free(name);
			}
			if (!e) break;
			s = e + 1;
		}
	}
	l->version = l->nv1 > 0 || !l->v2 ? 1 : 2;
}

static void layout_free(struct layout *l) {
	for (size_t i = 0; i < l->nv1; i++) free((char *)l->v1[i].name);
	free(l->m);
	free(l->text);
}

// ---------------------------------------------------------------------------
// Pieces of the stats

static void memory_entry(struct jbuf *jb, const char *key, u128 limit, u128 usage, u128 max, u128 failcnt) {
	jb_key(jb, key);
	jb_obj_begin(jb);
	key_num(jb, "limit", limit);
	omit_zero(jb, "usage", usage);
	omit_zero(jb, "max", max);
	key_num(jb, "failcnt", failcnt);
	jb_obj_end(jb);
}

/** v1MemoryEntry: memory.<prefix>{usage,max_usage,failcnt,limit}, zeros where the kernel has no such accounting. */
static void v1_memory_entry(struct jbuf *jb, const char *key, const char *dir, const char *prefix) {
	char *usage = rdf(dir, "%s.usage_in_bytes", prefix);
	if (!usage) return memory_entry(jb, key, 0, 0, 0, 0);
	u128 limit = uint_of(rdf(dir, "%s.limit_in_bytes", prefix));
	u128 used = uint_of(usage);
	u128 max = uint_of(rdf(dir, "%s.max_usage_in_bytes", prefix));
	memory_entry(jb, key, limit, used, max, uint_of(rdf(dir, "%s.failcnt", prefix)));
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/** hugePageSizes: the page sizes this kernel offers, named as runc names them ("2MB", "1GB"), in readdir-sorted order. */
static size_t huge_page_sizes(char names[][48], size_t max) {
	DIR *d = opendir("/sys/kernel/mm/hugepages");
	if (!d) return 0;
	char *found[64];
	size_t n = 0;
	for (struct dirent *e; n < 64 && (e = readdir(d));) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
		if ((found[n] = strdup(e->d_name))) n++;
		else no_memory();
	}
	closedir(d);
	qsort(found, n, sizeof *found, by_name); // Node's readdirSync lists names sorted (libuv scandir)
	static const char *units[] = {"B", "KB", "MB", "GB", "TB", "PB"};
	size_t out = 0;
	for (size_t i = 0; i < n; i++) {
		const char *s = found[i];
		size_t len = strlen(s);
		if (out < max && strncmp(s, "hugepages-", 10) == 0 && len > 12 && strcmp(s + len - 2, "kB") == 0) {
			char digits[40];
			size_t dl = len - 12;
			if (dl < sizeof digits) {
				memcpy(digits, s + 10, dl);
				digits[dl] = 0;
				if (is_digits(digits)) {
					double size = strtod(digits, NULL) * 1024;
					int u = 0;
					while (size >= 1024 && u < 5) size /= 1024, u++;
					char num[JB_DOUBLE_MAX];
					jb_format_double(size, num);
					snprintf(names[out++], 48, "%s%s", num, units[u]);
				}
			}
		}
		free(found[i]);
	}
	return out;
}

/** The digits of a cpuset list as JS numbers: "0-2,4" → [0,1,2,4], at most 65536 of them (cpuList). */
static void cpu_list(struct jbuf *jb, const char *key, char *text) {
	size_t count = 0;
	bool open = false;
	char *cur = text;
	for (char *part; cur && (part = strsep(&cur, ","));) {
		// part.trim(), then /^([0-9]+)(?:-([0-9]+))?$/
		while (is_ws(*part)) part++;
		size_t len = strlen(part);
		while (len && is_ws(part[len - 1])) part[--len] = 0;
		char *dash = strchr(part, '-');
		if (dash) *dash = 0;
		if (!is_digits(part) || (dash && !is_digits(dash + 1))) continue;
		double k = strtod(part, NULL), end = dash ? strtod(dash + 1, NULL) : k;
		for (; k <= end && count < 65536; k++, count++) {
			if (!open) {
				jb_key(jb, key);
				jb_arr_begin(jb);
				open = true;
			}
			jb_double(jb, k);
		}
	}
	if (open) jb_arr_end(jb);
	free(text);
}

/** cpusetStats: cpus and mems only when listed, every flag always. */
static void cpuset_stats(struct jbuf *jb, const char *dir) {
	static const char *flags[] = {"mem_hardwall", "mem_exclusive", "memory_migrate", "memory_spread_page", "memory_spread_slab", "memory_pressure", "sched_load_balance"};
	jb_key(jb, "cpuset");
	jb_obj_begin(jb);
	cpu_list(jb, "cpus", rd(dir, "cpuset.cpus"));
	key_num(jb, "cpu_exclusive", uint_of(rd(dir, "cpuset.cpu_exclusive")));
	cpu_list(jb, "mems", rd(dir, "cpuset.mems"));
	for (size_t i = 0; i < sizeof flags / sizeof *flags; i++) key_num(jb, flags[i], uint_of(rdf(dir, "cpuset.%s", flags[i])));
	// The one signed field: -1 is the kernel's "system default".
	char *level = rd(dir, "cpuset.sched_relax_domain_level");
	jb_key(jb, "sched_relax_domain_level");
	if (level && is_digits(level[0] == '-' ? level + 1 : level)) {
		u128 v = dec(level[0] == '-' ? level + 1 : level);
		char t[48], *digits = u128_str(v, t);
		if (level[0] == '-' && v != 0) *--digits = '-'; // BigInt("-0") is 0
		jb_num(jb, digits);
	} else {
		jb_num(jb, "0");
	}
	free(level);
	jb_obj_end(jb);
}

// Blkio entries: "8:0 Read 4096" lines (v1), or what io.stat gives (v2).
struct blk_e {
	u128 major, minor, value;
	const char *op; // "" when none
};
struct blk {
	struct blk_e *e;
	size_t n;
	char *text;
	bool null; // the file could not be read
};

static void blk_free(struct blk *b) {
	free(b->e);
	free(b->text);
	*b = (struct blk){0};
}

static void blk_push(struct blk *b, struct blk_e e) {
	struct blk_e *n = realloc(b->e, (b->n + 1) * sizeof *n);
	if (!n) {
		no_memory();
	}
	b->e = n;
	b->e[b->n++] = e;
}

static bool is_blk_sep(char c) { return c == ' ' || c == ':'; }

/** blkioEntries: per line, fields split at runs of spaces and colons; the "Total" line has too few. Takes text. */
static struct blk blkio_entries(char *text) {
	struct blk b = {.text = text, .null = !text};
	char *cur = text;
	for (char *line; (line = next_line(&cur));) {
		char *f[5];
		size_t nf = 0;
		char *s = line;
		for (char *t; (t = next_token(&s, is_blk_sep));) {
			if (nf < 5) f[nf] = t;
			nf++;
		}
		if (nf < 3 || !is_digits(f[0]) || !is_digits(f[1])) continue;
		const char *op = nf == 4 ? f[2] : "";
		const char *value = f[nf == 4 ? 3 : 2];
		if (!is_digits(value)) continue;
		blk_push(&b, (struct blk_e){dec(f[0]), dec(f[1]), dec(value), op});
	}
	return b;
}

static void blk_list(struct jbuf *jb, const char *key, const struct blk *b) {
	jb_key(jb, key);
	jb_arr_begin(jb);
	for (size_t i = 0; i < b->n; i++) {
		jb_obj_begin(jb);
		omit_zero(jb, "major", b->e[i].major);
		omit_zero(jb, "minor", b->e[i].minor);
		if (b->e[i].op[0]) {
			jb_key(jb, "op");
			jb_str(jb, b->e[i].op);
		}
		omit_zero(jb, "value", b->e[i].value);
		jb_obj_end(jb);
	}
	jb_arr_end(jb);
}

// The order of the keys in runc's JSON.
static const char *const BLKIO_KEYS[] = {"ioServiceBytesRecursive", "ioServicedRecursive", "ioQueueRecursive", "ioServiceTimeRecursive", "ioWaitTimeRecursive", "ioMergedRecursive", "ioTimeRecursive", "sectorsRecursive"};
enum { SERVICE_BYTES, SERVICED, QUEUE, SERVICE_TIME, WAIT_TIME, MERGED, TIME, SECTORS, NKEYS };

// runc's blkio sources, best first: BFQ with debug stats, BFQ, CFQ, the throttle layer (recursive, then not).
static const struct {
	const char *file;
	int key;
} BLKIO_GROUPS[][8] = {
	{{"blkio.bfq.sectors_recursive", SECTORS}, {"blkio.bfq.io_service_time_recursive", SERVICE_TIME}, {"blkio.bfq.io_wait_time_recursive", WAIT_TIME}, {"blkio.bfq.io_merged_recursive", MERGED}, {"blkio.bfq.io_queued_recursive", QUEUE}, {"blkio.bfq.time_recursive", TIME}, {"blkio.bfq.io_serviced_recursive", SERVICED}, {"blkio.bfq.io_service_bytes_recursive", SERVICE_BYTES}},
	{{"blkio.bfq.io_serviced_recursive", SERVICED}, {"blkio.bfq.io_service_bytes_recursive", SERVICE_BYTES}},
	{{"blkio.sectors_recursive", SECTORS}, {"blkio.io_service_time_recursive", SERVICE_TIME}, {"blkio.io_wait_time_recursive", WAIT_TIME}, {"blkio.io_merged_recursive", MERGED}, {"blkio.io_queued_recursive", QUEUE}, {"blkio.time_recursive", TIME}, {"blkio.io_serviced_recursive", SERVICED}, {"blkio.io_service_bytes_recursive", SERVICE_BYTES}},
	{{"blkio.throttle.io_serviced_recursive", SERVICED}, {"blkio.throttle.io_service_bytes_recursive", SERVICE_BYTES}},
	{{"blkio.throttle.io_serviced", SERVICED}, {"blkio.throttle.io_service_bytes", SERVICE_BYTES}},
};

/** v1Blkio: the first source whose first file has entries is the one the kernel keeps. */
static void v1_blkio(struct jbuf *jb, const char *dir) {
	struct blk found[NKEYS] = {0};
	for (size_t g = 0; dir && g < sizeof BLKIO_GROUPS / sizeof *BLKIO_GROUPS; g++) {
		struct blk first = blkio_entries(rd(dir, BLKIO_GROUPS[g][0].file));
		bool use = first.n > 0;
		blk_free(&first);
		if (!use) continue;
		for (size_t f = 0; f < 8 && BLKIO_GROUPS[g][f].file; f++) {
			int k = BLKIO_GROUPS[g][f].key;
			blk_free(&found[k]);
			found[k] = blkio_entries(rd(dir, BLKIO_GROUPS[g][f].file));
		}
		break;
	}
	jb_key(jb, "blkio");
	jb_obj_begin(jb);
	for (int k = 0; k < NKEYS; k++)
		if (found[k].n > 0) blk_list(jb, BLKIO_KEYS[k], &found[k]);
	jb_obj_end(jb);
	for (int k = 0; k < NKEYS; k++) blk_free(&found[k]);
}

/** The list of a "cpu user system" row table (cpuacct.usage_all), one column. */
static void column(struct jbuf *jb, const char *key, char *rows[][3], size_t n, int col) {
	jb_key(jb, key);
	jb_arr_begin(jb);
	for (size_t i = 0; i < n; i++) jb_u128(jb, dec(rows[i][col]));
	jb_arr_end(jb);
}

static void stats_v1(struct jbuf *jb, const struct layout *l) {
	const char *acct = v1_dir(l, "cpuacct"), *cpu = v1_dir(l, "cpu"), *mem = v1_dir(l, "memory");
	jb_key(jb, "cpu");
	jb_obj_begin(jb);
	jb_key(jb, "usage");
	jb_obj_begin(jb);
	if (acct) {
		omit_zero(jb, "total", uint_of(rd(acct, "cpuacct.usage")));
		char *percpu = rd(acct, "cpuacct.usage_percpu");
		bool open = false;
		char *cur = percpu ? percpu : "";
		for (char *t; (t = next_token(&cur, is_ws));) {
			if (!is_digits(t)) continue;
			if (!open) jb_key(jb, "percpu"), jb_arr_begin(jb), open = true;
			jb_u128(jb, dec(t));
		}
		if (open) jb_arr_end(jb);
		free(percpu);
		// "cpu user system" per line, after a header; a row is three fields split at single spaces, all digits.
		char *all = rd(acct, "cpuacct.usage_all");
		char *(*rows)[3] = NULL;
		size_t nrows = 0;
		char *c2 = all;
		next_line(&c2);
		for (char *line; (line = next_line(&c2));) {
			char *f[3];
			size_t nf = 0;
			for (char *s = line, *t; (t = strsep(&s, " "));) {
				if (nf < 3) f[nf] = t;
				nf++;
			}
			if (nf != 3 || !is_digits(f[0]) || !is_digits(f[1]) || !is_digits(f[2])) continue;
			char *(*r)[3] = realloc(rows, (nrows + 1) * sizeof *rows);
			if (!r) {
				no_memory();
			}
			rows = r;
			memcpy(rows[nrows++], f, sizeof f);
		}
		if (nrows > 0) {
			column(jb, "percpu_kernel", rows, nrows, 2);
			column(jb, "percpu_user", rows, nrows, 1);
		}
		free(rows);
		free(all);
		// cpuacct.stat is in USER_HZ ticks (100 a second on Linux).
		struct kvs ticks = key_values(rd(acct, "cpuacct.stat"));
		key_num(jb, "kernel", kv_get(&ticks, "system") * 1000000000 / 100);
		key_num(jb, "user", kv_get(&ticks, "user") * 1000000000 / 100);
		kvs_free(&ticks);
	} else {
		key_num(jb, "kernel", 0);
		key_num(jb, "user", 0);
	}
	jb_obj_end(jb);
	struct kvs cs = key_values(rd(cpu, "cpu.stat"));
	jb_key(jb, "throttling");
	jb_obj_begin(jb);
	omit_zero(jb, "periods", kv_get(&cs, "nr_periods"));
	omit_zero(jb, "throttledPeriods", kv_get(&cs, "nr_throttled"));
	omit_zero(jb, "throttledTime", kv_get(&cs, "throttled_time"));
	jb_obj_end(jb);
	kvs_free(&cs);
	jb_obj_end(jb);

	cpuset_stats(jb, v1_dir(l, "cpuset"));

	struct kvs raw = key_values(rd(mem, "memory.stat"));
	jb_key(jb, "memory");
	jb_obj_begin(jb);
	omit_zero(jb, "cache", kv_get(&raw, "cache"));
	v1_memory_entry(jb, "usage", mem, "memory");
	v1_memory_entry(jb, "swap", mem, "memory.memsw");
	v1_memory_entry(jb, "kernel", mem, "memory.kmem");
	v1_memory_entry(jb, "kernelTCP", mem, "memory.kmem.tcp");
	if (raw.n > 0) jb_key(jb, "raw"), sorted_object(jb, &raw);
	jb_obj_end(jb);
	kvs_free(&raw);

	const char *pids = v1_dir(l, "pids");
	jb_key(jb, "pids");
	jb_obj_begin(jb);
	if (pids) {
		omit_zero(jb, "current", uint_of(rd(pids, "pids.current")));
		u128 max = uint_of(rd(pids, "pids.max"));
		omit_zero(jb, "limit", max == MAX_U64 ? 0 : max); // runc reports "no limit" as 0
	}
	jb_obj_end(jb);

	v1_blkio(jb, v1_dir(l, "blkio"));

	const char *huge = v1_dir(l, "hugetlb");
	jb_key(jb, "hugetlb");
	jb_obj_begin(jb);
	if (huge) {
		char sizes[16][48];
		size_t n = huge_page_sizes(sizes, 16);
		for (size_t i = 0; i < n; i++) {
			jb_key(jb, sizes[i]);
			jb_obj_begin(jb);
			omit_zero(jb, "usage", uint_of(rdf(huge, "hugetlb.%s.usage_in_bytes", sizes[i])));
			omit_zero(jb, "max", uint_of(rdf(huge, "hugetlb.%s.max_usage_in_bytes", sizes[i])));
			key_num(jb, "failcnt", uint_of(rdf(huge, "hugetlb.%s.failcnt", sizes[i])));
			jb_obj_end(jb);
		}
	}
	jb_obj_end(jb);
}

/** io.stat: "8:0 rbytes=… wbytes=… rios=… wios=… …" per device. */
static void v2_blkio(struct jbuf *jb, const char *dir) {
	struct blk bytes = {0}, ios = {0};
	char *text = rd(dir, "io.stat");
	char *cur = text;
	for (char *line; (line = next_line(&cur));) {
		char *dev = next_token(&line, is_ws);
		if (!dev) continue;
		char *colon = strchr(dev, ':');
		if (!colon) continue;
		*colon = 0;
		if (!is_digits(dev) || !is_digits(colon + 1)) continue;
		for (char *item; (item = next_token(&line, is_ws));) {
			char *eq = strchr(item, '=');
			if (!eq) continue;
			*eq = 0;
			char *v = eq + 1, *eq2 = strchr(v, '=');
			if (eq2) *eq2 = 0; // item.split('=')[1]
			if (!is_digits(v)) continue;
			struct blk *table = !strcmp(item, "rbytes") || !strcmp(item, "wbytes") ? &bytes : !strcmp(item, "rios") || !strcmp(item, "wios") ? &ios : NULL;
			if (!table) continue;
			blk_push(table, (struct blk_e){dec(dev), dec(colon + 1), dec(v), item[0] == 'r' ? "Read" : "Write"});
		}
	}
	jb_key(jb, "blkio");
	jb_obj_begin(jb);
	if (bytes.n > 0) blk_list(jb, "ioServiceBytesRecursive", &bytes);
	if (ios.n > 0) blk_list(jb, "ioServicedRecursive", &ios);
	jb_obj_end(jb);
	blk_free(&bytes);
	blk_free(&ios);
	free(text);
}

static void stats_v2(struct jbuf *jb, const char *dir) {
	struct kvs cs = key_values(rd(dir, "cpu.stat"));
	jb_key(jb, "cpu");
	jb_obj_begin(jb);
	jb_key(jb, "usage");
	jb_obj_begin(jb);
	omit_zero(jb, "total", kv_get(&cs, "usage_usec") * 1000);
	key_num(jb, "kernel", kv_get(&cs, "system_usec") * 1000);
	key_num(jb, "user", kv_get(&cs, "user_usec") * 1000);
	jb_obj_end(jb);
	jb_key(jb, "throttling");
	jb_obj_begin(jb);
	omit_zero(jb, "periods", kv_get(&cs, "nr_periods"));
	omit_zero(jb, "throttledPeriods", kv_get(&cs, "nr_throttled"));
	omit_zero(jb, "throttledTime", kv_get(&cs, "throttled_usec") * 1000);
	jb_obj_end(jb);
	jb_obj_end(jb);
	kvs_free(&cs);

	cpuset_stats(jb, dir);

	char *stat_text = rd(dir, "memory.stat");
	bool have_stat = stat_text != NULL;
	struct kvs raw = key_values(stat_text);
	jb_key(jb, "memory");
	jb_obj_begin(jb);
	if (have_stat) {
		omit_zero(jb, "cache", kv_get(&raw, "file"));
		u128 used = uint_of(rd(dir, "memory.current"));
		u128 limit = uint_of(rd(dir, "memory.max"));
		memory_entry(jb, "usage", limit, used, 0, 0);
		// v1 reports swap as memory+swap; runc adds them up on v2 for the same meaning.
		char *swap_used = rd(dir, "memory.swap.current");
		u128 swap_max = uint_of(rd(dir, "memory.swap.max"));
		if (!swap_used) memory_entry(jb, "swap", 0, 0, 0, 0);
		else memory_entry(jb, "swap", swap_max == MAX_U64 ? MAX_U64 : swap_max + limit, uint_of(swap_used) + used, 0, 0);
	} else {
		memory_entry(jb, "usage", 0, 0, 0, 0);
		memory_entry(jb, "swap", 0, 0, 0, 0);
	}
	memory_entry(jb, "kernel", 0, 0, 0, 0);
	memory_entry(jb, "kernelTCP", 0, 0, 0, 0);
	if (raw.n > 0) jb_key(jb, "raw"), sorted_object(jb, &raw);
	jb_obj_end(jb);
	kvs_free(&raw);

	jb_key(jb, "pids");
	jb_obj_begin(jb);
	char *current = rd(dir, "pids.current");
	if (current) {
		omit_zero(jb, "current", uint_of(current));
		u128 max = uint_of(rd(dir, "pids.max"));
		omit_zero(jb, "limit", max == MAX_U64 ? 0 : max);
	} else {
		// Without the pids controller, runc counts cgroup.procs: its non-empty lines.
		char *procs = rd(dir, "cgroup.procs");
		u128 n = 0;
		char *c = procs;
		for (char *line; (line = next_line(&c));) n += line[0] != 0;
		free(procs);
		omit_zero(jb, "current", n);
	}
	jb_obj_end(jb);

	v2_blkio(jb, dir);

	jb_key(jb, "hugetlb");
	jb_obj_begin(jb);
	char sizes[16][48];
	size_t n = huge_page_sizes(sizes, 16);
	for (size_t i = 0; i < n; i++) {
		char *cur = rdf(dir, "hugetlb.%s.current", sizes[i]);
		if (!cur) continue;
		jb_key(jb, sizes[i]);
		jb_obj_begin(jb);
		omit_zero(jb, "usage", uint_of(cur));
		struct kvs ev = key_values(rdf(dir, "hugetlb.%s.events", sizes[i]));
		key_num(jb, "failcnt", kv_get(&ev, "max"));
		kvs_free(&ev);
		jb_obj_end(jb);
	}
	jb_obj_end(jb);
}

void stats_json(struct jbuf *jb, const struct cgroup *cgroups, int n) {
	struct layout l = {0};
	controller_dirs(&l, cgroups, n);
	jb_obj_begin(jb);
	if (l.version == 1) stats_v1(jb, &l);
	else stats_v2(jb, l.v2);
	jb_key(jb, "intel_rdt");
	jb_obj_begin(jb);
	jb_obj_end(jb);
	jb_key(jb, "network_interfaces");
	jb_null(jb);
	jb_obj_end(jb);
	layout_free(&l);
}
