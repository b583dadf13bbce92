// The command table oclif loads (explicit strategy: no directory scan at start-up).
import Audit from './commands/audit.js';
import Create from './commands/create.js';
import Delete from './commands/delete.js';
import Explain from './commands/explain.js';
import Kill from './commands/kill.js';
import List from './commands/list.js';
import PlanCmd from './commands/plan.js';
import Run from './commands/run.js';
import Spec from './commands/spec.js';
import Start from './commands/start.js';
import State from './commands/state.js';

export const COMMANDS = { audit: Audit, create: Create, delete: Delete, explain: Explain, kill: Kill, list: List, plan: PlanCmd, run: Run, spec: Spec, start: Start, state: State };
