/** Shared pieces of the Kubernetes tests: a probe context that records, and bounded waits. */
import { Duplex } from 'node:stream';
import type { Report } from '../../src/report/types.js';
import type { ControlHandler, ControlRequest, ControlResponse, ProbeContext } from '../../src/probe/types.js';
import { defaultConnection, type KubernetesConnection } from '../../src/probe/kubernetes/index.js';
import { loadScaledMillis } from '../helpers/deadline.js';

export interface RecordingContext extends ProbeContext {
  handlers: Map<string, ControlHandler>;
  shortcuts: Report[];
  /** Bytes the probe wrote into each pipe, by pipe id. */
  pipeOutput: Map<string, string>;
  /** Calls a registered control as the app would. */
  call(control: string, nodeId: string, args?: Record<string, string>): Promise<ControlResponse>;
}

export function recordingContext(probeId = 'probe-k8s-test'): RecordingContext {
  const handlers = new Map<string, ControlHandler>();
  const shortcuts: Report[] = [];
  const pipeOutput = new Map<string, string>();
  let pipes = 0;
  return {
    hostId: 'testhost',
    probeId,
    controlsEnabled: true,
    controls: {
      register: (id, h) => void handlers.set(id, h),
      unregister: (id) => void handlers.delete(id),
    },
    pipes: {
      openPipe: () => {
        const pipeId = `pipe-${++pipes}`;
        pipeOutput.set(pipeId, '');
        const stream = new Duplex({
          read() {},
          write(chunk: Buffer, _enc, cb) {
            pipeOutput.set(pipeId, pipeOutput.get(pipeId)! + chunk.toString('utf8'));
            cb();
          },
        });
        return { pipeId, stream };
      },
    },
    publishShortcut: (r) => void shortcuts.push(r),
    handlers,
    shortcuts,
    pipeOutput,
    async call(control, nodeId, args = {}) {
      const h = handlers.get(control);
      if (!h) throw new Error(`no handler for ${control}`);
      const req: ControlRequest = { appId: 'app', nodeId, control, args };
      return h(req);
    },
  };
}

export function connectionTo(url: string): KubernetesConnection {
  // The client refuses plain HTTP unless TLS verification is off.
  return defaultConnection({ server: url, token: 'test-token', insecureSkipTlsVerify: true });
}

/** Resolves when `predicate` holds (polled every 20 ms); rejects after `timeoutMillis`. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMillis = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + loadScaledMillis(timeoutMillis); // stretched on an overloaded machine
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function latest(r: Report, topology: keyof Report['topologies'], id: string, key: string): string | undefined {
  return r.topologies[topology].nodes.get(id)?.latest.get(key)?.value;
}
