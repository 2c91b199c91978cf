import { z } from 'zod';
import type { AttachmentInfo } from './email.entity';
import { parseMailbox, parseMailboxList } from './email-address';

/** The size limits of one email, from config. */
export interface EmailLimits {
  subjectMaxChars: number;
  textMaxChars: number;
}

export const MAX_ATTACHMENT_URLS = 50;
const MAX_URL_CHARS = 2048;
const MAX_HEADER_CHARS = 998; // RFC 5322's line limit: no real Message-ID or address is longer
const MAX_REFERENCES = 100;
const MAX_RECIPIENTS = 500;
const SOURCE_SYSTEM = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const DEFAULT_SOURCE_SYSTEM = 'email-listener';

/** Every email, from JSON or MIME, becomes this before it is stored. */
export interface NormalizedEmail {
  subject: string;
  fromAddress: string;
  fromName: string | null;
  /** Every From address (a MIME From may list several); the blacklist checks each. */
  senders: string[];
  to: string[];
  cc: string[];
  body: string;
  attachmentUrls: string[];
  attachments: AttachmentInfo[];
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  receivedAt: Date | null;
  sourceSystem: string;
  /** The request exactly as received. */
  raw: Buffer;
  rawContentType: 'application/json' | 'message/rfc822';
  parseProblems: string[];
}

const mailbox = z.string().max(MAX_HEADER_CHARS).transform((value, ctx) => {
  const parsed = parseMailbox(value);
  if (!parsed) {
    ctx.addIssue({ code: 'custom', message: 'must be an RFC 5322 address such as "Ann Lee <ann@acme.example>"' });
    return z.NEVER;
  }
  return parsed;
});

const recipients = z
  .union([z.string().max(MAX_HEADER_CHARS * 10), z.array(z.string().max(MAX_HEADER_CHARS)).max(MAX_RECIPIENTS)])
  .transform((value, ctx) => {
    const parsed = typeof value === 'string' ? parseMailboxList(value) : value.map(parseMailbox);
    if (!parsed || parsed.some((entry) => entry === null)) {
      ctx.addIssue({ code: 'custom', message: 'must be RFC 5322 addresses (a comma-separated string or a list)' });
      return z.NEVER;
    }
    return parsed.map((entry) => entry!.address);
  });

const messageIdField = z.string().trim().min(1).max(MAX_HEADER_CHARS);

const httpUrl = z
  .string()
  .max(MAX_URL_CHARS)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
    } catch {
      return false;
    }
  }, 'must be an http or https URL');

/** The JSON body of `POST /api/v1/ingestion/email/`; field names are the wire names, so errors name them. */
export function emailSubmissionSchema(limits: EmailLimits) {
  return z.strictObject({
    subject: z.string().max(limits.subjectMaxChars),
    from: mailbox,
    body: z.string().max(limits.textMaxChars),
    attachment_urls: z.array(httpUrl).max(MAX_ATTACHMENT_URLS, `must list at most ${MAX_ATTACHMENT_URLS} URLs`).default([]),
    message_id: messageIdField.optional(),
    in_reply_to: messageIdField.optional(),
    references: z
      .union([z.string().max(MAX_HEADER_CHARS * 10), z.array(messageIdField).max(MAX_REFERENCES)])
      .transform((value) => (typeof value === 'string' ? splitMessageIds(value) : value))
      .optional(),
    to: recipients.optional(),
    cc: recipients.optional(),
    received_at: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with a time zone' }).optional(),
    source_system: z.string().regex(SOURCE_SYSTEM, 'must be a short lower-case name such as `email-listener`').optional(),
  });
}

export type EmailSubmission = z.input<ReturnType<typeof emailSubmissionSchema>>;
export type ParsedSubmission = z.output<ReturnType<typeof emailSubmissionSchema>>;

export function normalizeSubmission(input: ParsedSubmission, raw: Buffer): NormalizedEmail {
  return {
    subject: input.subject,
    fromAddress: input.from.address,
    fromName: input.from.name,
    senders: [input.from.address],
    to: input.to ?? [],
    cc: input.cc ?? [],
    body: input.body,
    attachmentUrls: input.attachment_urls,
    attachments: [],
    messageId: input.message_id ?? null,
    inReplyTo: input.in_reply_to ?? null,
    references: input.references ?? [],
    receivedAt: input.received_at ? new Date(input.received_at) : null,
    sourceSystem: input.source_system ?? DEFAULT_SOURCE_SYSTEM,
    raw,
    rawContentType: 'application/json',
    parseProblems: [],
  };
}

/** `<a@x> <b@y>` or `a@x, b@y` → the ids, kept with their angle brackets when given. */
export function splitMessageIds(value: string): string[] {
  return value
    .split(/[\s,]+/)
    .map((id) => id.trim())
    .filter(Boolean)
    .slice(0, MAX_REFERENCES);
}
