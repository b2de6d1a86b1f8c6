// `npm run integ:snapshot`: synthesizes every integration test app and replaces its committed snapshot.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { integApps, synthesize, writeSnapshot } from '../test/integ/snapshots';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cks-integ-'));
try {
  const apps = integApps();
  synthesize(apps, scratch);
  for (const app of apps) {
    writeSnapshot(app, path.join(scratch, app));
  }
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
