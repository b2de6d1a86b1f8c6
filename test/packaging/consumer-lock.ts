/**
 * A lockfile for a fresh consumer app, cut from this repository's own lockfile, so that
 * `npm ci --offline` can install it from the npm cache that `npm ci` of this repository filled.
 * An offline `npm install` (of `<name>@<version>`, or of a local tarball, whose peer dependencies
 * npm then resolves) needs the registry's package documents, which `npm ci` never downloads: it
 * works only where earlier `npm install` runs happened to leave them in the cache. A lockfile
 * names each tarball by URL and integrity instead, the package under test included.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

interface LockEntry {
  readonly version?: string;
  readonly resolved?: string;
  readonly integrity?: string;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  readonly inBundle?: boolean;
  readonly bundleDependencies?: string[];
  readonly dev?: boolean;
  readonly optional?: boolean;
  readonly [key: string]: unknown;
}

interface Lockfile {
  readonly lockfileVersion: number;
  readonly packages: Record<string, LockEntry>;
}

export function readRepoLock(repoRoot: string): Lockfile {
  return JSON.parse(fs.readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8')) as Lockfile;
}

/** Where Node.js would find `name` from the package installed at `from` (a lockfile key). */
function resolveKey(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = `${dir === '' ? '' : `${dir}/`}node_modules/${name}`;
    if (candidate in packages) {
      return candidate;
    }
    if (dir === '') {
      return undefined;
    }
    const parent = dir.lastIndexOf('/node_modules/');
    dir = parent < 0 ? '' : dir.slice(0, parent);
  }
}

/** A package installed from a tarball on disk rather than from the registry: the package under test. */
export interface LocalTarball {
  readonly name: string;
  readonly version: string;
  /** The tarball's path relative to the app's directory. */
  readonly relativePath: string;
  /** Its absolute path, to compute the integrity npm checks. */
  readonly path: string;
  readonly license?: string;
  readonly peerDependencies?: Record<string, string>;
}

/**
 * The lockfile of an app named `name` that depends on `roots` (package names), each at the
 * version this repository locks, with everything they need and nothing else, and on `local`
 * (tarballs on disk) whose peer dependencies must be among the roots.
 */
export function consumerLock(repoLock: Lockfile, name: string, roots: readonly string[], local: readonly LocalTarball[] = []): { packageJson: object; lock: object } {
  const packages = repoLock.packages;
  const keep = new Set<string>();
  const visit = (key: string): void => {
    if (keep.has(key)) {
      return;
    }
    keep.add(key);
    const entry = packages[key];
    const required = { ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies };
    for (const dep of Object.keys(required)) {
      const optional = entry.peerDependenciesMeta?.[dep]?.optional === true || dep in (entry.optionalDependencies ?? {});
      const found = resolveKey(packages, key, dep);
      if (found) {
        visit(found);
      } else if (!optional) {
        throw new Error(`${key} needs ${dep}, which the repository's lockfile does not hold`);
      }
    }
  };
  const dependencies: Record<string, string> = {};
  for (const root of roots) {
    const key = `node_modules/${root}`;
    const version = (packages[key] as LockEntry | undefined)?.version;
    if (version === undefined) {
      throw new Error(`the repository's lockfile does not hold ${root}`);
    }
    dependencies[root] = version;
    visit(key);
  }
  // Bundled packages come inside their parent's tarball but are listed in the lockfile too.
  for (const key of Object.keys(packages)) {
    if (packages[key].inBundle && [...keep].some((k) => key.startsWith(`${k}/node_modules/`))) {
      keep.add(key);
    }
  }
  const lockPackages: Record<string, object> = {};
  for (const key of [...keep].sort()) {
    // Drop the repository's dev/optional flags: in the app these are ordinary dependencies.
    const entry: Record<string, unknown> = { ...packages[key] };
    delete entry.dev;
    delete entry.devOptional;
    lockPackages[key] = entry;
  }
  for (const tarball of local) {
    for (const peer of Object.keys(tarball.peerDependencies ?? {})) {
      if (!roots.includes(peer)) {
        throw new Error(`${tarball.name} needs its peer ${peer} among the app's dependencies`);
      }
    }
    const spec = `file:${tarball.relativePath}`;
    dependencies[tarball.name] = spec;
    lockPackages[`node_modules/${tarball.name}`] = {
      version: tarball.version,
      resolved: spec,
      integrity: `sha512-${createHash('sha512').update(fs.readFileSync(tarball.path)).digest('base64')}`,
      ...(tarball.license === undefined ? {} : { license: tarball.license }),
      ...(tarball.peerDependencies === undefined ? {} : { peerDependencies: tarball.peerDependencies }),
    };
  }
  lockPackages[''] = { name, version: '1.0.0', dependencies };
  return {
    packageJson: { name, version: '1.0.0', private: true, dependencies },
    lock: { name, version: '1.0.0', lockfileVersion: 3, requires: true, packages: lockPackages },
  };
}

/** The npm cache's copy of a tarball, found by its integrity (how `npm ci` stores what it downloads). */
export function cachedTarball(npmCache: string, integrity: string): string {
  const [algorithm, digest] = integrity.split('-', 2);
  const hex = Buffer.from(digest, 'base64').toString('hex');
  const file = path.join(npmCache, '_cacache', 'content-v2', algorithm, hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
  if (!fs.existsSync(file)) {
    throw new Error(`the npm cache (${npmCache}) has no tarball with integrity ${integrity}: run npm ci first`);
  }
  return file;
}
