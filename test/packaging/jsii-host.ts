/**
 * A minimal jsii host: what the Python, Java, .NET and Go libraries do underneath. It starts
 * @jsii/runtime's standalone bundle (the file those languages embed) and speaks its protocol,
 * one JSON request and one JSON answer a line, over the process's stdin and stdout.
 */
import { ChildProcessWithoutNullStreams, spawn } from 'child_process';
import * as path from 'path';
import * as readline from 'readline';

/** A reference to an object that lives in the runtime. */
export interface ObjRef {
  readonly '$jsii.byref': string;
}

export class JsiiError extends Error {}

export class JsiiHost {
  public static start(env: NodeJS.ProcessEnv): Promise<JsiiHost> {
    const runtime = path.join(path.dirname(require.resolve('@jsii/runtime/package.json')), 'webpack', 'bin', 'jsii-runtime.js');
    const child = spawn(process.execPath, [runtime], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const host = new JsiiHost(child);
    return host.next().then((hello) => {
      if (typeof hello.hello !== 'string') {
        throw new JsiiError(`expected the runtime's hello, got ${JSON.stringify(hello)}`);
      }
      return host;
    });
  }

  /** What the runtime wrote to stderr: its own diagnostics and the loaded code's console output. */
  public stderr = '';
  private readonly answers: Array<Record<string, unknown>> = [];
  private waiting?: (answer: Record<string, unknown>) => void;
  private exited?: string;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const answer = JSON.parse(line) as Record<string, unknown>;
      if (this.waiting) {
        const resolve = this.waiting;
        this.waiting = undefined;
        resolve(answer);
      } else {
        this.answers.push(answer);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => { this.stderr += chunk.toString(); });
    child.on('exit', (code, signal) => {
      this.exited = `the jsii runtime exited (code ${String(code)}, signal ${String(signal)}): ${this.stderr.slice(-2000)}`;
      this.waiting?.({ error: this.exited });
    });
  }

  /** Sends one request and returns its `ok` value; an `error` answer is thrown. */
  public async request(req: Record<string, unknown>): Promise<unknown> {
    this.child.stdin.write(`${JSON.stringify(req)}\n`);
    const answer = await this.next();
    if ('error' in answer) {
      throw new JsiiError(String(answer.error));
    }
    if (!('ok' in answer)) {
      throw new JsiiError(`unexpected answer to ${String(req.api)}: ${JSON.stringify(answer)}`);
    }
    return answer.ok;
  }

  public load(name: string, version: string, tarball: string): Promise<unknown> {
    return this.request({ api: 'load', name, version, tarball });
  }

  public async create(fqn: string, args: unknown[]): Promise<ObjRef> {
    return (await this.request({ api: 'create', fqn, args })) as ObjRef;
  }

  public async sinvoke(fqn: string, method: string, args: unknown[]): Promise<unknown> {
    return ((await this.request({ api: 'sinvoke', fqn, method, args })) as { result?: unknown }).result;
  }

  public async invoke(objref: ObjRef, method: string, args: unknown[]): Promise<unknown> {
    return ((await this.request({ api: 'invoke', objref, method, args })) as { result?: unknown }).result;
  }

  public async get(objref: ObjRef, property: string): Promise<unknown> {
    return ((await this.request({ api: 'get', objref, property })) as { value?: unknown }).value;
  }

  /** Ends the runtime as a host does, by closing its input, and waits for it to exit. */
  public close(): Promise<void> {
    if (this.exited) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.child.once('exit', () => { resolve(); });
      this.child.stdin.end();
    });
  }

  private next(): Promise<Record<string, unknown>> {
    const queued = this.answers.shift();
    if (queued) {
      return Promise.resolve(queued);
    }
    if (this.exited) {
      return Promise.resolve({ error: this.exited });
    }
    return new Promise((resolve) => { this.waiting = resolve; });
  }
}

/** A struct argument, as the language bindings send one. */
export function struct(fqn: string, data: Record<string, unknown>): unknown {
  return { '$jsii.struct': { fqn, data } };
}
