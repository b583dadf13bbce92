// Schema validation of config.json with the ajv validator compiled ahead of
// time (schemas/generated), so nothing compiles schemas at start-up.
import { PlancError } from '../schemas/error.js';
import validateConfigSchema from '../schemas/generated/validate-config.js';
import type { Config } from './config.js';
import { type Json, withNumbers } from './json.js';

interface AjvError {
  instancePath: string;
  message?: string;
  keyword: string;
  params: Record<string, unknown>;
}

type Validator = ((v: unknown) => boolean) & { errors?: AjvError[] | null };

export function validateConfig(value: Json): Config {
  const validate = validateConfigSchema as Validator;
  if (!validate(withNumbers(value))) {
    // "if" errors only repeat the conditional branch's own, more precise error.
    const details = (validate.errors ?? []).filter((e) => e.keyword !== 'if').map((e) => ({ where: e.instancePath || '/', message: describe(e) }));
    const first = details[0] ?? { where: '/', message: 'invalid config' };
    const more = details.length > 1 ? ` (and ${details.length - 1} more)` : '';
    throw new PlancError('invalid-config', first.message + more, { where: first.where, details });
  }
  return value as unknown as Config;
}

function describe(e: AjvError): string {
  if (e.keyword === 'enum' && Array.isArray(e.params.allowedValues)) return `must be one of ${e.params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  if (e.keyword === 'additionalProperties') return `unknown property ${JSON.stringify(e.params.additionalProperty)}`;
  return e.message ?? e.keyword;
}
