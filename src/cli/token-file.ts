// `--app.auth.token-file`: one `<token> <admin|viewer>` per line; blank lines and `#` comments skipped.
import { readFile } from 'node:fs/promises';
import type { TokenRole } from '../app/auth.js';
import { CliUsageError } from './errors.js';

export interface RoleToken {
  readonly token: string;
  readonly role: TokenRole;
}

/** Parses the file's text; `path` is only for messages (which never include a token). */
export function parseTokenFile(text: string, path: string): RoleToken[] {
  const tokens: RoleToken[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const [token, role, ...rest] = line.split(/\s+/);
    if (token === undefined || (role !== 'admin' && role !== 'operator' && role !== 'viewer') || rest.length > 0) {
      throw new CliUsageError(`--app.auth.token-file ${path} line ${index + 1}: want "<token> admin", "<token> operator" or "<token> viewer"`);
    }
    tokens.push({ token, role });
  });
  if (tokens.length === 0) throw new CliUsageError(`--app.auth.token-file ${path} holds no token`);
  return tokens;
}

/** Reads and parses the token file; unreadable or malformed is a usage error naming the file. */
export async function readTokenFile(path: string): Promise<RoleToken[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CliUsageError(`cannot read --app.auth.token-file ${JSON.stringify(path)}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseTokenFile(text, path);
}
