/**
 * What the local endpoint keeps of Systems Manager Parameter Store: String parameters, as far as
 * the proxy credential sync uses them (GetParameter, PutParameter) to remember which version of a
 * secret it gave KMS, and the store handler its adoption records (also DeleteParameter). The runner creates the stack's AWS::SSM::Parameter resources here.
 *
 * Inputs and outputs are the JSON bodies of the SSM wire protocol (JSON 1.1, `AmazonSSM.*`).
 */
import { ServiceError } from '../endpoint/service-error';

type Json = Record<string, unknown>;

/** Parameter Store's documented limit for a standard parameter's value. */
const MAX_VALUE_BYTES = 4096;

export class SsmModel {
  private readonly parameters = new Map<string, { value: string; version: number; type: string }>();

  constructor(
    private readonly accountId: string,
    private readonly region: string,
  ) {}

  public GetParameter(input: Json): Json {
    const name = this.name(input);
    const parameter = this.parameters.get(name);
    if (!parameter) {
      throw new ServiceError('ParameterNotFound', `Parameter ${name} not found.`);
    }
    return { Parameter: { Name: name, Type: parameter.type, Value: parameter.value, Version: parameter.version, ARN: this.arn(name) } };
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
    this.parameters.set(name, { value, version, type: (input.Type as string | undefined) ?? existing?.type ?? 'String' });
    return { Version: version, Tier: 'Standard' };
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
