/**
 * The consumer path, end to end: `npm pack` of a fresh checkout builds the package; a fresh CDK
 * app with neither esbuild nor Docker installs the tarball (offline, from the npm cache `npm ci`
 * filled) and synthesizes a store of each kind; the jsii runtime, which Python, Java, .NET and Go
 * call underneath, does the same through the assembly; jsii-pacmak generates those languages'
 * packages, with the README's examples translated.
 */
import { execFileSync, ExecFileSyncOptions } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { makeTempDir, TempDir } from '../fixtures/temp';
import { cachedTarball, consumerLock, readRepoLock } from './consumer-lock';
import { JsiiError, JsiiHost, ObjRef, struct } from './jsii-host';

const ROOT = path.join(__dirname, '..', '..');
const PACKAGE = 'cdk-kms-custom-key-store';
const repoPackage = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  license: string;
  peerDependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  files: string[];
};
const repoLock = readRepoLock(ROOT);

let tmp: TempDir;
let env: NodeJS.ProcessEnv;
let source: string;
let tarball: string;
let tarballFiles: string[];
let appDir: string;

function run(command: string, args: string[], cwd: string, options: ExecFileSyncOptions = {}): string {
  try {
    return execFileSync(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024, ...options }).toString();
  } catch (error) {
    const e = error as { stdout?: Buffer; stderr?: Buffer; message: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}: ${e.message}\n${e.stdout?.toString() ?? ''}\n${e.stderr?.toString() ?? ''}`);
  }
}

beforeAll(() => {
  tmp = makeTempDir('cks-pkg-');
  // Every child process (npm, jsii, the jsii runtime, pacmak) keeps its scratch files in here.
  const scratch = path.join(tmp.path, 'scratch');
  fs.mkdirSync(scratch);
  env = { ...process.env, TMPDIR: scratch, TMP: scratch, TEMP: scratch, JSII_RUNTIME_PACKAGE_CACHE: 'disabled' };

  // A fresh checkout: the files git has (or would add), without dist/, assets/ or .jsii.
  source = path.join(tmp.path, 'source');
  const files = run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], ROOT).split('\0').filter((f) => f && fs.existsSync(path.join(ROOT, f)));
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(source, file)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, file), path.join(source, file));
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(source, 'node_modules'), 'dir');
  run('npm', ['pack', '--pack-destination', tmp.path], source);
  tarball = path.join(tmp.path, `${PACKAGE}-${repoPackage.version}.tgz`);
  tarballFiles = run('tar', ['-tzf', tarball], tmp.path).split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));

  // A fresh CDK app: aws-cdk-lib at the peer floor, constructs and TypeScript, nothing else.
  appDir = path.join(tmp.path, 'app');
  fs.mkdirSync(appDir);
  // One `npm ci --offline` from a lockfile that names every tarball, this package's included: it
  // needs only the tarballs `npm ci` of this repository put in the cache, never the registry's
  // package documents, which an empty cache (a fresh machine, CI) does not have.
  const { packageJson, lock } = consumerLock(repoLock, 'consumer-app', ['aws-cdk-lib', 'constructs', 'typescript'], [{
    name: PACKAGE,
    version: repoPackage.version,
    relativePath: path.relative(appDir, tarball),
    path: tarball,
    license: repoPackage.license,
    peerDependencies: repoPackage.peerDependencies,
  }]);
  fs.writeFileSync(path.join(appDir, 'package.json'), JSON.stringify(packageJson, null, 2));
  fs.writeFileSync(path.join(appDir, 'package-lock.json'), JSON.stringify(lock, null, 2));
  run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], appDir);
}, 300_000);

afterAll(() => {
  tmp.remove();
});

describe('npm pack of a fresh checkout', () => {
  test('builds first, and ships the compiled library, its types, the function bundles (handler, connection watcher, credential sync, janitor), .jsii, README and LICENSE only', () => {
    expect(tarballFiles).toEqual(expect.arrayContaining([
      'package.json', 'README.md', 'LICENSE', '.jsii',
      'dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/lib/custom-key-store.js', 'dist/lib/private/provider/key-store-provider.js',
      'assets/custom-key-store-handler/index.js', 'assets/connection-watcher/index.js', 'assets/proxy-credential-sync/index.js', 'assets/key-store-janitor/index.js',
      'rosetta/default.ts-fixture',
    ]));
    const outside = tarballFiles.filter((f) => !/^(package\.json|README\.md|LICENSE|\.jsii|dist\/lib\/.*\.(js|d\.ts)|assets\/(custom-key-store-handler|connection-watcher|proxy-credential-sync|key-store-janitor)\/index\.js|rosetta\/default\.ts-fixture)$/.test(f));
    expect(outside).toEqual([]);
    expect(tarballFiles.filter((f) => /^(test|local|scripts|lambda|bin)\//.test(f))).toEqual([]);
  });

  test('LICENSE is the Apache-2.0 text; source maps are inline, never a reference to a file not shipped', () => {
    const installed = path.join(appDir, 'node_modules', PACKAGE);
    const license = fs.readFileSync(path.join(installed, 'LICENSE'), 'utf8');
    expect(license).toContain('Apache License');
    expect(license).toContain('Version 2.0, January 2004');
    expect(license).toContain('END OF TERMS AND CONDITIONS');
    for (const file of tarballFiles.filter((f) => f.endsWith('.js'))) {
      const refs = fs.readFileSync(path.join(installed, file), 'utf8').match(/^\/\/# sourceMappingURL=(.*)$/gm) ?? [];
      for (const ref of refs) {
        expect(`${file}: ${ref.slice(0, 60)}`).toMatch(/sourceMappingURL=data:application\/json/);
      }
    }
  });
});

describe('the peer dependency floor', () => {
  test('is the devDependency, exactly, and the version the consumer app synthesizes with', () => {
    const floor = /^\^(\d+\.\d+\.\d+)$/.exec(repoPackage.peerDependencies['aws-cdk-lib'])?.[1];
    expect(floor).toBeDefined();
    expect(repoPackage.devDependencies['aws-cdk-lib']).toBe(floor);
    const installed = JSON.parse(fs.readFileSync(path.join(appDir, 'node_modules', 'aws-cdk-lib', 'package.json'), 'utf8')) as { version: string };
    expect(installed.version).toBe(floor);
  });
});

describe('a fresh CDK app', () => {
  test('without esbuild or Docker, compiles against the package and synthesizes a store of each kind, with the handler asset in its cdk.out', () => {
    expect(() => require.resolve('esbuild', { paths: [appDir] })).toThrow();
    fs.writeFileSync(path.join(appDir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'commonjs', strict: true, skipLibCheck: true, outDir: 'out', types: [] },
      files: ['app.ts'],
    }));
    fs.writeFileSync(path.join(appDir, 'app.ts'), [
      "import { App, Stack } from 'aws-cdk-lib';",
      "import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';",
      `import { CustomKeyStore, CustomKeyStoreType, KeyStoreBackend } from '${PACKAGE}';`,
      "const app = new App({ outdir: 'cdk.out' });",
      "const stack = new Stack(app, 'Consumer', { env: { account: '111122223333', region: 'us-east-1' } });",
      "const secret = (id: string) => secretsmanager.Secret.fromSecretNameV2(stack, id, id);",
      `const pem = ${JSON.stringify(fs.readFileSync(path.join(ROOT, 'bin', 'customerCA.crt'), 'utf8'))};`,
      "new CustomKeyStore(stack, 'Hsm', { customKeyStoreName: 'hsm', backend: KeyStoreBackend.cloudHsm({ clusterId: 'cluster-2a23b4cdefg', trustAnchorCertificate: pem, keyStorePassword: secret('kmsuser') }) });",
      "new CustomKeyStore(stack, 'Public', { customKeyStoreName: 'xks', backend: KeyStoreBackend.externalPublicEndpoint({ proxyUriEndpoint: 'https://xks.example.com', proxyUriPath: '/kms/xks/v1', proxyCredential: secret('xks') }) });",
      "const vpc = new CustomKeyStore(stack, 'Vpc', { customKeyStoreName: 'xks-vpc', backend: KeyStoreBackend.externalVpcEndpointService({ proxyUriEndpoint: 'https://xks-vpc.example.com', proxyUriPath: '/kms/xks/v1', vpcEndpointServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0', proxyCredential: secret('xks-vpc') }) });",
      'const type: CustomKeyStoreType | undefined = vpc.customKeyStoreType;',
      'console.log(type);',
      'app.synth();',
    ].join('\n'));
    run(process.execPath, [path.join(appDir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], appDir);
    // No Docker: anything that tried to bundle with Docker would fail to start it.
    const printed = run(process.execPath, ['out/app.js'], appDir, { env: { ...env, CDK_DOCKER: path.join(tmp.path, 'no-docker') } });
    expect(printed.trim()).toBe('EXTERNAL_KEY_STORE');

    const cdkOut = path.join(appDir, 'cdk.out');
    const template = JSON.parse(fs.readFileSync(path.join(cdkOut, 'Consumer.template.json'), 'utf8')) as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
    const stores = Object.values(template.Resources).filter((r) => r.Type === 'Custom::KmsCustomKeyStore');
    expect(stores.map((s) => s.Properties.CustomKeyStoreType).sort()).toEqual(['AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE', 'EXTERNAL_KEY_STORE']);
    const handlers = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function' && /^index\.(onEvent|isComplete)$/.test(String(r.Properties.Handler)));
    expect(handlers).toHaveLength(2);
    const assetKey = (handlers[0].Properties.Code as { S3Key: string }).S3Key;
    const assetDir = path.join(cdkOut, `asset.${assetKey.replace(/\.zip$/, '')}`);
    const shipped = fs.readFileSync(path.join(appDir, 'node_modules', PACKAGE, 'assets', 'custom-key-store-handler', 'index.js'));
    expect(fs.readFileSync(path.join(assetDir, 'index.js')).equals(shipped)).toBe(true);
  });
});

describe('the jsii runtime (what Python, Java, .NET and Go call underneath)', () => {
  const lockedTarball = (name: string): { version: string; file: string } => {
    const entry = repoLock.packages[`node_modules/${name}`];
    const npmCache = run('npm', ['config', 'get', 'cache'], ROOT).trim();
    return { version: entry.version as string, file: cachedTarball(npmCache, entry.integrity as string) };
  };

  test('loads the assembly and synthesizes a stack with one store of each kind; a validation error names the path', async () => {
    const host = await JsiiHost.start(env);
    try {
      // Dependencies first, as the language bindings load them: aws-cdk-lib's own jsii dependencies
      // (those not bundled in its tarball), then aws-cdk-lib, then this package.
      const cdkLib = repoLock.packages['node_modules/aws-cdk-lib'];
      const bundled = new Set(cdkLib.bundleDependencies ?? []);
      const cdkDeps = Object.keys(cdkLib.dependencies ?? {}).filter((d) => !bundled.has(d));
      for (const name of ['constructs', ...cdkDeps, 'aws-cdk-lib']) {
        const { version, file } = lockedTarball(name);
        await host.load(name, version, file);
      }
      await host.load(PACKAGE, repoPackage.version, tarball);

      const outdir = path.join(tmp.path, 'jsii-cdk.out');
      const app = await host.create('aws-cdk-lib.App', [struct('aws-cdk-lib.AppProps', { outdir })]);
      const stack = await host.create('aws-cdk-lib.Stack', [app, 'JsiiStack', struct('aws-cdk-lib.StackProps', { env: struct('aws-cdk-lib.Environment', { account: '111122223333', region: 'us-east-1' }) })]);
      const secret = (id: string): Promise<unknown> => host.sinvoke('aws-cdk-lib.aws_secretsmanager.Secret', 'fromSecretNameV2', [stack, id, id]);
      const pem = fs.readFileSync(path.join(ROOT, 'bin', 'customerCA.crt'), 'utf8');
      const backends: Array<[string, string, Record<string, unknown>]> = [
        ['cloudHsm', 'CloudHsmBackendProps', { clusterId: 'cluster-2a23b4cdefg', trustAnchorCertificate: pem, keyStorePassword: await secret('kmsuser') }],
        ['externalPublicEndpoint', 'ExternalBackendProps', { proxyUriEndpoint: 'https://xks.example.com', proxyUriPath: '/kms/xks/v1', proxyCredential: await secret('xks') }],
        ['externalVpcEndpointService', 'ExternalVpcEndpointServiceBackendProps', {
          proxyUriEndpoint: 'https://xks-vpc.example.com', proxyUriPath: '/kms/xks/v1', vpcEndpointServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0', proxyCredential: await secret('xks-vpc'),
        }],
      ];
      const types: unknown[] = [];
      for (const [method, props, data] of backends) {
        const backend = await host.sinvoke(`${PACKAGE}.KeyStoreBackend`, method, [struct(`${PACKAGE}.${props}`, data)]);
        const store = await host.create(`${PACKAGE}.CustomKeyStore`, [stack, method, struct(`${PACKAGE}.CustomKeyStoreProps`, { customKeyStoreName: method, backend })]);
        types.push(await host.get(store, 'customKeyStoreType'));
      }
      expect(types).toEqual([
        { '$jsii.enum': `${PACKAGE}.CustomKeyStoreType/AWS_CLOUDHSM` },
        { '$jsii.enum': `${PACKAGE}.CustomKeyStoreType/EXTERNAL_KEY_STORE` },
        { '$jsii.enum': `${PACKAGE}.CustomKeyStoreType/EXTERNAL_KEY_STORE` },
      ]);

      const bad = host.create(`${PACKAGE}.CustomKeyStore`, [stack, 'Bad', struct(`${PACKAGE}.CustomKeyStoreProps`, {
        customKeyStoreName: 'bad',
        backend: await host.sinvoke(`${PACKAGE}.KeyStoreBackend`, 'externalPublicEndpoint', [struct(`${PACKAGE}.ExternalBackendProps`, { proxyUriEndpoint: 'https://xks.example.com:8443', proxyUriPath: '/kms/xks/v1', proxyCredential: await secret('xks2') })]),
      })]);
      await expect(bad).rejects.toThrow(JsiiError);
      await expect(bad).rejects.toThrow("proxyUriEndpoint: 'https://xks.example.com:8443' has a port (KMS always uses 443)");
      await expect(bad).rejects.toThrow('(at JsiiStack/Bad)');
      // The failed construct stays in the tree, as in TypeScript: synthesize a fresh app's worth instead.
      await host.invoke(await host.get(stack, 'node') as ObjRef, 'tryRemoveChild', ['Bad']);

      await host.invoke(app, 'synth', []);
      const template = JSON.parse(fs.readFileSync(path.join(outdir, 'JsiiStack.template.json'), 'utf8')) as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
      const stores = Object.values(template.Resources).filter((r) => r.Type === 'Custom::KmsCustomKeyStore');
      expect(stores.map((s) => s.Properties.CustomKeyStoreName).sort()).toEqual(['cloudHsm', 'externalPublicEndpoint', 'externalVpcEndpointService']);
      expect(fs.readdirSync(outdir).filter((f) => f.startsWith('asset.'))).not.toHaveLength(0);
    } finally {
      await host.close();
    }
  }, 300_000);
});

describe('jsii-rosetta and jsii-pacmak', () => {
  test('the README examples compile; Python, Java, .NET and Go packages are generated whole, their READMEs in their language', () => {
    // Strict: every example must compile against the built assembly, with rosetta/'s fixture.
    run(path.join(ROOT, 'node_modules', '.bin', 'jsii-rosetta'), ['extract', '--strict'], source);
    const tablet = JSON.parse(fs.readFileSync(path.join(source, '.jsii.tabl.json'), 'utf8')) as {
      snippets: Record<string, { location: { api: { api: string } }; translations: Record<string, unknown>; didCompile?: boolean }>;
    };
    const readmeSnippets = Object.values(tablet.snippets).filter((s) => s.location.api.api === 'moduleReadme');
    expect(readmeSnippets.length).toBeGreaterThanOrEqual(2);
    for (const snippet of readmeSnippets) {
      expect(snippet.didCompile).toBe(true);
      expect(Object.keys(snippet.translations)).toEqual(expect.arrayContaining(['python', 'java', 'csharp', 'go']));
    }

    // Code only: no Python, Maven, .NET or Go toolchain with the CDK's runtime libraries is here.
    // pacmak packs the module itself; ignore-scripts keeps that pack from building it again.
    const out = path.join(tmp.path, 'pacmak');
    run(path.join(ROOT, 'node_modules', '.bin', 'jsii-pacmak'), ['--code-only', '--rosetta-tablet', '.jsii.tabl.json', '--targets', 'python', '--targets', 'java', '--targets', 'dotnet', '--targets', 'go', '-o', out], source, {
      env: { ...env, npm_config_ignore_scripts: 'true' },
    });
    const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
    const generated = Object.fromEntries(['python', 'java', 'dotnet', 'go'].map((lang) => [lang, walk(path.join(out, lang))]));

    const assembly = JSON.parse(fs.readFileSync(path.join(source, '.jsii'), 'utf8')) as { types: Record<string, { name: string }> };
    const typeNames = Object.values(assembly.types).map((t) => t.name);
    expect(typeNames.sort()).toEqual([
      'CloudHsmBackendProps', 'ConnectionState', 'CustomKeyStore', 'CustomKeyStoreAttributes', 'CustomKeyStoreBase', 'CustomKeyStoreDashboard', 'CustomKeyStoreDashboardProps', 'CustomKeyStoreErrorCode', 'CustomKeyStoreErrors', 'CustomKeyStoreJanitor', 'CustomKeyStoreJanitorProps', 'CustomKeyStoreKey', 'CustomKeyStoreKeyOptions', 'CustomKeyStoreKeyProps', 'CustomKeyStoreProps',
      'CustomKeyStoreType', 'CustomKeyStoreWidgetsOptions', 'ExternalBackendProps', 'ExternalVpcEndpointServiceBackendProps', 'ICustomKeyStore', 'JanitorAlarmsOptions', 'KeyStoreBackend', 'RecommendedAlarmsOptions',
      'XksExternalKeyManagerState', 'XksProxyErrorType', 'XksProxyErrorsMetricOptions',
    ]);
    const pythonModule = generated.python.find((f) => f.endsWith(path.join('cdk_kms_custom_key_store', '__init__.py')));
    expect(pythonModule).toBeDefined();
    const python = fs.readFileSync(pythonModule as string, 'utf8');
    for (const name of typeNames) {
      expect(`${name}: ${String(new RegExp(`^class ${name}\\b`, 'm').test(python))}`).toBe(`${name}: true`);
      for (const [lang, ext] of [['java', '.java'], ['dotnet', '.cs'], ['go', '.go']]) {
        expect(`${lang} ${name}: ${String(generated[lang].some((f) => path.basename(f) === `${name}${ext}`))}`).toBe(`${lang} ${name}: true`);
      }
    }
    // Each carries the npm package the jsii runtime loads.
    for (const lang of ['python', 'java', 'dotnet', 'go']) {
      expect(`${lang}: ${String(generated[lang].some((f) => f.endsWith('.tgz')))}`).toBe(`${lang}: true`);
    }
    // The Python module is valid Python.
    run('python3', ['-c', 'import ast, sys; ast.parse(open(sys.argv[1]).read())', pythonModule as string], source);

    const pythonReadme = fs.readFileSync(path.join(out, 'python', 'README.md'), 'utf8');
    expect(pythonReadme).toContain('hsm_store = CustomKeyStore(self, "PaymentsHsm",');
    expect(pythonReadme).not.toContain('```ts');
    const goReadme = fs.readFileSync(generated.go.find((f) => path.basename(f) === 'README.md') as string, 'utf8');
    expect(goReadme).toContain('cdkkmscustomkeystore.NewCustomKeyStore(');
  }, 300_000);
});
