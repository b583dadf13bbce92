// Where the durable audit store is (cli/audit/store.ts): --audit-dir, then
// PLANC_AUDIT_DIR, then root's /var/lib/planc/audit or, rootless, the user's
// data directory. No root needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auditDirOf, parseTrailRef } from '../../cli/audit/store.js';

test('the audit store: the flag, then the environment, then the default for root or for a rootless user', () => {
  assert.equal(auditDirOf({ 'audit-dir': '/srv/audit' }, { PLANC_AUDIT_DIR: '/elsewhere' }, 0), '/srv/audit');
  assert.equal(auditDirOf({}, { PLANC_AUDIT_DIR: '/elsewhere/' }, 0), '/elsewhere');
  assert.equal(auditDirOf({}, {}, 0), '/var/lib/planc/audit');
  assert.equal(auditDirOf({}, { XDG_DATA_HOME: '/home/u/.data', HOME: '/home/u' }, 1000), '/home/u/.data/planc/audit');
  assert.equal(auditDirOf({}, { HOME: '/home/u' }, 1000), '/home/u/.local/share/planc/audit');
  assert.equal(auditDirOf({}, { XDG_DATA_HOME: 'relative', HOME: '/home/u' }, 1000), '/home/u/.local/share/planc/audit', 'a relative XDG_DATA_HOME is ignored, as the XDG spec says');
  assert.throws(() => auditDirOf({ 'audit-dir': '' }, {}, 0), /--audit-dir "": not a usable directory path/);
});

test('a state directory\'s pointer to its trail is read back as input: only what planc writes is taken', () => {
  const ok = Buffer.from(JSON.stringify({ dir: '/var/lib/planc/audit', id: 'c1', seq: 2 }));
  assert.deepEqual(parseTrailRef(ok, 'c1'), { dir: '/var/lib/planc/audit', id: 'c1', seq: 2 });
  for (const bad of [
    { dir: '/var/lib/planc/audit', id: 'c2', seq: 2 },
    { dir: 'relative', id: 'c1', seq: 2 },
    { dir: '/a\0b', id: 'c1', seq: 2 },
    { dir: '/x', id: 'c1', seq: 0 },
    { dir: '/x', id: 'c1', seq: 1.5 },
  ]) {
    assert.equal(parseTrailRef(Buffer.from(JSON.stringify(bad)), 'c1'), null, JSON.stringify(bad));
  }
  assert.equal(parseTrailRef(Buffer.from('not json'), 'c1'), null);
});
