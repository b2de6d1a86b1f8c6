/**
 * An in-memory model of one account's Secrets Manager secrets, as far as the handler and the tests
 * use them: CreateSecret, GetSecretValue, PutSecretValue and DescribeSecret, with version ids and
 * the AWSCURRENT / AWSPREVIOUS staging labels moving as Secrets Manager moves them.
 *
 * Inputs and outputs are the JSON bodies of the Secrets Manager wire protocol; dates are epoch seconds.
 */
import { randomBytes, randomUUID } from 'crypto';
import { Clock } from '../clock';
import { ServiceError } from '../endpoint/service-error';

type Json = Record<string, unknown>;

interface SecretVersion {
  readonly id: string;
  readonly value: string;
  readonly createdAt: number;
  stages: string[];
}

interface Secret {
  readonly arn: string;
  readonly name: string;
  readonly createdAt: number;
  versions: SecretVersion[];
}

/** The EventBridge event Secrets Manager sends when a staging label moves (secret-event-notifications; no CloudTrail needed). */
export interface SecretLabelUpdatedEvent extends Record<string, unknown> {
  readonly 'detail-type': 'Secret Label Updated';
  readonly source: 'aws.secretsmanager';
  readonly resources: string[];
  readonly detail: { readonly name: string; readonly labelUpdated: string; readonly versionId: string };
}

export class SecretsManagerModel {
  /** Receives each "Secret Label Updated" event (AWSCURRENT moved); Secrets Manager sends none for AWSPREVIOUS or AWSPENDING. */
  public onLabelUpdated?: (event: SecretLabelUpdatedEvent) => void;
  private readonly secrets = new Map<string, Secret>();

  constructor(
    private readonly clock: Clock,
    private readonly accountId: string,
    private readonly region: string,
  ) {}

  public CreateSecret(input: Json): Json {
    const name = input.Name;
    if (typeof name !== 'string' || typeof input.SecretString !== 'string') {
      throw new ServiceError('InvalidParameterException', 'Name and SecretString are required.');
    }
    if ([...this.secrets.values()].some((s) => s.name === name)) {
      throw new ServiceError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
    }
    const arn = `arn:aws:secretsmanager:${this.region}:${this.accountId}:secret:${name}-${randomBytes(3).toString('hex')}`;
    const version: SecretVersion = { id: randomUUID(), value: input.SecretString, createdAt: this.clock.now(), stages: ['AWSCURRENT'] };
    this.secrets.set(arn, { arn, name, createdAt: this.clock.now(), versions: [version] });
    return { ARN: arn, Name: name, VersionId: version.id };
  }

  public GetSecretValue(input: Json): Json {
    const secret = this.secret(input);
    const stage = typeof input.VersionStage === 'string' ? input.VersionStage : 'AWSCURRENT';
    const version =
      typeof input.VersionId === 'string' ? secret.versions.find((v) => v.id === input.VersionId) : secret.versions.find((v) => v.stages.includes(stage));
    if (!version) {
      throw new ServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret value for staging label or version.");
    }
    return { ARN: secret.arn, Name: secret.name, SecretString: version.value, VersionId: version.id, VersionStages: [...version.stages], CreatedDate: version.createdAt / 1000 };
  }

  /** A new value becomes AWSCURRENT; the one it replaces becomes AWSPREVIOUS. */
  public PutSecretValue(input: Json): Json {
    const secret = this.secret(input);
    if (typeof input.SecretString !== 'string') {
      throw new ServiceError('InvalidParameterException', 'SecretString is required.');
    }
    for (const v of secret.versions) {
      v.stages = v.stages.filter((s) => s !== 'AWSPREVIOUS');
    }
    const current = secret.versions.find((v) => v.stages.includes('AWSCURRENT'));
    if (current) {
      current.stages = [...current.stages.filter((s) => s !== 'AWSCURRENT'), 'AWSPREVIOUS'];
    }
    const version: SecretVersion = { id: typeof input.ClientRequestToken === 'string' ? input.ClientRequestToken : randomUUID(), value: input.SecretString, createdAt: this.clock.now(), stages: ['AWSCURRENT'] };
    secret.versions = [...secret.versions.filter((v) => v.stages.length > 0), version];
    this.onLabelUpdated?.({
      version: '0',
      id: randomUUID(),
      'detail-type': 'Secret Label Updated',
      source: 'aws.secretsmanager',
      account: this.accountId,
      region: this.region,
      time: new Date(this.clock.now()).toISOString(),
      resources: [secret.arn],
      detail: { name: secret.name, labelUpdated: 'AWSCURRENT', versionId: version.id },
    });
    return { ARN: secret.arn, Name: secret.name, VersionId: version.id, VersionStages: [...version.stages] };
  }

  /** Metadata only: the versions and their staging labels, never a value. */
  public DescribeSecret(input: Json): Json {
    const secret = this.secret(input);
    return {
      ARN: secret.arn,
      Name: secret.name,
      CreatedDate: secret.createdAt / 1000,
      VersionIdsToStages: Object.fromEntries(secret.versions.map((v) => [v.id, [...v.stages]])),
    };
  }

  /** By full ARN, by ARN without the random suffix, or by name. */
  private secret(input: Json): Secret {
    const id = input.SecretId;
    const secret = [...this.secrets.values()].find(
      (s) => s.arn === id || s.name === id || `arn:aws:secretsmanager:${this.region}:${this.accountId}:secret:${s.name}` === id,
    );
    if (!secret) {
      throw new ServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    }
    return secret;
  }
}
