import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, name = 'pebble'): Logger {
  return pino({
    name,
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['req.headers.authorization', '*.password', '*.refresh', '*.access', 'password'],
      censor: '[redacted]',
    },
  });
}
