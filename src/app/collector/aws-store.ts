/**
 * The storage side of the DynamoDB + S3 collector, through the official AWS SDK v3 clients.
 *
 * - S3 holds report bodies: msgpack (wire §4.1; JSON when a probe sent JSON), gzip level 1,
 *   content-addressed under `reports/<sha256 of the body>.gz`, so a retried write is harmless.
 * - DynamoDB indexes them by time bucket: partition key `bucket` = start of the
 *   {@link BUCKET_MILLIS} bucket of the arrival (seconds since the epoch, decimal string), sort key
 *   `sk` = `<arrival ms, 15 digits>#<probe id>#<hash prefix>`. A window of 15 s therefore spans
 *   one or two partitions, each read with one bounded `Query` (sort key BETWEEN two times).
 *   Items carry `expires` (seconds since the epoch) for DynamoDB's TTL. One marker item
 *   (`bucket` = `meta`, `sk` = `oldest`) keeps the arrival of the first report ever stored.
 */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateTimeToLiveCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutBucketLifecycleConfigurationCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { sleep } from '../../common/backoff.js';
import { AppConfigError } from '../config.js';
import type { AwsTarget } from './aws-url.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** Width of one index partition, in ms. A 15 s window touches at most two. */
export const BUCKET_MILLIS = 15_000;
/** Largest stored body accepted when reading back, decompressed (as the app's report limit). */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** One index entry: where a report's body is and when it arrived. */
export interface IndexItem {
  /** Sort key; unique per report and stable (decoded reports are cached by it). */
  readonly sk: string;
  readonly probeId: string;
  readonly arrivalMillis: number;
  /** S3 key of the body. */
  readonly objectKey: string;
  /** The replica that stored it. */
  readonly replicaId: string;
}

/** A report ready to be written: its index entry and compressed body. */
export interface PendingWrite {
  readonly item: IndexItem;
  readonly body: Uint8Array;
}

const pad = (millis: number): string => String(Math.max(0, Math.floor(millis))).padStart(15, '0');
const bucketOf = (millis: number): number => Math.floor(millis / BUCKET_MILLIS) * (BUCKET_MILLIS / 1000);

/** Compresses `msgpack` and names it: the write for one report. */
export async function prepareWrite(probeId: string, arrivalMillis: number, replicaId: string, bytes: Uint8Array): Promise<PendingWrite> {
  const hash = createHash('sha256').update(bytes).digest('hex');
  const body = await gzipAsync(bytes, { level: 1 });
  const item = { sk: `${pad(arrivalMillis)}#${probeId}#${hash.slice(0, 16)}`, probeId, arrivalMillis, objectKey: `reports/${hash}.gz`, replicaId };
  return { item, body };
}

/** Per-request limits: an unreachable endpoint must fail fast, not hang a poll or a write. */
const REQUEST_HANDLER = { connectionTimeout: 3000, requestTimeout: 10_000 };

function clientConfig(t: AwsTarget): Record<string, unknown> {
  return {
    ...(t.region === undefined ? {} : { region: t.region }),
    ...(t.endpoint === undefined ? {} : { endpoint: t.endpoint }),
    ...(t.credentials === undefined ? {} : { credentials: t.credentials }),
    // The SDK retries throttling and 5xx itself (with its own backoff); past that our retry
    // queue takes over, so keep the SDK's part short.
    maxAttempts: 3,
    requestHandler: REQUEST_HANDLER,
  };
}

const errName = (err: unknown): string => (err instanceof Error ? err.name : '');

/** The DynamoDB table and S3 bucket of one deployment. */
export class AwsReportStore {
  private readonly dynamo: DynamoDBClient;
  private readonly s3: S3Client;
  readonly table: string;
  readonly bucket: string;

