/**
 * The AWS wire protocols the endpoint speaks: JSON 1.1 (KMS, Secrets Manager, SSM) and JSON 1.0
 * (CloudWatch), which name the operation in X-Amz-Target, and the query protocol (CloudFormation),
 * which names it in the form body and answers in XML.
 */
import * as http from 'http';
import { ServiceError } from './service-error';

/** A request as the wire names it. */
export interface WireRequest {
  /** X-Amz-Target as sent; empty in the query protocol. */
  readonly target: string;
  readonly service: string;
  readonly operation: string;
  /** The form body, in the query protocol only. */
  readonly query?: URLSearchParams;
}

/** JSON protocols name the operation in X-Amz-Target; CloudFormation's query protocol in the form body. */
export function readWireRequest(target: string, raw: string): WireRequest {
  const query = target === '' ? new URLSearchParams(raw) : undefined;
  const [service, operation = ''] = query ? ['cloudformation', query.get('Action') ?? ''] : target.split('.');
  return { target, service, operation, query };
}

/** The request's input fields; throws when a JSON body is not JSON. */
export function inputOf(request: WireRequest, raw: string): Record<string, unknown> {
  return request.query ? Object.fromEntries(request.query) : raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
}

/** How the endpoint answers one request, in the request's protocol. */
export interface Reply {
  ok(result: Record<string, unknown>, requestId: string): void;
  error(err: ServiceError, requestId: string): void;
}

export function replyFor(res: http.ServerResponse, request: WireRequest): Reply {
  return request.query ? new QueryReply(res, request.operation) : new JsonReply(res, request.service === 'GraniteServiceVersion20100801' ? '1.0' : '1.1');
}

/** An answer in the AWS JSON protocol: 1.1 for KMS and Secrets Manager, 1.0 for CloudWatch. */
class JsonReply implements Reply {
  constructor(
    private readonly res: http.ServerResponse,
    private readonly version: '1.0' | '1.1',
  ) {}

  public ok(result: Record<string, unknown>, requestId: string): void {
    this.send(200, JSON.stringify(result), requestId);
  }

  public error(err: ServiceError, requestId: string): void {
    this.send(err.status, JSON.stringify({ __type: err.type, message: err.message }), requestId, err.type);
  }

  private send(status: number, json: string, requestId: string, errorType?: string): void {
    this.res.writeHead(status, {
      'content-type': `application/x-amz-json-${this.version}`,
      'x-amzn-requestid': requestId,
      'content-length': Buffer.byteLength(json),
      ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
    });
    this.res.end(json);
  }
}

/** An answer in the AWS query protocol (CloudFormation): XML, lists as <member> elements. */
class QueryReply implements Reply {
  constructor(
    private readonly res: http.ServerResponse,
    private readonly operation: string,
  ) {}

  public ok(result: Record<string, unknown>, requestId: string): void {
    const xml =
      `<${this.operation}Response xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">` +
      `<${this.operation}Result>${toXml(result)}</${this.operation}Result>` +
      `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${this.operation}Response>`;
    this.send(200, xml);
  }

  public error(err: ServiceError, requestId: string): void {
    const type = err.status >= 500 ? 'Receiver' : 'Sender';
    this.send(err.status, `<ErrorResponse><Error><Type>${type}</Type><Code>${err.type}</Code><Message>${escapeXml(err.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`);
  }

  private send(status: number, xml: string): void {
    this.res.writeHead(status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(xml) });
    this.res.end(xml);
  }
}

function toXml(value: unknown): string {
  if (Array.isArray(value)) {
    return value.map((item) => `<member>${toXml(item)}</member>`).join('');
  }
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).map(([key, inner]) => `<${key}>${toXml(inner)}</${key}>`).join('');
  }
  return escapeXml(String(value));
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
