// The native front's JSON writer on numbers (cli/native/json.c, through the
// test-only build/test/planc-json): jb_double writes a double as
// JSON.stringify writes a JS number, jb_num writes digits as given (a value
// wider than 64 bits), and a newline written between two documents takes no
// comma after it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const TOOL = new URL('../../build/test/planc-json', import.meta.url).pathname;

function run(args: string[]): string {
  assert.ok(existsSync(TOOL), `${TOOL} is built by cli/native/build.sh`);
  const r = spawnSync(TOOL, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test('jb_double: numbers as JSON.stringify writes them', () => {
  const texts = ['0', '-0', '1', '1.5', '2048', '9007199254740991', '9007199254740993', '1152921504606846976', '99999999999999999999', '1e21', '123456789012345678901234', '0.1', '0.000001', '0.0000001', '1.7976931348623157e308', '5e-324', '-2.5', '1e400', 'nan'];
  // JS itself is the reference here (what a number reads as, then how JSON.stringify writes it).
  assert.equal(run(texts), `${JSON.stringify(texts.map(Number))}\n{"n":${texts.length},"big":18446744073709551616,"ok":true}`);
  // And literally: the digits JS keeps for 2^60, the forms either side of 1e21 and of 1e-6, the non-finite as null.
  assert.equal(
    run(['1152921504606846976', '1e21', '1e20', '1e-7', '0.000001', '-0', '1e400', '-1e400', '2097152', '0.5']),
    '[1152921504606847000,1e+21,100000000000000000000,1e-7,0.000001,0,null,null,2097152,0.5]\n{"n":10,"big":18446744073709551616,"ok":true}',
  );
});

test('jb_num: digits beyond 64 bits as given, with the commas of the document around them', () => {
  assert.equal(run([]), '[]\n{"n":0,"big":18446744073709551616,"ok":true}');
});
