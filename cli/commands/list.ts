import { defineVerb } from '../verb.js';
import { frontGlobals, runFront } from '../native-front.js';

export default defineVerb({
  summary: 'list containers',
  args: {},
  flags: {
    format: { type: 'string', char: 'f', options: ['table', 'json'], default: 'table', description: 'output format' },
    quiet: { type: 'boolean', char: 'q', description: 'print only container ids' },
  },
  run(_args, flags) {
    // Served by the native front (cli/native/list.c).
    runFront([...frontGlobals(flags), 'list', `--format=${flags.format}`, ...(flags.quiet ? ['--quiet'] : [])]);
  },
});
