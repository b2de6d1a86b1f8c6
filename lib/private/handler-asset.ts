import * as fs from 'fs';
import * as path from 'path';

/** The directory of the pre-bundled handler (built by `npm run bundle`, shipped in the package). */
export function handlerAssetDir(): string {
  // From lib/private/ when run from source, from dist/lib/private/ when compiled.
  const candidates = [path.join(__dirname, '..', '..', 'assets', 'custom-key-store-handler'), path.join(__dirname, '..', '..', '..', 'assets', 'custom-key-store-handler')];
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, 'index.js')));
  if (!found) {
    throw new Error(`The custom key store handler bundle is missing (looked in ${candidates.join(', ')}). Run 'npm run bundle' in this package.`);
  }
  return found;
}
