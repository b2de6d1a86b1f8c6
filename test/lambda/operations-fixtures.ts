/** What the connection watcher's and the proxy credential sync's tests share: the mocks, a store entry, and what was published. */
import { CloudWatchClient, PutMetricDataCommand, PutMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { CustomKeyStoresListEntry } from '@aws-sdk/client-kms';
import { SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { kmsMock, smMock } from './aws-mocks';

export const cwMock = mockClient(CloudWatchClient);
export const ssmMock = mockClient(SSMClient);

const noSleep = async (): Promise<void> => Promise.resolve();
export const retry = { sleep: noSleep, random: () => 0.5 };
export const AT = new Date('2026-11-23T06:00:00Z');
/** Every line the function logged in the current test. */
export const logs: string[] = [];

/** Called before each test. */
export function resetOperationMocks(): void {
  kmsMock.reset();
  cwMock.reset();
  smMock.reset();
  cwMock.on(PutMetricDataCommand).resolves({});
  logs.length = 0;
}

export const store = (id: string, state: string, extra: Partial<CustomKeyStoresListEntry> = {}): CustomKeyStoresListEntry => ({ CustomKeyStoreId: id, ConnectionState: state as CustomKeyStoresListEntry['ConnectionState'], ...extra });

/** Every datum published, as "Metric{dimensions}=value". */
export function published(): string[] {
  return cwMock.commandCalls(PutMetricDataCommand).flatMap((c) => {
    const input: PutMetricDataCommandInput = c.args[0].input;
    expect(input.Namespace).toBe('KmsCustomKeyStores');
    return (input.MetricData ?? []).map((d) => `${d.MetricName}{${(d.Dimensions ?? []).map((x) => `${x.Name}=${x.Value}`).join(',')}}=${d.Value}`);
  });
}
