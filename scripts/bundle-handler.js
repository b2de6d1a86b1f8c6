#!/usr/bin/env node
// Bundles each Lambda function of the library (one folder of lambda/ each: the deployment handler,
// the connection watcher, the proxy credential sync), with the AWS SDK clients it uses, into one
// minified CommonJS file per function at build time, so that a consumer's `cdk synth` needs neither esbuild nor Docker, and the
// handler does not depend on the (older) SDK inside the Lambda runtime. The output depends only
// on the locked dependency versions, so every checkout gets the same asset hash.
const path = require('path');
const fs = require('fs');
const { builtinModules } = require('module');
const esbuild = require('esbuild');

const root = path.join(__dirname, '..');
const outdirFlag = process.argv.indexOf('--outdir');
// The assets root: one directory per function below it, each with its index.js.
const assetsRoot = outdirFlag > 0 ? path.resolve(process.argv[outdirFlag + 1]) : path.join(root, 'assets');

/**
 * Asset directory name -> entry point: every folder of lambda/ with an index.ts is one function,
 * named after its folder; lambda/shared/ holds code the functions share and is no function. One
 * function, one bundle: each carries only the clients it calls.
 */
const lambdaRoot = path.join(root, 'lambda');
const BUNDLES = Object.fromEntries(
  fs
    .readdirSync(lambdaRoot, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name !== 'shared' && fs.existsSync(path.join(lambdaRoot, entry.name, 'index.ts')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => [name, `lambda/${name}/index.ts`]),
);

async function main() {
  const external = [];
  for (const [name, entry] of Object.entries(BUNDLES)) {
    external.push(...(await bundle(name, entry)));
  }
  if (process.argv.includes('--externals')) {
    console.log(JSON.stringify([...new Set(external)]));
  }
  if (external.length > 0) {
    throw new Error(`the handler bundles would require packages they do not carry: ${[...new Set(external)].join(', ')}`);
  }
}

async function bundle(name, entry) {
  const outdir = path.join(assetsRoot, name);
  fs.rmSync(outdir, { recursive: true, force: true });
  const result = await esbuild.build({
    entryPoints: [path.join(root, entry)],
    outfile: path.join(outdir, 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  // Whatever the bundle leaves to require() at run time must come with Node.js itself, never from
  // the Lambda runtime's own (older) SDK.
  const imports = Object.values(result.metafile.outputs).flatMap((output) => output.imports);
  const external = [...new Set(imports.filter((i) => i.external && !builtinModules.includes(i.path.replace(/^node:/, ''))).map((i) => i.path))];
  const bytes = fs.statSync(path.join(outdir, 'index.js')).size;
  if (!process.argv.includes('--quiet')) {
    console.log(`bundled ${name}: ${path.relative(root, outdir)}/index.js, ${(bytes / 1024).toFixed(0)} KiB, ${Object.keys(result.metafile.inputs).length} input files`);
  }
  return external;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
