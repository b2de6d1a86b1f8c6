import * as fs from 'fs';
import * as path from 'path';

/** The library's pre-bundled functions (built by `npm run bundle`, shipped in the package). */
export type HandlerBundle = 'custom-key-store-handler' | 'connection-watcher' | 'proxy-credential-sync' | 'key-store-janitor';

/** The directory of a pre-bundled function. */
export function handlerAssetDir(bundle: HandlerBundle = 'custom-key-store-handler'): string {
  // From lib/private/ when run from source, from dist/lib/private/ when compiled.
  const candidates = [path.join(__dirname, '..', '..', 'assets', bundle), path.join(__dirname, '..', '..', '..', 'assets', bundle)];
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, 'index.js')));
  if (!found) {
    throw new Error(`The ${bundle} bundle is missing (looked in ${candidates.join(', ')}). Run 'npm run bundle' in this package.`);
  }
  return found;
}
