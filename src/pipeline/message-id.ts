import { createHash } from 'node:crypto';

/**
 * `<abc@x.example>` and ` abc@x.example ` are the same Message-ID. `normalize_message_id` and `hash_message_id`
 * in SQL (Migration20261127110000_thread_lookup) do the same byte for byte; a test holds them to it.
 */
export function normalizeMessageId(raw: string): string {
  return raw.trim().replace(/^<+/, '').replace(/>+$/, '').trim();
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export function hashMessageId(raw: string): string {
  return sha256(`message-id:${normalizeMessageId(raw)}`);
}

export interface EmailIdentity {
  hash: string;
  source: 'message_id' | 'content';
}

/**
 * The idempotency key of an email: its Message-ID, or, for mail without one, a canonical form of sender, date,
 * subject and body (whitespace collapsed, case-folded sender), so a resend of the same content is recognised.
 */
export function emailIdentity(email: { messageId: string | null; fromAddress: string; receivedAt: Date; subject: string; body: string }): EmailIdentity {
  if (email.messageId && normalizeMessageId(email.messageId)) return { hash: hashMessageId(email.messageId), source: 'message_id' };
  const canonical = [
    email.fromAddress.trim().toLowerCase(),
    email.receivedAt.toISOString(),
    email.subject.replace(/\s+/g, ' ').trim(),
    email.body.replace(/\s+/g, ' ').trim(),
  ].join('\n');
  return { hash: sha256(`content:${canonical}`), source: 'content' };
}
