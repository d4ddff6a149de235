/**
 * Local servers that speak the real DynamoDB and S3 APIs, for the AWS collector tests and bench:
 * `dynalite` (DynamoDB on LevelDB in memory) and `s3rver` (S3 on a temp directory), each on a
 * random loopback port. Both are CommonJS without type declarations, hence the narrow typings.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

type DynaliteFactory = (opts: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverClass = new (opts: { port: number; address: string; silent: boolean; directory: string; resetOnClose?: boolean }) => S3rverInstance;

/** A running dynalite + s3rver pair; URLs carry the credentials s3rver accepts. */
export interface LocalAws {
  readonly dynamoPort: number;
  readonly s3Port: number;
  /** `dynamodb://…/<table>` for this dynalite. */
  dynamoUrl(table: string): string;
  /** `s3://…/<bucket>` for this s3rver. */
  s3Url(bucket: string): string;
  /**
   * Cuts DynamoDB off: clients reach dynalite through a TCP relay, which stops listening and drops
   * its connections (dynalite itself keeps its data); `resumeDynamo()` listens again on the same port.
   */
  pauseDynamo(): Promise<void>;
  resumeDynamo(): Promise<void>;
  stop(): Promise<void>;
}

export async function startLocalAws(): Promise<LocalAws> {
  const dynalite = require('dynalite') as DynaliteFactory;
  const S3rver = require('s3rver') as S3rverClass;
  const dynamo = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    dynamo.once('error', reject);
    dynamo.listen(0, '127.0.0.1', () => resolve());
  });
  const backendPort = (dynamo.address() as AddressInfo).port;
  // The relay clients use, so an outage can be made without losing dynalite's in-memory data.
  const sockets = new Set<Socket>();
  const relay = createServer((client) => {
    const upstream = connect(backendPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  const listenRelay = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      relay.once('error', reject);
      relay.listen(port, '127.0.0.1', () => {
        relay.off('error', reject);
        resolve();
      });
    });
  const closeRelay = (): Promise<void> =>
    new Promise((resolve) => {
      if (!relay.listening) return resolve();
      relay.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  await listenRelay(0);
  const dynamoPort = (relay.address() as AddressInfo).port;
  const dir = mkdtempSync(join(tmpdir(), 'openscope-s3rver-'));
  let s3: S3rverInstance;
  let s3Port: number;
  try {
    s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, resetOnClose: true });
    s3Port = (await s3.run()).port;
  } catch (err) {
    await closeRelay();
    dynamo.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const closeDynamo = (): Promise<void> =>
    new Promise((resolve) => {
      if (!dynamo.listening) return resolve();
      dynamo.close(() => resolve());
      // Keep-alive sockets of the SDK would hold close() open.
      (dynamo as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
    });
  return {
    dynamoPort,
    s3Port,
    dynamoUrl: (table) => `dynamodb://local:local@127.0.0.1:${dynamoPort}/${table}`,
    s3Url: (bucket) => `s3://S3RVER:S3RVER@127.0.0.1:${s3Port}/${bucket}`,
    pauseDynamo: closeRelay,
    resumeDynamo: () => (relay.listening ? Promise.resolve() : listenRelay(dynamoPort)),
    stop: async () => {
      await closeRelay();
      await closeDynamo();
      await s3.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
