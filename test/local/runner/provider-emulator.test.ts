/** The runner's stand-in for the Provider framework behaves as the framework does. */
import { CREATE_FAILED_MARKER, LoadedHandlers, runOperation } from '../../../local/runner/provider-emulator';

const options = { queryIntervalMs: 1, totalTimeoutMs: 1000, record: (): void => undefined };
const event = { RequestType: 'Create', RequestId: 'r1', StackId: 'stack', LogicalResourceId: 'Store', ResourceProperties: {} };

function handlers(onEvent: LoadedHandlers['onEvent'], isComplete: LoadedHandlers['isComplete']): LoadedHandlers {
  return { onEvent, isComplete, onEventName: 'OnEventFn', isCompleteName: 'IsCompleteFn' };
}

test('onEvent extra fields reach isComplete, and Data from both ends up in the response', async () => {
  const seen: Array<Record<string, unknown>> = [];
  const outcome = await runOperation(
    handlers(
      () => Promise.resolve({ PhysicalResourceId: 'cks-1', Marker: 'x', Data: { A: '1' } }),
      (e) => {
        seen.push(e);
        return Promise.resolve(seen.length < 3 ? { IsComplete: false } : { IsComplete: true, Data: { B: '2' } });
      },
    ),
    event,
    options,
  );
  expect(outcome).toMatchObject({ status: 'SUCCESS', physicalResourceId: 'cks-1', data: { A: '1', B: '2' }, polls: 3 });
  expect(seen[0]).toMatchObject({ PhysicalResourceId: 'cks-1', Marker: 'x', RequestType: 'Create' });
});

test('a Create that fails in onEvent gets the marker id; its Delete is then ignored', async () => {
  const failing = handlers(() => Promise.reject(new Error('boom')), () => Promise.resolve({ IsComplete: true }));
  const created = await runOperation(failing, event, options);
  expect(created).toMatchObject({ status: 'FAILED', physicalResourceId: CREATE_FAILED_MARKER });
  // The framework's Reason: the message, the log group, then the rest of the stack trace.
  expect(created.reason).toMatch(/^boom\n\nLogs: \/aws\/lambda\/OnEventFn\n\n {4}at /);
  const deleted = await runOperation(failing, { ...event, RequestType: 'Delete', PhysicalResourceId: CREATE_FAILED_MARKER }, options);
  expect(deleted.status).toBe('SUCCESS');
});

test('a Reason that makes the response exceed 4,096 bytes is what CloudFormation rejects', async () => {
  const outcome = await runOperation(handlers(() => Promise.resolve({ PhysicalResourceId: 'cks-1' }), () => Promise.reject(new Error('x'.repeat(5000)))), event, options);
  expect(outcome).toMatchObject({ status: 'FAILED', reason: 'Response object is too long.' });
});

test('Data with IsComplete false, and the total timeout, fail as the framework fails them', async () => {
  const data = await runOperation(handlers(() => Promise.resolve({ PhysicalResourceId: 'cks-1' }), () => Promise.resolve({ IsComplete: false, Data: { A: '1' } })), event, options);
  expect(data.reason).toBe('"Data" is not allowed if "IsComplete" is "False"');
  const slow = await runOperation(handlers(() => Promise.resolve({ PhysicalResourceId: 'cks-1' }), () => Promise.resolve({ IsComplete: false })), event, { ...options, totalTimeoutMs: 20 });
  expect(slow).toMatchObject({ status: 'FAILED', reason: 'Operation timed out' });
});
