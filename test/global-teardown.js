// Removes the run's temporary directory (see global-setup.js).
const fs = require('fs');

module.exports = async () => {
  const runDir = process.env.CKS_TEST_RUN_DIR;
  if (runDir) {
    fs.rmSync(runDir, { recursive: true, force: true });
  }
};
