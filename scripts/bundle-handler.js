#!/usr/bin/env node
// Bundles lambda/index.ts, with the KMS and Secrets Manager clients, into one minified CommonJS
// file at build time, so that a consumer's `cdk synth` needs neither esbuild nor Docker, and the
// handler does not depend on the (older) SDK inside the Lambda runtime. The output depends only
// on the locked dependency versions, so every checkout gets the same asset hash.
const path = require('path');
const fs = require('fs');
const { builtinModules } = require('module');
const esbuild = require('esbuild');

const root = path.join(__dirname, '..');
const outdirFlag = process.argv.indexOf('--outdir');
const outdir = outdirFlag > 0 ? path.resolve(process.argv[outdirFlag + 1]) : path.join(root, 'assets', 'custom-key-store-handler');

async function main() {
  fs.rmSync(outdir, { recursive: true, force: true });
  const result = await esbuild.build({
    entryPoints: [path.join(root, 'lambda', 'index.ts')],
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
  if (process.argv.includes('--externals')) {
    console.log(JSON.stringify(external));
  }
  if (external.length > 0) {
    throw new Error(`the handler bundle would require packages it does not carry: ${external.join(', ')}`);
  }
  const bytes = fs.statSync(path.join(outdir, 'index.js')).size;
  if (!process.argv.includes('--quiet')) {
    console.log(`bundled handler: ${path.relative(root, outdir)}/index.js, ${(bytes / 1024).toFixed(0)} KiB, ${Object.keys(result.metafile.inputs).length} input files`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
