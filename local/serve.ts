/**
 * The local KMS endpoint in a process of its own, so that a benchmark's client and the endpoint do
 * not share one event loop. Options come as JSON in argv[2] (LocalKmsOptions, plus `plainKeys`);
 * it prints one JSON line with its URL, then answers lines on stdin: `stats` prints the calls by
 * operation and outcome, `add N` adds N plain keys, `quit` stops it.
 */
import * as readline from 'readline';
import { LocalKmsOptions, startLocalKms } from './endpoint/server';

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as LocalKmsOptions & { plainKeys?: number };
  const kms = await startLocalKms(options);
  kms.model.addPlainKeys(options.plainKeys ?? 0);
  console.log(JSON.stringify({ url: kms.url }));
  for await (const line of readline.createInterface({ input: process.stdin })) {
    const [command, arg] = line.trim().split(/\s+/);
    if (command === 'stats') {
      const counts: Record<string, number> = {};
      for (const c of kms.calls) counts[`${c.operation}:${c.outcome}`] = (counts[`${c.operation}:${c.outcome}`] ?? 0) + 1;
      console.log(JSON.stringify(counts));
    } else if (command === 'add') {
      kms.model.addPlainKeys(Number(arg));
      console.log(JSON.stringify({ added: Number(arg) }));
    } else if (command === 'quit') {
      break;
    }
  }
  await kms.stop();
}

void main();
