/**
 * Reads a synthesized cloud assembly the way the local runner needs it: a stack's template, and,
 * for each custom key store, the bundled handler asset its ServiceToken leads to
 * (ServiceToken -> framework onEvent function -> user functions -> Code.S3Key -> asset directory).
 */
import * as fs from 'fs';
import * as path from 'path';
import { KEY_RESOURCE_TYPE } from '../../lib/private/contract/key-properties';
import { RESOURCE_TYPE } from '../../lib/private/contract/store-properties';

export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly DependsOn?: string | string[];
}

export interface Template {
  readonly Resources: Record<string, TemplateResource>;
}

export interface StackArtifact {
  readonly stackName: string;
  readonly template: Template;
  readonly assemblyDir: string;
  /** Asset hash -> directory. */
  readonly assetDirs: Map<string, string>;
}

/** Where a user function's code is, and which export it runs. */
export interface HandlerLocation {
  readonly file: string;
  readonly exportName: string;
  readonly functionName: string;
  /** The logical id of the function's execution role, when the template makes it. */
  readonly roleLogicalId?: string;
}

export interface KeyStoreHandlers {
  readonly onEvent: HandlerLocation;
  readonly isComplete: HandlerLocation;
}

export function readStack(assemblyDir: string, stackName: string): StackArtifact {
  const manifest = JSON.parse(fs.readFileSync(path.join(assemblyDir, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { type: string; properties?: { templateFile?: string } } | undefined>;
  };
  const artifact = manifest.artifacts[stackName];
  if (!artifact?.properties?.templateFile) {
    throw new Error(`Stack ${stackName} is not in the cloud assembly at ${assemblyDir}`);
  }
  const template = JSON.parse(fs.readFileSync(path.join(assemblyDir, artifact.properties.templateFile), 'utf8')) as Template;
  const assetDirs = new Map<string, string>();
  const assetsFile = path.join(assemblyDir, `${stackName}.assets.json`);
  if (fs.existsSync(assetsFile)) {
    const assets = JSON.parse(fs.readFileSync(assetsFile, 'utf8')) as { files?: Record<string, { source: { path: string } }> };
    for (const [hash, file] of Object.entries(assets.files ?? {})) {
      assetDirs.set(hash, path.join(assemblyDir, file.source.path));
    }
  }
  return { stackName, template, assemblyDir, assetDirs };
}

/** The custom resources the runner plays: key stores and the KMS keys in them. */
export function customResourceLogicalIds(template: Template): string[] {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === RESOURCE_TYPE || r.Type === KEY_RESOURCE_TYPE)
    .map(([id]) => id);
}

/**
 * What each of `ids` depends on among `ids`, as CloudFormation orders them: Ref, Fn::GetAtt and
 * DependsOn. (A key Refs its store, so it is created after it and deleted before it.)
 */
export function dependenciesAmong(template: Template, ids: readonly string[]): Map<string, string[]> {
  const known = new Set(ids);
  const out = new Map<string, string[]>();
  for (const id of ids) {
    const resource = template.Resources[id];
    const found = new Set<string>();
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) {
        value.forEach(walk);
      } else if (typeof value === 'object' && value !== null) {
        const obj = value as Record<string, unknown>;
        if (typeof obj.Ref === 'string' && known.has(obj.Ref)) found.add(obj.Ref);
        const getAtt = obj['Fn::GetAtt'];
        if (Array.isArray(getAtt) && typeof getAtt[0] === 'string' && known.has(getAtt[0])) found.add(getAtt[0]);
        Object.values(obj).forEach(walk);
      }
    };
    walk(resource.Properties);
    const dependsOn = resource.DependsOn === undefined ? [] : Array.isArray(resource.DependsOn) ? resource.DependsOn : [resource.DependsOn];
    dependsOn.filter((d) => known.has(d)).forEach((d) => found.add(d));
    found.delete(id);
    out.set(id, [...found]);
  }
  return out;
}

