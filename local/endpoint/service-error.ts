/**
 * The error every emulated service throws: the endpoint answers it in the service's wire format
 * (`__type` and `message` in JSON, `<Code>` and `<Message>` in CloudFormation's XML) with its status.
 */
export class ServiceError extends Error {
  constructor(
    public readonly type: string,
    message: string,
    public readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}
