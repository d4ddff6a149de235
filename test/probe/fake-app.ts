/**
 * A small real app for probe tests: HTTP server with `GET /api`, `POST /api/report` (recorded,
 * decoded with the real codec), `DELETE /api/pipe/:id`, and websockets for the control channel
 * and pipes. Status codes can be switched to simulate a failing app.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeReportBody } from '../../src/report/codec/index.js';
import type { Report } from '../../src/report/types.js';

export interface ReceivedReport {
  report: Report;
  headers: http.IncomingHttpHeaders;
  rawBody: Buffer;
}

export class FakeApp {
  readonly reports: ReceivedReport[] = [];
  readonly posts: number[] = []; // arrival times of every POST /api/report
  readonly deletedPipes: string[] = [];
  readonly controlSockets: Array<{ ws: WebSocket; headers: http.IncomingHttpHeaders }> = [];
  readonly pipeSockets = new Map<string, WebSocket>();
  /** Everything the probe sent on each pipe, as text. */
  readonly pipeData = new Map<string, string>();
  reportStatus = 200;
  /** Pipe ids the app says are closed (dial answered 404). */
  readonly closedPipes = new Set<string>();
  private readonly server: http.Server;
  private readonly wss = new WebSocketServer({ noServer: true });
  port = 0;

  constructor(readonly appId = 'app-1') {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.on('upgrade', (req, socket, head) => {
      const url = req.url ?? '';
      const pipe = /^\/api\/pipe\/([^/]+)\/probe$/.exec(url);
      if (pipe && this.closedPipes.has(decodeURIComponent(pipe[1]!))) {
        socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        if (url === '/api/control/ws') this.controlSockets.push({ ws, headers: req.headers });
        else if (pipe) {
          const id = decodeURIComponent(pipe[1]!);
          this.pipeSockets.set(id, ws);
          this.pipeData.set(id, '');
          ws.on('message', (d: Buffer) => this.pipeData.set(id, (this.pipeData.get(id) ?? '') + d.toString('utf8')));
        }
        else ws.close();
      });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async listen(port = 0): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    if (req.method === 'GET' && req.url === '/api') {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ id: this.appId, version: 'test', hostname: 'fake' }));
      return;
    }
    if (req.method === 'POST' && req.url === '/api/report') {
      this.posts.push(Date.now());
      if (this.reportStatus !== 200) {
        res.statusCode = this.reportStatus;
        res.end('"nope"');
        return;
      }
      const report = await decodeReportBody(body, {
        contentType: req.headers['content-type'] ?? '',
        contentEncoding: req.headers['content-encoding'] ?? '',
      });
      this.reports.push({ report, headers: req.headers, rawBody: body });
      res.end();
      return;
    }
    const del = /^\/api\/pipe\/([^/]+)$/.exec(req.url ?? '');
    if (req.method === 'DELETE' && del) {
      this.deletedPipes.push(decodeURIComponent(del[1]!));
      res.statusCode = 204;
      res.end();
      return;
    }
    res.statusCode = 404;
    res.end();
  }
}