  constructor(
    private readonly dynamoTarget: AwsTarget,
    private readonly s3Target: AwsTarget,
    private readonly retentionMillis: number,
  ) {
    this.table = dynamoTarget.name;
    this.bucket = s3Target.name;
    this.dynamo = new DynamoDBClient(clientConfig(dynamoTarget));
    // Emulators and custom endpoints take the bucket in the path, not as a subdomain.
    // Checksums only where S3 requires them: bodies are content-addressed (SHA-256) already, TLS
    // protects them in transit, and S3-compatible stores may not know the newer checksum headers.
    this.s3 = new S3Client({
      ...clientConfig(s3Target),
      forcePathStyle: s3Target.endpoint !== undefined,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  /** Creates the table and bucket when missing (`--app.aws.create.tables`); waits until usable. */
  async create(): Promise<void> {
    try {
      await this.dynamo.send(
        new CreateTableCommand({
          TableName: this.table,
          AttributeDefinitions: [
            { AttributeName: 'bucket', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'bucket', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    } catch (err) {
      if (errName(err) !== 'ResourceInUseException') throw err;
    }
    for (let i = 0; i < 120; i++) {
      const d = await this.dynamo.send(new DescribeTableCommand({ TableName: this.table }));
      if (d.Table?.TableStatus === 'ACTIVE') break;
      await sleep(500);
    }
    // Expiry is best effort: emulators may not implement it, and a missing TTL costs only space.
    await this.dynamo
      .send(new UpdateTimeToLiveCommand({ TableName: this.table, TimeToLiveSpecification: { AttributeName: 'expires', Enabled: true } }))
      .catch(() => undefined);
    try {
      const region = this.s3Target.region;
      const located = this.s3Target.endpoint === undefined && region !== undefined && region !== 'us-east-1';
      await this.s3.send(
        new CreateBucketCommand({ Bucket: this.bucket, ...(located ? { CreateBucketConfiguration: { LocationConstraint: region as never } } : {}) }),
      );
    } catch (err) {
      if (!['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes(errName(err))) throw err;
    }
    const days = Math.max(1, Math.ceil(this.retentionMillis / 86_400_000) + 1);
    await this.s3
      .send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: this.bucket,
          LifecycleConfiguration: { Rules: [{ ID: 'openscope-retention', Status: 'Enabled', Filter: { Prefix: 'reports/' }, Expiration: { Days: days } }] },
        }),
      )
      .catch(() => undefined);
  }

  /** Checks that table and bucket exist and answer; {@link AppConfigError} naming what is wrong. */
  async check(): Promise<void> {
    try {
      await this.dynamo.send(new DescribeTableCommand({ TableName: this.table }));
    } catch (err) {
      const hint = errName(err) === 'ResourceNotFoundException' ? ' (create it, or start with --app.aws.create.tables)' : '';
      throw new AppConfigError(`DynamoDB table "${this.table}" is not usable${hint}: ${(err as Error).message}`);
    }
    try {
      await this.s3.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      const hint = errName(err) === 'NotFound' ? ' (create it, or start with --app.aws.create.tables)' : '';
      throw new AppConfigError(`S3 bucket "${this.bucket}" is not usable${hint}: ${(err as Error).message || errName(err)}`);
    }
  }

  /** Stores the body, then indexes it (so an index entry never points at a missing body). */
  async write(w: PendingWrite): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: w.item.objectKey, Body: w.body, ContentType: 'application/octet-stream', ContentEncoding: 'gzip' }));
    const { item } = w;
    await this.dynamo.send(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          bucket: { S: String(bucketOf(item.arrivalMillis)) },
          sk: { S: item.sk },
          probe: { S: item.probeId },
          arrival: { N: String(item.arrivalMillis) },
          object: { S: item.objectKey },
          replica: { S: item.replicaId },
          expires: { N: String(Math.ceil((item.arrivalMillis + this.retentionMillis) / 1000)) },
        },
      }),
    );
  }

  /** Index entries with `fromMillis < arrival ≤ toMillis`, ascending by arrival. */
  async range(fromMillis: number, toMillis: number): Promise<IndexItem[]> {
    const out: IndexItem[] = [];
    const lo = pad(fromMillis + 1);
    const hi = `${pad(toMillis)}$`; // '$' sorts after '#', so every item of ms `toMillis` is in
    for (let b = bucketOf(fromMillis + 1); b <= bucketOf(toMillis); b += BUCKET_MILLIS / 1000) {
      let start: Record<string, AttributeValue> | undefined;
      do {
        const res = await this.dynamo.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: '#b = :b AND sk BETWEEN :lo AND :hi',
            ExpressionAttributeNames: { '#b': 'bucket' },
            ExpressionAttributeValues: { ':b': { S: String(b) }, ':lo': { S: lo }, ':hi': { S: hi } },
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        for (const raw of res.Items ?? []) {
          const item = itemOf(raw);
          if (item) out.push(item);
        }
        start = res.LastEvaluatedKey;
      } while (start);
    }
    return out;
  }

  /** Records `arrivalMillis` as the oldest stored arrival unless one is recorded already. */
  async markOldest(arrivalMillis: number): Promise<void> {
    try {
      await this.dynamo.send(
        new PutItemCommand({
          TableName: this.table,
          Item: { bucket: { S: 'meta' }, sk: { S: 'oldest' }, arrival: { N: String(arrivalMillis) } },
          ConditionExpression: 'attribute_not_exists(sk)',
        }),
      );
    } catch (err) {
      if (errName(err) !== 'ConditionalCheckFailedException') throw err;
    }
  }

  /** The arrival recorded by {@link markOldest}, undefined if none. */
  async oldest(): Promise<number | undefined> {
    const res = await this.dynamo.send(new GetItemCommand({ TableName: this.table, Key: { bucket: { S: 'meta' }, sk: { S: 'oldest' } } }));
    const n = Number(res.Item?.['arrival']?.N);
    return Number.isFinite(n) ? n : undefined;
  }

  /** The uncompressed body (msgpack or JSON) stored under `objectKey`. */
  async body(objectKey: string): Promise<Uint8Array> {
    const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: objectKey }));
    if (!res.Body) throw new Error(`S3 object ${objectKey} has no body`);
    const gz = await res.Body.transformToByteArray();
    return gunzipAsync(gz, { maxOutputLength: MAX_BODY_BYTES });
  }

  close(): void {
    this.dynamo.destroy();
    this.s3.destroy();
  }
}

/** A DynamoDB item → index entry; items we did not write (wrong shape) are skipped. */
function itemOf(raw: Record<string, AttributeValue>): IndexItem | undefined {
  const sk = raw['sk']?.S;
  const objectKey = raw['object']?.S;
  const arrivalMillis = Number(raw['arrival']?.N);
  if (sk === undefined || objectKey === undefined || !Number.isFinite(arrivalMillis)) return undefined;
  return { sk, objectKey, arrivalMillis, probeId: raw['probe']?.S ?? '', replicaId: raw['replica']?.S ?? '' };
}
