#!/usr/bin/env node
// Runs a TypeScript script (the demo, the bench) with ts-node's require hook, type checking off.
// ts-node loads the TypeScript compiler through v8-compile-cache, which leaves a directory in the
// system temp directory after every run: it is turned off here, before ts-node is loaded.
process.env.DISABLE_V8_COMPILE_CACHE = '1';
require('ts-node').register({ transpileOnly: true });
const path = require('path');
const script = process.argv[2];
if (!script) {
  console.error('usage: node scripts/run-ts.js <script.ts> [args...]');
  process.exit(2);
}
process.argv.splice(1, 2, path.resolve(script));
require(path.resolve(script));
