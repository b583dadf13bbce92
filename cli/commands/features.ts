import { defineVerb } from '../verb.js';
import { features } from '../../planner/features.js';

export default defineVerb({
  summary: 'print what this runtime supports (runtime-spec features JSON)',
  args: {},
  flags: {},
  run() {
    process.stdout.write(JSON.stringify(features(), null, 2) + '\n');
  },
});
