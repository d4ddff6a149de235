// Every way of starting `openscope` passes the same V8 flags (src/cli/node-flags.ts), and Node accepts them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { RUNTIME_NODE_FLAGS } from '../../src/cli/node-flags.js';

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
