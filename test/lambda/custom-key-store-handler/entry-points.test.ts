/** The Lambda entry points (index.onEvent, index.isComplete) and the phase runner's report of an unexpected error. */
import { CreateCustomKeyStoreCommand, DescribeCustomKeyStoresCommand } from '@aws-sdk/client-kms';
import * as handler from '../../../lambda/custom-key-store-handler/index';
import { cloudHsmProps, createEvent, deleteEvent, withResult } from '../../fixtures/events';
import { harness, kmsMock, resetMocks, store } from './harness';

const ID = 'cks-1234567890abcdef0';

beforeEach(resetMocks);

describe('entry points', () => {
  test('index.onEvent and index.isComplete run a create with the module\'s own clients', async () => {
    kmsMock.on(CreateCustomKeyStoreCommand).resolves({ CustomKeyStoreId: ID });
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [store(ID, 'CONNECTED', { CreationDate: new Date() })] });
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    process.env.AWS_REGION = 'us-east-1';
    const event = createEvent(cloudHsmProps());
    const result = await handler.onEvent(event);
    expect(await handler.isComplete(withResult(event, result))).toEqual({ IsComplete: true, Data: { CustomKeyStoreId: ID, ConnectionState: 'CONNECTED' } });
    expect(log.mock.calls.map((c) => String(c[0])).join('\n')).toMatch(/"phase":"onEvent"/);
    log.mockRestore();
  });

  test('an unexpected error is reported with the request, the phase and what to do', async () => {
    kmsMock.on(DescribeCustomKeyStoresCommand).rejects(new TypeError('socket exploded'));
    await expect(harness().onEvent(deleteEvent(ID, cloudHsmProps()))).rejects.toThrow(
      /^TypeError: socket exploded \(during Delete onEvent of cks-1234567890abcdef0; the store is as the last completed step left it, see the handler's log, and the deployment can be retried\)$/,
    );
  });
});
