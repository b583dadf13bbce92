import { defineVerb } from '../verb.js';
import { idArg } from '../flags.js';
import { frontGlobals, runFront } from '../native-front.js';

export default defineVerb({
  summary: 'list the processes running in a container (json: their host pids)',
  args: idArg,
  flags: { format: { type: 'string', char: 'f', options: ['table', 'json'], default: 'table', description: 'table (ps -ef lines) or json (an array of pids)' } },
  run(args, flags) {
    // Served by the native front (cli/native/ps.c).
    runFront([...frontGlobals(flags), 'ps', `--format=${flags.format}`, '--', args.id]);
  },
});
