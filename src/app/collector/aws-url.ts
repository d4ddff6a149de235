/**
 * Scope's AWS URLs (wire §1.6): `dynamodb://[key:secret@]<region-or-host>/<table>` and
 * `s3://[key:secret@]<region-or-host>/<bucket>`, turned into options for the official SDK v3
 * clients. Scope's rule: a host containing a dot is an explicit endpoint (`http://<host>`) and the
 * region is then `$AWS_REGION` (or `dummy`, as Scope used); otherwise the host is the region.
 * We also treat a host with a port or `localhost` as an endpoint (a region never has either), use
 * https for `*.amazonaws.com` endpoints, and take the region from the SDK's own chain when the
 * host is empty (`dynamodb:///table`). Without `key:secret@` the SDK's standard credential chain
 * (environment, shared profile, web identity, instance metadata) is used.
 */
import { AppConfigError } from '../config.js';

/** What one AWS URL names. */
export interface AwsTarget {
  /** `dynamodb` or `s3`. */
  readonly service: 'dynamodb' | 's3';
  /** Table (DynamoDB) or bucket (S3) name. */
  readonly name: string;
  /** Region to sign for; undefined = the SDK's default chain (`AWS_REGION`, profile). */
  readonly region: string | undefined;
  /** Explicit endpoint URL (an emulator, a VPC endpoint); undefined = AWS's own for the region. */
  readonly endpoint: string | undefined;
  /** Static credentials from the URL; undefined = the SDK's default credential chain. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined;
}

/** `dynamodb://…` or `s3://…` → {@link AwsTarget}; anything malformed → {@link AppConfigError}. */
export function parseAwsUrl(value: string, service: 'dynamodb' | 's3', env: NodeJS.ProcessEnv = process.env): AwsTarget {
  const what = service === 'dynamodb' ? 'table' : 'bucket';
  const form = `${service}://[key:secret@]<region-or-host>/<${what}>`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AppConfigError(`"${redact(value)}" is not a URL of the form ${form}`);
  }
  if (url.protocol !== `${service}:`) throw new AppConfigError(`"${redact(value)}" must start with ${service}:// (${form})`);
  const name = decodeURIComponent(url.pathname.replace(/^\/+/, ''));
  if (name === '' || name.includes('/')) throw new AppConfigError(`"${redact(value)}" must name one ${what}: ${form}`);
  if (url.search !== '' || url.hash !== '') throw new AppConfigError(`"${redact(value)}" must not have a query or fragment: ${form}`);
  let credentials: AwsTarget['credentials'];
  if (url.username !== '' || url.password !== '') {
    if (url.username === '' || url.password === '') {
      throw new AppConfigError(`"${redact(value)}" must give both the access key and the secret (key:secret@), or neither`);
    }
    credentials = { accessKeyId: decodeURIComponent(url.username), secretAccessKey: decodeURIComponent(url.password) };
  }
  const host = url.hostname;
  const isEndpoint = host.includes('.') || url.port !== '' || host === 'localhost' || host.startsWith('[');
  if (isEndpoint) {
    const scheme = host.endsWith('.amazonaws.com') || host.endsWith('.amazonaws.com.cn') ? 'https' : 'http';
    return { service, name, region: env['AWS_REGION'] || 'dummy', endpoint: `${scheme}://${url.host}`, credentials };
  }
  return { service, name, region: host === '' ? undefined : host, endpoint: undefined, credentials };
}

/** The URL with its secret replaced, for messages and logs. */
export function redact(value: string): string {
  return value.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
