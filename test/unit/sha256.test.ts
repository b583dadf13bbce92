// The executor's sha256 (executor/native/sha256.c, through the test-only
// build/test/planc-sha256) against the FIPS 180-4 / NIST test vectors and
// against the planner's (planner/sha256.ts) on the same bytes: the plan
// digest and the audit chain must mean the same on both sides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { sha256Hex } from '../../planner/sha256.js';

const TOOL = new URL('../../build/test/planc-sha256', import.meta.url).pathname;

function native(data: Uint8Array, chunk = 4096): string {
  assert.ok(existsSync(TOOL), `${TOOL} is built by scripts/build.mjs`);
  const r = spawnSync(TOOL, [String(chunk)], { input: data, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

// FIPS 180-4 examples (NIST CSRC "SHA-256" example values, and the long-message vector).
const VECTORS: [string, Uint8Array, string][] = [
  ['empty', new Uint8Array(), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  ['"abc"', Buffer.from('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
  ['448 bits', Buffer.from('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'), '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'],
  ['896 bits', Buffer.from('abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu'), 'cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1'],
  ['one million "a"', Buffer.alloc(1_000_000, 'a'), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0'],
];

test('executor sha256: the FIPS 180-4 test vectors, read in chunks across block boundaries', () => {
  for (const [what, data, want] of VECTORS) {
    for (const chunk of [1, 3, 55, 56, 63, 64, 65, 4096]) {
      if (data.length > 10_000 && chunk < 55) continue; // a million one-byte reads prove nothing more
      assert.equal(native(data, chunk), want, `${what}, read ${chunk} bytes at a time`);
    }
    assert.equal(sha256Hex(data), want, `planner/sha256.ts on ${what}`);
  }
});

test('executor sha256 and planner sha256 agree on every length around the padding boundaries', () => {
  // A fixed pseudo-random byte stream (xorshift32, seed 1): the same bytes on every run.
  let x = 1;
  const bytes = new Uint8Array(300);
  for (let k = 0; k < bytes.length; k++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[k] = x & 0xff;
  }
  for (const len of [0, 1, 54, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 191, 192, 255, 256, 300]) {
    const data = bytes.subarray(0, len);
    assert.equal(native(data, 7), sha256Hex(data), `${len} bytes`);
  }
});
