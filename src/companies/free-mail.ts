import providers from 'email-providers/all.json';

/**
 * Domains of mailbox providers anyone can sign up with: gmail.com, outlook.com, web.de and about 8,700 more
 * (the `email-providers` list). Such a domain says nothing about which company a sender works for. A company
 * that claimed `gmail.com` would collect the cards of every Gmail sender of the tenant.
 */
const FREE_MAIL_DOMAINS: ReadonlySet<string> = new Set(providers);

export function isFreeMailDomain(domain: string): boolean {
  return FREE_MAIL_DOMAINS.has(domain.toLowerCase());
}
