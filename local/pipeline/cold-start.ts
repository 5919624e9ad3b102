import type { LambdaHandler } from './lambda-invoke';

/**
 * A function's state, as Lambda's execution environments go through it: `cold` until its first
 * invocation, `initializing` while that invocation imports the handler module (Lambda's init
 * phase: the module's top-level code, its SDK clients), `warm` once it has, and `init failed`
 * when the import threw (every invocation then fails the same way).
 */
export type FunctionState = 'cold' | 'initializing' | 'warm' | `init failed: ${string}`;

/**
 * The twin's functions loaded as Lambda loads them: each handler module is imported on the
 * function's first invocation (its cold start), not when the twin starts, and every later
 * invocation reuses it (warm). Invocations that arrive during the import wait for the same one.
 * On Lambda each execution environment has its own cold start; here the module is loaded once
 * per process, so a function has one.
 */
export class ColdStarts {
  private readonly states = new Map<string, FunctionState>();
  private readonly loads = new Map<string, Promise<LambdaHandler>>();

  constructor(
    readonly functionNames: readonly string[],
    /** Imports a function's handler module and returns its handler (throws when it cannot). */
    private readonly init: (functionName: string) => Promise<LambdaHandler>,
  ) {
    for (const name of functionNames) this.states.set(name, 'cold');
  }

  /** The handler to invoke: it initializes the function on its first call. */
  handlerFor(functionName: string): LambdaHandler {
    return async (event, context) => (await this.initialized(functionName))(event, context);
  }

  /** Every function's state (GET /_local/health). */
  snapshot(): Record<string, FunctionState> {
    return Object.fromEntries(this.states);
  }

  private initialized(functionName: string): Promise<LambdaHandler> {
    let load = this.loads.get(functionName);
    if (load === undefined && !this.states.has(functionName))
      return Promise.reject(notLoaded(functionName, 'unknown function'));
    if (load === undefined) {
      this.states.set(functionName, 'initializing');
      load = this.load(functionName);
      this.loads.set(functionName, load);
    }
    return load;
  }

  private async load(functionName: string): Promise<LambdaHandler> {
    try {
      const handler = await this.init(functionName);
      this.states.set(functionName, 'warm');
      return handler;
    } catch (cause: unknown) {
      const reason = cause instanceof Error ? (cause.message.split('\n')[0] ?? cause.name) : String(cause);
      this.states.set(functionName, `init failed: ${reason}`);
      throw notLoaded(functionName, reason);
    }
  }
}

/** What Lambda would say for a function that cannot run; the run records it. */
function notLoaded(functionName: string, reason: string): Error {
  const error = new Error(`functions/${functionName}/handler could not be loaded: ${reason}`);
  error.name = 'Lambda.ResourceNotFoundException';
  return error;
}
