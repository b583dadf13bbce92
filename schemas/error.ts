// The one error shape of planc, shared by planner, executor and CLI.
// It lives beside the schemas because it is part of the contract every
// layer speaks (the executor may not import the planner, and vice versa).

export type ErrorCode =
  | 'invalid-config' // config.json is not valid JSON or not a valid OCI config
  | 'unsupported' // valid, but planc (or this host) cannot do it
  | 'invalid-argument' // a CLI flag or argument is wrong
  | 'not-found' // a container, file or bundle does not exist
  | 'exists' // a container with this id exists already
  | 'bad-state' // the container is in the wrong state for the verb
  | 'exec-failed' // the executor reported a failed action
  | 'audit' // an audit record could not be written: planc stops there (fail closed)
  | 'system'; // an unexpected system call failure

export interface ProblemDetail {
  /** JSON pointer into config.json, or '' for the document itself. */
  where: string;
  message: string;
}

export class PlancError extends Error {
  readonly code: ErrorCode;
  /** JSON pointer into config.json ("/process/args"), or another locator such as a container id. */
  readonly where?: string;
  /** The file the error is about when it is not the bundle's config.json (a policy, a host profile). */
  readonly file?: string;
  readonly errno?: number;
  /** Further problems of the same kind (schema validation reports all of them). */
  readonly details: ProblemDetail[];

  constructor(code: ErrorCode, message: string, opts: { where?: string; file?: string; errno?: number; details?: ProblemDetail[] } = {}) {
    super(message);
    this.name = 'PlancError';
    this.code = code;
    this.where = opts.where;
    this.file = opts.file;
    this.errno = opts.errno;
    this.details = opts.details ?? [];
  }

  /**
   * One line, "file: where: message" — what runc-driving engines read; a pointer without a file is into `configPath`.
   * Control characters are shown escaped: a pointer holds config keys as they are ("net.a\nb"), and the executor's
   * messages hold container paths, so a raw newline would split the line and an escape sequence would reach the terminal.
   */
  oneLine(configPath?: string): string {
    const file = this.file ?? (this.where?.startsWith('/') ? configPath : undefined);
    return escapeControls([file, this.where, this.message].filter(Boolean).join(': '));
  }
}

// C0, DEL and C1 (U+009B is CSI to a terminal in UTF-8 mode).
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

function escapeControl(c: string): string {
  return c === '\n' ? '\\n' : c === '\t' ? '\\t' : '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0');
}

/** Text shown on one line of an error stream: control characters escaped. */
export function escapeControls(s: string): string {
  return s.replace(CONTROL, escapeControl);
}

export function isPlancError(e: unknown): e is PlancError {
  return e instanceof PlancError;
}
