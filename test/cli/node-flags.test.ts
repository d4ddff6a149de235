// Every way of starting `openscope` passes the same V8 flags (src/cli/node-flags.ts), and Node accepts them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PROBE_PROCESS_V8_FLAGS, RUNTIME_NODE_FLAGS } from '../../src/cli/node-flags.js';

const ROOT = new URL('../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, ROOT), 'utf8');

test('the executable runs node with the runtime flags (shebang of src/cli/main.ts)', () => {
  const shebang = read('src/cli/main.ts').split('\n')[0];
  assert.equal(shebang, `#!/usr/bin/env -S node ${RUNTIME_NODE_FLAGS.join(' ')}`);
});

test('npm start passes the runtime flags', () => {
  const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
  assert.equal(pkg.scripts.start, `node ${RUNTIME_NODE_FLAGS.join(' ')} dist/cli/main.js`);
});

test('the image entrypoint and its openscope command pass the runtime flags', () => {
  const dockerfile = read('Dockerfile');
  const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile);
  assert.ok(entrypoint, 'Dockerfile has an exec-form ENTRYPOINT');
  assert.deepEqual(JSON.parse(entrypoint[1]!), ['node', ...RUNTIME_NODE_FLAGS, '/opt/openscope/dist/cli/main.js']);
  assert.match(dockerfile, new RegExp(`exec node ${RUNTIME_NODE_FLAGS.join(' ')} /opt/openscope/dist/cli/main\\.js`));
});

test('node accepts the runtime flags', () => {
  // An unknown or misspelt V8 flag makes node exit with "bad option" before running anything.
  const out = execFileSync(process.execPath, [...RUNTIME_NODE_FLAGS, '-e', 'process.stdout.write("ok")'], { encoding: 'utf8' });
  assert.equal(out, 'ok');
});

test('the probe-only flags keep the young generation at its initial size; without them it grows', () => {
  // A fresh node per case: the flags change this process's V8. The loop keeps the last few
  // batches alive, as a probe keeps its pending report, so many bytes survive scavenges.
  const script = (apply: boolean): string => `
    import v8 from 'node:v8';
    ${apply ? `import { applyProbeProcessFlags } from './src/cli/node-flags.ts'; applyProbeProcessFlags();` : ''}
    const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
    const initial = newSpace();
    let max = initial;
    const keep = [];
    for (let round = 0; round < 150; round++) {
      const batch = [];
      for (let i = 0; i < 20000; i++) batch.push({ i, s: 'x' + i });
      keep.push(batch);
      if (keep.length > 3) keep.shift();
      max = Math.max(max, newSpace());
    }
    process.stdout.write(JSON.stringify({ initial, max }));`;
  const run = (apply: boolean): { initial: number; max: number } =>
    JSON.parse(execFileSync(process.execPath, [...RUNTIME_NODE_FLAGS, '--import', 'tsx', '--input-type=module', '-e', script(apply)], {
      cwd: fileURLToPath(ROOT),
      encoding: 'utf8',
    })) as { initial: number; max: number };
  const without = run(false);
  assert.ok(without.max > without.initial, `V8 grows the new space by default: ${JSON.stringify(without)}`);
  const withFlags = run(true);
  assert.equal(withFlags.max, withFlags.initial, `the new space stays at its initial size: ${JSON.stringify(withFlags)}`);
});

test('node knows the probe-only flags', () => {
  // v8.setFlagsFromString ignores a flag V8 does not know; on the command line node refuses it.
  const out = execFileSync(process.execPath, [...PROBE_PROCESS_V8_FLAGS, '-e', 'process.stdout.write("ok")'], { encoding: 'utf8' });
  assert.equal(out, 'ok');
});
