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

/**
 * The domains a company may hold for `domain`, nearest first: `eu.acme.example` → `eu.acme.example`,
 * `acme.example` (never the bare top-level domain). None of a free-mail provider's: a company that holds such a
 * domain from before it was refused still gets no one's records or cards by it.
 */
export function parentDomains(domain: string): string[] {
  const labels = domain.split('.');
  return labels
    .slice(0, -1)
    .map((_, index) => labels.slice(index).join('.'))
    .filter((parent) => !isFreeMailDomain(parent));
}
