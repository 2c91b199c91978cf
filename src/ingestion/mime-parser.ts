import { createHash } from 'node:crypto';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { badInput } from '../platform/errors/pebble-error';
import { DEFAULT_SOURCE_SYSTEM, splitMessageIds, type EmailLimits, type NormalizedEmail } from './email-submission';

const MAX_LISTED = 500;
const MAX_HEADER_CHARS = 998;

/**
 * Parses a whole RFC 5322/MIME message into the same form as a JSON submission. Real mail is often
 * malformed: whatever can be recovered is kept, each problem is recorded in `parseProblems`, and the raw
 * bytes are stored as received. Only a message without a usable From address is refused.
 */
export async function parseMime(raw: Buffer, limits: EmailLimits): Promise<NormalizedEmail> {
  let mail: ParsedMail;
  try {
    mail = await simpleParser(raw, { skipTextLinks: true, skipImageLinks: true, maxHtmlLengthToParse: limits.textMaxChars * 4 });
  } catch (error) {
    throw badInput([{ field: 'body', message: `is not a parseable MIME message (${(error as Error).message})` }]);
  }
  const problems: string[] = [];
  const from = addresses(mail.from)[0];
  if (!from) throw badInput([{ field: 'from', message: 'the message has no parseable From address' }]);

  const clean = (field: string, value: string, max: number): string => {
    let text = value;
    if (text.includes('\u0000')) {
      text = text.replaceAll('\u0000', '');
      problems.push(`${field}: NUL characters removed`);
    }
    if (text.length > max) {
      text = text.slice(0, max);
      problems.push(`${field}: truncated to ${max} characters (the raw message is complete)`);
    }
    return text;
  };

  const dateHeader = mail.headerLines.find((line) => line.key === 'date');
  const date = dateHeader ? new Date(dateHeader.line.slice(dateHeader.line.indexOf(':') + 1).trim()) : null;
  if (dateHeader && (!date || Number.isNaN(date.getTime()))) problems.push('date: unparseable Date header, ingestion time used');
  if (!mail.messageId) problems.push('message_id: no Message-ID header');

  return {
    subject: clean('subject', mail.subject ?? '', limits.subjectMaxChars),
    fromAddress: from.address,
    fromName: from.name,
    to: addresses(mail.to).map((entry) => entry.address),
    cc: addresses(mail.cc).map((entry) => entry.address),
    body: clean('body', mail.text ?? '', limits.textMaxChars),
    attachmentUrls: [],
    attachments: mail.attachments.slice(0, MAX_LISTED).map((attachment) => ({
      name: attachment.filename ? clean('attachments', attachment.filename, MAX_HEADER_CHARS) : null,
      type: clean('attachments', attachment.contentType, MAX_HEADER_CHARS),
      size: attachment.size,
      sha256: createHash('sha256').update(attachment.content).digest('hex'),
    })),
    messageId: clean('message_id', mail.messageId?.trim() ?? '', MAX_HEADER_CHARS) || null,
    inReplyTo: clean('in_reply_to', mail.inReplyTo?.trim() ?? '', MAX_HEADER_CHARS) || null,
    references: (Array.isArray(mail.references) ? mail.references : splitMessageIds(mail.references ?? ''))
      .slice(0, MAX_LISTED)
      .map((id) => clean('references', id, MAX_HEADER_CHARS)),
    receivedAt: date && !Number.isNaN(date.getTime()) ? date : null,
    sourceSystem: DEFAULT_SOURCE_SYSTEM,
    raw,
    rawContentType: 'message/rfc822',
    parseProblems: problems,
  };
}

function addresses(field: AddressObject | AddressObject[] | undefined): { address: string; name: string | null }[] {
  const objects = field === undefined ? [] : Array.isArray(field) ? field : [field];
  return objects
    .flatMap((object) => object.value)
    .flatMap((entry) => (entry.group ? entry.group : [entry]))
    .filter((entry) => typeof entry.address === 'string' && entry.address.length <= MAX_HEADER_CHARS && /^[^@\s\u0000]+@[^@\s\u0000]+$/.test(entry.address))
    .slice(0, MAX_LISTED)
    .map((entry) => ({ address: entry.address!, name: entry.name?.replaceAll('\u0000', '').slice(0, MAX_HEADER_CHARS) || null }));
}
