/**
 * Plays aws-cdk-lib's custom-resources.Provider framework around the bundled handler: calls
 * onEvent, merges its result into the event, polls isComplete every query interval, and turns the
 * outcome into the response CloudFormation would receive (including its 4096-byte limit).
 */
import * as fs from 'fs';
import * as path from 'path';
import { createRequire } from 'module';
import * as vm from 'vm';
import { HandlerLocation, KeyStoreHandlers } from './cloud-assembly';

/** The id the framework gives a Create that failed before returning one; its Delete is ignored. */
export const CREATE_FAILED_MARKER = 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED';
const MAX_RESPONSE_BYTES = 4096;

type HandlerFunction = (event: Record<string, unknown>) => Promise<Record<string, unknown> | undefined>;

export interface LoadedHandlers {
  readonly onEvent: HandlerFunction;
  readonly isComplete: HandlerFunction;
  readonly onEventName: string;
  readonly isCompleteName: string;
}

/**
 * Loads the handler files as Lambda would: a fresh module instance (its own SDK clients), with a
 * console that writes to `log`, so that what the handler logs can be inspected.
 */
export function loadHandlers(handlers: KeyStoreHandlers, log: (line: string) => void, credentials?: (location: HandlerLocation) => Record<string, string>): LoadedHandlers {
  const modules = new Map<string, Record<string, unknown>>();
  const load = (location: HandlerLocation): HandlerFunction => {
    let exports = modules.get(location.file);
    if (!exports) {
      // The function signs with its role's credentials, read with the rest of the environment.
      const own = credentials?.(location);
      exports = loadModule(location.file, log, own ? (Object.create(process, { env: { get: () => ({ ...process.env, ...own }) } }) as NodeJS.Process) : process);
      modules.set(location.file, exports);
    }
    const fn = exports[location.exportName];
    if (typeof fn !== 'function') throw new Error(`${location.file} does not export ${location.exportName}`);
    return fn as HandlerFunction;
  };
  return { onEvent: load(handlers.onEvent), isComplete: load(handlers.isComplete), onEventName: handlers.onEvent.functionName, isCompleteName: handlers.isComplete.functionName };
}

/** Loads a bundled function file as a fresh module; `proc` is the `process` it sees (default: this one). */
export function loadModule(file: string, log: (line: string) => void, proc: NodeJS.Process = process): Record<string, unknown> {
  const source = fs.readFileSync(file, 'utf8');
  // `process` is passed in so that the handler sees the environment this module sees (under jest,
  // the test's own copy of it), and `console` so that what it logs can be inspected.
  const wrapper = vm.runInThisContext(`(function (exports, require, module, __filename, __dirname, console, process) {${source}\n})`, { filename: file }) as (...args: unknown[]) => void;
  const write = (...args: unknown[]): void => { log(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')); };
  const capture = { log: write, info: write, warn: write, error: write, debug: write };
  const mod = { exports: {} as Record<string, unknown> };
  wrapper.call(mod.exports, mod.exports, createRequire(file), mod, file, path.dirname(file), capture, proc);
  return mod.exports;
}

export interface OperationOutcome {
  readonly status: 'SUCCESS' | 'FAILED';
  readonly physicalResourceId: string;
  readonly data: Record<string, string>;
  readonly reason?: string;
  /** isComplete calls made. */
  readonly polls: number;
  readonly elapsedMs: number;
}

export interface EmulatorOptions {
  readonly queryIntervalMs: number;
  readonly totalTimeoutMs: number;
  /** Each event the framework would store in the Step Functions history. */
  readonly record: (event: string) => void;
  readonly onPoll?: (polls: number, elapsedMs: number) => void;
}

export async function runOperation(handlers: LoadedHandlers, event: Record<string, unknown>, options: EmulatorOptions): Promise<OperationOutcome> {
  const started = Date.now();
  const done = (status: 'SUCCESS' | 'FAILED', physicalResourceId: string, data: Record<string, string>, polls: number, reason?: string): OperationOutcome => {
    const response = JSON.stringify({ Status: status, Reason: reason ?? status, StackId: event.StackId, RequestId: event.RequestId, PhysicalResourceId: physicalResourceId, LogicalResourceId: event.LogicalResourceId, Data: data });
    if (Buffer.byteLength(response) > MAX_RESPONSE_BYTES) {
      return { status: 'FAILED', physicalResourceId, data: {}, reason: 'Response object is too long.', polls, elapsedMs: Date.now() - started };
    }
    return { status, physicalResourceId, data, reason, polls, elapsedMs: Date.now() - started };
  };
  if (event.RequestType === 'Delete' && event.PhysicalResourceId === CREATE_FAILED_MARKER) {
    return done('SUCCESS', CREATE_FAILED_MARKER, {}, 0);
  }
  options.record(JSON.stringify({ ...event, ResponseURL: '...' }));
  let result: Record<string, unknown>;
  try {
    result = (await handlers.onEvent(structuredClone(event))) ?? {};
  } catch (err) {
    const id = (event.PhysicalResourceId as string | undefined) ?? CREATE_FAILED_MARKER;
    return done('FAILED', id, {}, 0, frameworkReason(err, handlers.onEventName));
  }
  const physicalResourceId = (result.PhysicalResourceId as string | undefined) ?? (event.PhysicalResourceId as string | undefined) ?? (event.RequestId as string);
  if (event.RequestType === 'Delete' && physicalResourceId !== event.PhysicalResourceId) {
    return done('FAILED', event.PhysicalResourceId as string, {}, 0, `DELETE: cannot change the physical resource ID from "${String(event.PhysicalResourceId)}" to "${physicalResourceId}" during deletion`);
  }
  const waiterInput: Record<string, unknown> = { ...event, ...result, PhysicalResourceId: physicalResourceId };
  let polls = 0;
  for (;;) {
    options.record(JSON.stringify({ ...waiterInput, ResponseURL: '...' }));
    let answer: Record<string, unknown>;
    try {
      polls++;
      answer = (await handlers.isComplete(structuredClone(waiterInput))) ?? {};
    } catch (err) {
      return done('FAILED', physicalResourceId, {}, polls, frameworkReason(err, handlers.isCompleteName));
    }
    if (answer.IsComplete === true) {
      const data = { ...((waiterInput.Data as Record<string, string> | undefined) ?? {}), ...((answer.Data as Record<string, string> | undefined) ?? {}) };
      return done('SUCCESS', physicalResourceId, data, polls);
    }
    if (answer.Data && Object.keys(answer.Data).length > 0) {
      return done('FAILED', physicalResourceId, {}, polls, '"Data" is not allowed if "IsComplete" is "False"');
    }
    const elapsed = Date.now() - started;
    options.onPoll?.(polls, elapsed);
    if (elapsed + options.queryIntervalMs > options.totalTimeoutMs) {
      return done('FAILED', physicalResourceId, {}, polls, 'Operation timed out');
    }
    await new Promise((r) => setTimeout(r, options.queryIntervalMs));
  }
}

/** The Reason the framework sends: the message, the log group, then the rest of the trace. */
function frameworkReason(err: unknown, functionName: string): string {
  const e = err as { message?: string; stack?: string };
  const message = e.message ?? String(err);
  const trace = (e.stack ?? message).split('\n').slice(1);
  return [message, '', `Logs: /aws/lambda/${functionName}`, '', ...trace].join('\n');
}
