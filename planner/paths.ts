// POSIX path arithmetic without node:path (the planner must run in a browser).

export function isAbsolute(p: string): boolean {
  return p.startsWith('/');
}

/** Normalise an absolute path lexically: no '.', '..' or repeated slashes; '..' stops at '/'. */
export function clean(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return '/' + out.join('/');
}

export function join(base: string, rel: string): string {
  return clean(isAbsolute(rel) ? rel : `${base}/${rel}`);
}

export function dirname(p: string): string {
  const c = clean(p);
  return c.slice(0, c.lastIndexOf('/')) || '/';
}

/** Is `p` equal to `dir` or below it (both clean, absolute)? */
export function within(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir === '/' ? '/' : dir + '/');
}

/** A JSON pointer (RFC 6901) from path segments. */
export function pointer(...segments: (string | number)[]): string {
  return segments.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

/** `p` taken as a path below `base`, even when `p` is absolute (cgroup paths inside a hierarchy). */
export function under(base: string, p: string): string {
  return clean(`${base}/${p}`);
}

/** Bytes of the UTF-8 encoding (no TextEncoder: the planner also runs in bare JavaScript engines). */
export function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return n;
}
