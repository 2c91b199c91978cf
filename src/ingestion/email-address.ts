import { parseAddressList, parseOneAddress, type ParsedMailbox } from 'email-addresses';

export interface Mailbox {
  /** `local@domain`, as written (case kept: the local part is case-sensitive in principle). */
  address: string;
  name: string | null;
}

// The shapes nearly every sender uses, matched without a full grammar parse (the RFC 5322 parser below
// costs ~80 µs a call, most of an ingestion request). Whatever these do not match goes to that parser.
const ATEXT = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const ADDR_SPEC = `${ATEXT}(?:\\.${ATEXT})*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*`;
const PLAIN = new RegExp(`^\\s*(${ADDR_SPEC})\\s*$`);
const NAMED = new RegExp(`^\\s*(?:"([^"\\\\\\r\\n]*)"|([A-Za-z0-9!#$%&'*+/=?^_\`{|}~ -]*?))\\s*<(${ADDR_SPEC})>\\s*$`);

/** One RFC 5322 mailbox (`Ann Lee <ann@acme.example>` or `ann@acme.example`), or null when it is not one. */
export function parseMailbox(input: string): Mailbox | null {
  const plain = PLAIN.exec(input);
  if (plain) return { address: plain[1], name: null };
  const named = NAMED.exec(input);
  if (named) return { address: named[3], name: (named[1] ?? named[2])?.trim() || null };
  const parsed = parseOneAddress({ input, rfc6532: true });
  return parsed?.type === 'mailbox' ? { address: parsed.address, name: parsed.name || null } : null;
}

/** A comma-separated RFC 5322 address list; groups are flattened to their members. */
export function parseMailboxList(input: string): Mailbox[] | null {
  // Without quotes, comments or groups a comma can only separate addresses: take the fast path per entry.
  if (!/["():;\\]/.test(input)) {
    const entries = input.split(',').filter((entry) => entry.trim() !== '');
    const mailboxes = entries.map(parseMailbox);
    if (entries.length > 0 && mailboxes.every((mailbox) => mailbox !== null)) return mailboxes as Mailbox[];
  }
  const parsed = parseAddressList({ input, rfc6532: true });
  if (!parsed) return null;
  return parsed
    .flatMap((entry) => (entry.type === 'group' ? entry.addresses : [entry as ParsedMailbox]))
    .map((mailbox) => ({ address: mailbox.address, name: mailbox.name || null }));
}
