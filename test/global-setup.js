// The integration tests run the bundled handler, as Lambda would: bundle the current source first.
const { execFileSync } = require('child_process');
const path = require('path');

module.exports = async () => {
  execFileSync(process.execPath, [path.join(__dirname, '..', 'scripts', 'bundle-handler.js'), '--quiet'], { stdio: 'inherit' });
};
