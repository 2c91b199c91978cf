import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LocalSecrets {
  jwtSecret: string;
  appDbPassword: string;
  embeddedPostgresPassword: string;
}

/**
 * Development secrets generated once and kept under PEBBLE_HOME (mode 0600), so tokens and the local
 * database survive restarts without anyone choosing a weak secret by hand. Production sets them explicitly.
 */
export function loadLocalSecrets(home: string): LocalSecrets {
  const file = join(home, 'secrets.json');
  let stored: Partial<LocalSecrets> = {};
  try {
    stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<LocalSecrets>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secrets: LocalSecrets = {
    jwtSecret: stored.jwtSecret ?? randomBytes(48).toString('base64url'),
    appDbPassword: stored.appDbPassword ?? randomBytes(24).toString('base64url'),
    embeddedPostgresPassword: stored.embeddedPostgresPassword ?? randomBytes(24).toString('base64url'),
  };
  if (Object.keys(secrets).some((key) => !stored[key as keyof LocalSecrets])) {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return secrets;
}
