/** Resolves the CloudFormation intrinsic functions a custom key store's properties use. */

export interface ResolveContext {
  readonly accountId: string;
  readonly region: string;
  readonly stackId: string;
  readonly stackName: string;
  /** Logical id -> physical id of deployed resources. */
  readonly physicalIds: ReadonlyMap<string, string>;
  /** Logical id -> attributes (a custom resource's Data). */
  readonly attributes: ReadonlyMap<string, Record<string, string>>;
  /** Logical id -> attributes of the plain resources the runner plays (a role's Arn). */
  readonly playedAttributes?: ReadonlyMap<string, Record<string, string>>;
}

export function resolve(value: unknown, ctx: ResolveContext): unknown {
  if (Array.isArray(value)) {
    return value.map((v) => resolve(v, ctx));
  }
  if (typeof value !== 'object' || value === null) {
    return value;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1) {
    const [fn] = keys;
    const arg = obj[fn];
    switch (fn) {
      case 'Ref':
        return ref(arg as string, ctx);
      case 'Fn::Join': {
        const [sep, parts] = arg as [string, unknown[]];
        return (resolve(parts, ctx) as unknown[]).join(sep);
      }
      case 'Fn::GetAtt': {
        const [id, attr] = arg as [string, string];
        const played = ctx.playedAttributes?.get(id)?.[attr];
        if (played !== undefined) return played;
        // A custom resource's own Data first (a key's Arn), then the functions the runner does not play.
        const found = ctx.attributes.get(id)?.[attr];
        if (found !== undefined) return found;
        if (attr === 'Arn') {
          return `arn:aws:lambda:${ctx.region}:${ctx.accountId}:function:${id}`;
        }
        throw new Error(`Fn::GetAtt ${id}.${attr} is not available`);
      }
      case 'Fn::Select': {
        const [index, list] = arg as [number, unknown];
        return (resolve(list, ctx) as unknown[])[index];
      }
      case 'Fn::Split': {
        const [sep, text] = arg as [string, unknown];
        return String(resolve(text, ctx)).split(sep);
      }
      default:
        if (fn.startsWith('Fn::')) throw new Error(`The local runner does not resolve ${fn}`);
    }
  }
  return Object.fromEntries(keys.map((k) => [k, resolve(obj[k], ctx)]));
}

function ref(name: string, ctx: ResolveContext): string {
  switch (name) {
    case 'AWS::Partition':
      return 'aws';
    case 'AWS::Region':
      return ctx.region;
    case 'AWS::AccountId':
      return ctx.accountId;
    case 'AWS::StackId':
      return ctx.stackId;
    case 'AWS::StackName':
      return ctx.stackName;
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    default: {
      const id = ctx.physicalIds.get(name);
      if (id === undefined) throw new Error(`Ref ${name}: resource is not deployed`);
      return id;
    }
  }
}

/** CloudFormation hands custom resources every scalar as a string. */
export function stringifyScalars(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stringifyScalars);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stringifyScalars(v)]));
  }
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
}
