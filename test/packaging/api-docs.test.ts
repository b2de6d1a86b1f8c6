/**
 * API.md is what Construct Hub, PyPI, Maven and NuGet readers see as the API reference: it must be
 * jsii-docgen's rendering of the current sources, regenerated on purpose with `npm run docgen`.
 */
import * as fs from 'fs';
import { API_MD, ensureFreshAssembly, REGENERATE_COMMAND, renderApiReference } from '../../scripts/api-docs';

test(`API.md is jsii-docgen's rendering of the current assembly (else: ${REGENERATE_COMMAND})`, async () => {
  ensureFreshAssembly();
  const expected = await renderApiReference();
  const committed = fs.existsSync(API_MD) ? fs.readFileSync(API_MD, 'utf8') : '';
  if (committed !== expected) {
    const committedLines = committed.split('\n');
    const first = expected.split('\n').findIndex((line, i) => line !== committedLines[i]);
    throw new Error(`API.md is stale (first difference at line ${first + 1}): run \`${REGENERATE_COMMAND}\` and commit API.md.`);
  }
  // Not a vacuous pass: the reference documents the library's constructs.
  expect(expected).toContain('### CustomKeyStore <a name="CustomKeyStore"');
  expect(expected).toContain('### CustomKeyStoreKey <a name="CustomKeyStoreKey"');
}, 180_000);
