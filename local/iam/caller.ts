import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Who is calling AWS right now. Every handler runs in this one process and the handlers share SDK
 * client modules, so the caller cannot be told from the client: the twin's invoke adapters (the
 * pipeline's Task states and the API's routes) run each invocation inside a caller context, and
 * the IAM guard reads it. Calls made outside any function (the twin's own set-up and health
 * checks) have no caller and are the twin's, not a function's.
 */
export interface Caller {
  /** The function folder name (`thumbnail`, `media`, ...), which names its role. */
  fn: string;
  /** What made the call: the ASL state or the API route, e.g. `CreateThumbnails`, `POST /media/uploads`. */
  via: string;
}

const callers = new AsyncLocalStorage<Caller | null>();

export function runAsFunction<T>(caller: Caller, call: () => T): T {
  return callers.run(caller, call);
}

/** Runs `call` as the twin itself: what it does on a service's behalf (the local detector's reads) is not a function's call. */
export function runAsTwin<T>(call: () => T): T {
  return callers.run(null, call);
}

export function currentCaller(): Caller | undefined {
  return callers.getStore() ?? undefined;
}