/** `ids` in waves: each wave depends only on earlier ones. */
export function creationWaves(ids: readonly string[], dependencies: ReadonlyMap<string, readonly string[]>): string[][] {
  const waves: string[][] = [];
  const placed = new Set<string>();
  let remaining = [...ids];
  while (remaining.length > 0) {
    const wave = remaining.filter((id) => (dependencies.get(id) ?? []).every((d) => placed.has(d) || !ids.includes(d)));
    if (wave.length === 0) throw new Error(`Circular dependency among ${remaining.join(', ')}`);
    wave.forEach((id) => placed.add(id));
    waves.push(wave);
    remaining = remaining.filter((id) => !placed.has(id));
  }
  return waves;
}

/** Follows a key store's ServiceToken to the bundled handler files. */
export function findHandlers(stack: StackArtifact, logicalId: string): KeyStoreHandlers {
  // A logical id the template does not have reads as undefined.
  const resources: Record<string, TemplateResource | undefined> = stack.template.Resources;
  const token = resources[logicalId]?.Properties?.ServiceToken as { 'Fn::GetAtt'?: [string, string] } | undefined;
  const frameworkId = token?.['Fn::GetAtt']?.[0];
  const framework = frameworkId ? resources[frameworkId] : undefined;
  if (!framework || framework.Type !== 'AWS::Lambda::Function') {
    throw new Error(`${logicalId}: ServiceToken does not lead to the provider framework's function`);
  }
  const env = ((framework.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}) as Record<string, { 'Fn::GetAtt'?: [string, string] } | undefined>;
  const locate = (variable: string): HandlerLocation => {
    const fnId = env[variable]?.['Fn::GetAtt']?.[0];
    const fn = fnId ? resources[fnId] : undefined;
    const props = fn?.Properties as { Handler?: string; Code?: { S3Key?: string } } | undefined;
    const hash = props?.Code?.S3Key?.replace(/\.zip$/, '');
    const dir = hash ? stack.assetDirs.get(hash) : undefined;
    if (!fnId || !props?.Handler || !dir) {
      throw new Error(`${logicalId}: cannot find the asset of the function in ${variable}`);
    }
    const [moduleName, exportName] = props.Handler.split('.');
    return { file: path.join(dir, `${moduleName}.js`), exportName, functionName: fnId, roleLogicalId: roleOf(stack.template, fnId) };
  };
  return { onEvent: locate('USER_ON_EVENT_FUNCTION_ARN'), isComplete: locate('USER_IS_COMPLETE_FUNCTION_ARN') };
}

/** The logical id of the role a function of the template runs as (its Role is Fn::GetAtt [role, Arn]). */
export function roleOf(template: Template, functionId: string): string | undefined {
  const resources: Record<string, TemplateResource | undefined> = template.Resources;
  const role = resources[functionId]?.Properties?.Role as { 'Fn::GetAtt'?: [string, string] } | undefined;
  return role?.['Fn::GetAtt']?.[0];
}

/**
 * The identity-based policy statements attached to a role of the template: its inline Policies and
 * the AWS::IAM::Policy resources that name it. Managed policies (ManagedPolicyArns) are not read:
 * the library attaches none that grants an action the emulator authorizes.
 */
export function roleStatements(template: Template, roleLogicalId: string): unknown[] {
  const statementsOf = (document: unknown): unknown[] => {
    const statement = (document as { Statement?: unknown } | undefined)?.Statement;
    return statement === undefined ? [] : Array.isArray(statement) ? statement : [statement];
  };
  const out: unknown[] = [];
  const resources: Record<string, TemplateResource | undefined> = template.Resources;
  const inline = (resources[roleLogicalId]?.Properties?.Policies ?? []) as Array<{ PolicyDocument?: unknown }>;
  inline.forEach((p) => out.push(...statementsOf(p.PolicyDocument)));
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    const roles = (resource.Properties?.Roles ?? []) as Array<{ Ref?: string }>;
    if (roles.some((r) => r.Ref === roleLogicalId)) out.push(...statementsOf(resource.Properties?.PolicyDocument));
  }
  return out;
}
