/**
 * What the local endpoint keeps of Systems Manager Parameter Store: String parameters, as far as
 * the proxy credential sync uses them (GetParameter, PutParameter) to remember which version of a
 * secret it gave KMS, the store handler its adoption records (also DeleteParameter), and the
 * connection watcher the stack's declarations (GetParametersByPath). The runner creates the stack's AWS::SSM::Parameter resources here.
 *
 * Inputs and outputs are the JSON bodies of the SSM wire protocol (JSON 1.1, `AmazonSSM.*`).
 */
import { Clock } from '../clock';
import { ServiceError } from '../endpoint/service-error';

type Json = Record<string, unknown>;

/** Parameter Store's documented limit for a standard parameter's value. */
const MAX_VALUE_BYTES = 4096;

export class SsmModel {
  private readonly parameters = new Map<string, { value: string; version: number; type: string; modifiedAt: number }>();

  constructor(
    private readonly accountId: string,
    private readonly region: string,
    /** Parameter Store's clock: LastModifiedDate is the service's time, as the endpoint's clock says. */
    private readonly clock: Clock = new Clock(),
  ) {}

  public GetParameter(input: Json): Json {
    const name = this.name(input);
    const parameter = this.parameters.get(name);
    if (!parameter) {
      throw new ServiceError('ParameterNotFound', `Parameter ${name} not found.`);
    }
    return { Parameter: { Name: name, Type: parameter.type, Value: parameter.value, Version: parameter.version, ARN: this.arn(name), LastModifiedDate: parameter.modifiedAt / 1000 } };
  }

  /** A new parameter, or (with Overwrite) a new version of one; without Overwrite an existing one is ParameterAlreadyExists. */
  public PutParameter(input: Json): Json {
    const name = this.name(input);
    const value = input.Value;
    if (typeof value !== 'string' || value.length === 0 || Buffer.byteLength(value) > MAX_VALUE_BYTES) {
      throw new ServiceError('ValidationException', `Value must be 1-${MAX_VALUE_BYTES} bytes.`);
    }
    const existing = this.parameters.get(name);
    if (existing && input.Overwrite !== true) {
      throw new ServiceError('ParameterAlreadyExists', 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.');
    }
    const version = (existing?.version ?? 0) + 1;
    this.parameters.set(name, { value, version, type: (input.Type as string | undefined) ?? existing?.type ?? 'String', modifiedAt: this.clock.now() });
    return { Version: version, Tier: 'Standard' };
  }

  /**
   * The parameters one level under `Path` (every level with `Recursive`), at most `MaxResults`
   * (1-10, default 10) a page, with a NextToken while more remain. "The number of items returned,
   * however, can be between zero and the value of MaxResults" (API reference): callers must follow
   * NextToken until it is absent.
   */
  public GetParametersByPath(input: Json): Json {
    const path = input.Path;
    if (typeof path !== 'string' || !path.startsWith('/') || path.length > 2048) {
      throw new ServiceError('ValidationException', 'Path must start with a forward slash (/) and be at most 2048 characters.');
    }
    const max = input.MaxResults ?? 10;
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 10) {
      throw new ServiceError('ValidationException', "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 10");
    }
    const prefix = path.endsWith('/') ? path : `${path}/`;
    const names = [...this.parameters.keys()]
      .filter((name) => name.startsWith(prefix) && (input.Recursive === true || !name.slice(prefix.length).includes('/')))
      .sort();
    const start = this.startAfter(input.NextToken, path, names);
    const page = names.slice(start, start + max);
    const next = start + page.length < names.length ? Buffer.from(JSON.stringify({ path, after: page[page.length - 1] ?? names[start - 1] })).toString('base64') : undefined;
    return {
      Parameters: page.map((name) => {
        const p = this.parameters.get(name) as { value: string; version: number; type: string; modifiedAt: number };
        return { Name: name, Type: p.type, Value: p.value, Version: p.version, ARN: this.arn(name), DataType: 'text', LastModifiedDate: p.modifiedAt / 1000 };
      }),
      ...(next ? { NextToken: next } : {}),
    };
  }

  private startAfter(token: unknown, path: string, names: string[]): number {
    if (token === undefined) return 0;
    let after: unknown;
    try {
      if (typeof token !== 'string') throw new Error('not a token');
      const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { path?: unknown; after?: unknown };
      if (parsed.path !== path) throw new Error('another path');
      after = parsed.after;
    } catch {
      throw new ServiceError('InvalidNextToken', 'The specified token is not valid.');
    }
    return names.filter((name) => typeof after === 'string' && name <= after).length;
  }

  /** Deletes a parameter and all its versions; an unknown one is ParameterNotFound. */
  public DeleteParameter(input: Json): Json {
    const name = this.name(input);
    if (!this.parameters.delete(name)) {
      throw new ServiceError('ParameterNotFound', `Parameter ${name} not found.`);
    }
    return {};
  }

  private name(input: Json): string {
    const name = input.Name;
    if (typeof name !== 'string' || name.length < 1 || name.length > 2048) {
      throw new ServiceError('ValidationException', 'Name must be 1-2048 characters.');
    }
    return name;
  }

  private arn(name: string): string {
    return `arn:aws:ssm:${this.region}:${this.accountId}:parameter${name.startsWith('/') ? '' : '/'}${name}`;
  }
}
