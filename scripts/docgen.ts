// `npm run docgen`: regenerates API.md from the current sources (compiling the assembly first when it is stale).
import * as fs from 'fs';
import { API_MD, ensureFreshAssembly, renderApiReference } from './api-docs';

ensureFreshAssembly();
renderApiReference().then((markdown) => {
  fs.writeFileSync(API_MD, markdown);
}).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
