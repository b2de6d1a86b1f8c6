// Runs once before the suite, in jest's own process; the workers and every process they start
// inherit the environment set here.
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

module.exports = async () => {
  // The integration tests run the bundled handler, as Lambda would: bundle the current source first.
  execFileSync(process.execPath, [path.join(__dirname, '..', 'scripts', 'bundle-handler.js'), '--quiet'], { stdio: 'inherit' });

  // Every temporary file of the run (aws-cdk-lib's cdk.out* for apps without an outdir, the tests'
  // own directories, child processes' scratch files) goes under one directory that the global
  // teardown removes, so the suite leaves nothing in the system temp directory.
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cks-test-run-'));
  process.env.CKS_TEST_RUN_DIR = runDir;
  process.env.TMPDIR = runDir;
  process.env.TMP = runDir;
  process.env.TEMP = runDir;

  // On Node.js 20 the AWS SDK warns, once per test file that loads it, that it will need Node.js 22
  // from January 2027. Say it once here instead; the handler itself runs on Node.js 24 in Lambda.
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 22) {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    console.log(`\nNode.js ${process.versions.node}: the AWS SDK for JavaScript will require Node.js 22 from January 2027 (its NodeVersionSupportWarning is shown here once, not per test file).`);
  }
};
