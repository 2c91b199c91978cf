/**
 * The bench's tenant, generated from word lists and templates with a seeded PRNG: companies, email threads
 * about orders, invoices and quotes, and the CRM/ERP records those emails talk about (SO-100234,
 * INV-2025-0042, contacts, deals, products). The same seed gives the same corpus on every run.
 */
import type { EmailSubmission } from '../src/ingestion/email-submission';
import type { RecordSubmission } from '../src/records/record-submission';

/** mulberry32: small, fast and good enough to make text; not for anything secret. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  /** `count` distinct items, in random order. */
  sample<T>(items: readonly T[], count: number): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy.slice(0, count);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Word lists

const FIRST = ['Ann', 'Jörg', 'Priya', 'Lukas', 'Sofia', 'Mateo', 'Chloé', 'Oliver', 'Amara', 'Kenji', 'Ingrid', 'Tomasz', 'Fatima', 'Liam', 'Elena', 'Raj', 'Hannah', 'Diego', 'Mei', 'Noah', 'Zainab', 'Pierre', 'Greta', 'Samuel', 'Aisha', 'Marco', 'Yuki', 'Olga', 'Ben', 'Carmen', 'Henrik', 'Nadia', 'Felix', 'Leila', 'Arjun', 'Martina', 'Sven', 'Isabel', 'Kwame', 'Julia'];
const LAST = ['Lee', 'Müller', 'Natarajan', 'Schmidt', 'García', 'Rossi', 'Dubois', 'Okafor', 'Tanaka', 'Johansson', 'Kowalski', 'Haddad', 'Murphy', 'Petrova', 'Sharma', 'Becker', 'Fernández', 'Chen', 'Walsh', 'Mensah', 'Laurent', 'Novak', 'Hoffmann', 'Silva', 'Nguyen', 'Larsen', 'Brennan', 'Costa', 'Weber', 'Kaur', 'Andersen', 'Moreau', 'Yilmaz', 'Fischer', 'Svensson', 'Keller', 'Ivanova', 'Romano', 'Bauer', 'Osei'];
const COMPANY_STEM = ['Nordwind', 'Bluefin', 'Castell', 'Deltaforge', 'Everest', 'Falkner', 'Granite', 'Helios', 'Ibex', 'Juniper', 'Kestrel', 'Lumen', 'Meridian', 'Northstar', 'Orion', 'Pinecrest', 'Quantum', 'Redwood', 'Sable', 'Titan', 'Umbra', 'Vertex', 'Willow', 'Xylo', 'Yarrow', 'Zephyr', 'Acme', 'Brightline', 'Cobalt', 'Dunmore'];
const COMPANY_TRADE = ['Logistics', 'Manufacturing', 'Foods', 'Pharma', 'Retail', 'Systems', 'Textiles', 'Energy', 'Components', 'Tools'];
const CITIES: [city: string, country: string][] = [
  ['Hamburg', 'DE'], ['Munich', 'DE'], ['Lyon', 'FR'], ['Milan', 'IT'], ['Rotterdam', 'NL'], ['Gdansk', 'PL'], ['Porto', 'PT'],
  ['Leeds', 'GB'], ['Gothenburg', 'SE'], ['Valencia', 'ES'], ['Graz', 'AT'], ['Aarhus', 'DK'],
];
const LEGAL = ['GmbH', 'Ltd', 'Inc.', 'S.A.', 'B.V.', 'AG', 'LLC', 'S.p.A.'];
const INDUSTRIES = ['wholesale', 'automotive supplier', 'food processing', 'pharmaceutical distribution', 'retail chain', 'machine building', 'textile production', 'utilities', 'electronics assembly', 'hardware distribution'];
const JOB_TITLES = ['Purchasing Manager', 'Head of Procurement', 'Accounts Payable Clerk', 'Logistics Coordinator', 'Operations Director', 'Buyer', 'Quality Engineer', 'Warehouse Manager', 'CFO', 'Key Account Manager'];
const DEPARTMENTS = ['purchasing', 'finance', 'logistics', 'operations', 'quality', 'management'];
const ADJECTIVE = ['stainless', 'galvanised', 'heavy-duty', 'food-grade', 'anti-static', 'blue', 'black', 'recycled', 'fire-resistant', 'high-pressure'];
const MATERIAL = ['steel', 'aluminium', 'polypropylene', 'nitrile', 'brass', 'PVC', 'cardboard', 'rubber', 'copper', 'oak'];
const ITEM = ['hex bolts M8', 'pallet wrap film', 'safety gloves', 'hydraulic hose', 'ball valves', 'shipping cartons', 'cable ties', 'conveyor belts', 'pipe fittings', 'storage bins', 'widgets', 'gaskets', 'bearings 6204', 'label rolls', 'drum pumps'];
const CARRIERS = ['DHL Freight', 'DB Schenker', 'Kuehne+Nagel', 'DSV', 'UPS', 'GLS', 'Dachser'];
const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** The tenant: a fictional industrial supplier, Brightwater Supply, and its own staff. */
export const TENANT_DOMAIN = 'brightwater-supply.example';
const MAILBOXES = { order: 'orders', invoice: 'accounts', lead: 'sales', support: 'support', complaint: 'customer.care', other: 'info' } as const;
const STAFF = ['Laura Brandt', 'Tom Eriksen', 'Nina Kovač', 'Ahmed Rahman', 'Sara Lindqvist', 'Paul Okonkwo'];

// ---------------------------------------------------------------------------------------------------------
// Email templates: {order}, {invoice}, {product}, {qty}, {amount}, {date}, {carrier}, {rma}, {po}, {sku}

export type CardCategory = 'lead' | 'support' | 'order' | 'invoice' | 'complaint' | 'other';

const SUBJECTS: Record<CardCategory, string[]> = {
  order: ['Order {order}: {qty} units of {product} missing', 'Delivery for {order} delayed', 'Change to order {order} (our PO {po})', 'Backorder question for {order}', 'Confirm delivery date for {order}', 'Partial shipment {order}'],
  invoice: ['Invoice {invoice} overdue', 'Question about invoice {invoice}', 'Payment reminder: {invoice}', 'Credit note needed for {invoice}', 'Remittance advice for {invoice}', 'Wrong VAT on invoice {invoice}'],
  lead: ['Request for quotation: {qty} x {product}', 'Pricing for {product}', 'Interested in a framework agreement', 'Samples of {product}', 'New supplier onboarding', 'Quote for {qty} {product}, delivery to {city}'],
  support: ['Cannot log in to the customer portal', 'Tracking link for {order} does not work', 'EDI messages rejected since {date}', 'Certificate of conformity for {product}', 'Safety data sheet for {sku}', 'Portal shows wrong prices'],
  complaint: ['Damaged goods on delivery {order}', 'Very unhappy with the service', 'Wrong items delivered ({order})', 'Return request {rma} for {product}', 'Third late delivery this month', 'Quality problem with {product}'],
  other: ['Meeting next {weekday}', 'Updated bank details', 'Holiday closure {date}', 'Invitation to our trade fair stand', 'New contact person for our account', 'Annual supplier survey'],
};

const SENTENCES: Record<CardCategory, string[]> = {
  order: [
    'We received the delivery for order {order} this morning, but {qty} units of the {product} are missing.',
    'The shipment with {carrier} was supposed to arrive on {date} and we still have no tracking number.',
    'Could you please check the status of {order}? Our production line needs the {product} by {date}.',
    'Please change the quantity on {order} to {qty} units; our purchase order {po} has been updated accordingly.',
    'The delivery note lists {qty} pallets, yet only part of them were unloaded at our warehouse in {city}.',
    'If the backorder cannot ship this week, please split the order and send what you have in stock.',
    'We need an order confirmation with the final delivery date for our planning.',
  ],
  invoice: [
    'According to our records, invoice {invoice} for {amount} EUR is still open although it was due on {date}.',
    'The amount on {invoice} does not match the price agreed in the quotation for order {order}.',
    'Please issue a credit note for the {qty} units that were returned under {rma}.',
    'We transferred {amount} EUR today; the payment reference is {invoice}.',
    'The VAT rate on invoice {invoice} seems wrong; we are a registered business in {country}.',
    'Kindly send a copy of the invoice with our purchase order number {po} on it, otherwise accounts payable cannot book it.',
    'This is our second reminder; please arrange payment within seven days to avoid dunning fees.',
  ],
  lead: [
    'We are looking for a supplier of {product} and would like a quotation for {qty} units per month.',
    'Could you send us your price list and delivery terms for shipments to {city}?',
    'We currently buy about {amount} EUR per year of {product} and are reviewing our suppliers.',
    'Please include samples of the {product} and the technical data sheet.',
    'Would a framework agreement with quarterly call-offs be possible?',
    'Our payment terms are net 30; please let us know whether that works for you.',
  ],
  support: [
    'Since {date} I cannot log in to the customer portal; the password reset email never arrives.',
    'The tracking link in the shipping notification for {order} returns an error page.',
    'Our EDI orders are rejected with error code 4711 since the last update.',
    'For our audit we need the certificate of conformity and the safety data sheet for {sku}.',
    'The portal shows list prices instead of our contract prices for {product}.',
    'Could you reset the account of my colleague? She moved to the purchasing department.',
  ],
  complaint: [
    'Several boxes of the {product} arrived damaged; photos are attached.',
    'This is the third late delivery this month and our customers are complaining.',
    'Instead of the {product} we received a completely different article.',
    'We would like to return {qty} units under return authorisation {rma} and expect a full refund.',
    'The quality of the last batch of {product} is far below the agreed specification.',
    'Nobody answered my calls last week; I expect a response from a manager today.',
  ],
  other: [
    'Would {weekday} at 10:00 work for a short call about next year\u2019s volumes?',
    'Please note our new bank details, effective {date}; the IBAN changes, the account holder stays the same.',
    'Our warehouse will be closed from {date} for the holidays; deliveries in that week cannot be accepted.',
    'We would be happy to welcome you at our stand at the trade fair in {city}.',
    'From next month on, please address all order questions to my colleague.',
    'We are updating our supplier master data and kindly ask you to complete the attached form.',
  ],
};

const FOLLOW_UPS = [
  'Thank you for the quick answer.',
  'Any update on this? We are still waiting.',
  'We have now received the replacement for {order}, thanks.',
  'Please see the attached delivery note.',
  'Can you confirm by tomorrow? Otherwise we have to escalate internally.',
  'Understood, we will wait for the next shipment with {carrier}.',
  'The credit note arrived, this case can be closed.',
  'I forwarded your message to our finance team.',
  'That works for us. Please send the updated confirmation.',
];

const STAFF_REPLIES = [
  'Thank you for your message. I have checked {order} with our warehouse.',
  'I am sorry for the inconvenience; the missing units will ship with {carrier} on {date}.',
  'Attached you will find the corrected invoice {invoice}.',
  'Our accounting team confirms the payment of {amount} EUR was received.',
  'I have opened return authorisation {rma}; please put the number on the parcel.',
  'The quotation for {qty} units of {product} is attached and valid for 30 days.',
  'Our IT colleagues fixed the portal login; please try again.',
];

const FILLER = [
  'Please let me know if you need anything else from our side.',
  'Our reference for this case is the purchase order {po}.',
  'I am out of the office on {weekday} but my colleague can help.',
  'We appreciate the long cooperation and hope to solve this quickly.',
  'For questions about the delivery address please call our goods receipt.',
  'Best to reach me by phone in the mornings.',
];

// ---------------------------------------------------------------------------------------------------------
// The corpus

export interface CompanySeed {
  name: string;
  domain: string;
  externalId: string;
  attributes: Record<string, unknown>;
  people: { first: string; last: string; email: string; title: string }[];
}

export interface ThreadSeed {
  category: CardCategory;
  priority: 'low' | 'normal' | 'high' | 'urgent';
  sentiment: number;
  companyIndex: number;
  /** The first email starts the card; the others are replies threaded into it. */
  emails: EmailSubmission[];
}

export interface SearchCorpus {
  companies: CompanySeed[];
  threads: ThreadSeed[];
  records: RecordSubmission[];
  /** Queries a user would type: identifiers, names, words and phrases, misspellings. */
  queries: string[];
}

export interface CorpusSize {
  companies: number;
  emails: number;
  threads: number;
  records: number;
}

export function buildCorpus(size: CorpusSize, seed = 7): SearchCorpus {
  const random = new Random(seed);
  const companies = buildCompanies(random, size.companies);
  const products = Array.from({ length: Math.max(1, Math.round(size.records * 0.05)) }, (_, i) => ({
    sku: `PRD-${40000 + i}`,
    name: `${random.pick(ADJECTIVE)} ${random.pick(MATERIAL)} ${random.pick(ITEM)}`,
  }));
  const orderCount = Math.round(size.records * 0.35);
  const invoiceCount = Math.round(size.records * 0.3);
  const orders = Array.from({ length: orderCount }, (_, i) => `SO-${100000 + i * 3 + random.int(0, 2)}`);
  const invoices = Array.from({ length: invoiceCount }, (_, i) => `INV-${i % 3 === 0 ? 2024 : 2025}-${String(i + 1).padStart(4, '0')}`);
  const context = (company: CompanySeed) => {
    const [city, country] = random.pick(CITIES);
    const product = random.pick(products);
    return {
      order: random.pick(orders),
      invoice: random.pick(invoices),
      product: product.name,
      sku: product.sku,
      qty: String(random.pick([12, 20, 40, 50, 100, 150, 250, 500, 1200])),
      amount: `${random.int(1, 48)},${String(random.int(0, 999)).padStart(3, '0')}.${String(random.int(0, 99)).padStart(2, '0')}`,
      date: `${random.int(1, 28)} ${random.pick(MONTHS)}`,
      weekday: random.pick(WEEKDAYS),
      carrier: random.pick(CARRIERS),
      rma: `RMA-${random.int(1000, 9999)}`,
      po: `PO-${company.externalId.slice(4)}-${random.int(100, 999)}`,
      city,
      country,
    };
  };

  const threads = buildThreads(random, size, companies, context);
  const records = buildRecords(random, size.records, companies, products, orders, invoices);
  const queries = buildQueries(random, companies, products, orders, invoices);
  return { companies, threads, records, queries };
}

function buildCompanies(random: Random, count: number): CompanySeed[] {
  const names = new Set<string>();
  const companies: CompanySeed[] = [];
  while (companies.length < count) {
    const [city, country] = random.pick(CITIES);
    const stem = random.pick(COMPANY_STEM);
    const trade = random.pick(COMPANY_TRADE);
    const qualifier = names.has(`${stem} ${trade}`) ? ` ${city}` : '';
    const base = `${stem} ${trade}${qualifier}`;
    if (names.has(base)) continue;
    names.add(base);
    const domain = `${base.toLowerCase().replace(/\s+/g, '-')}.example`;
    const people = Array.from({ length: random.int(1, 4) }, () => {
      const first = random.pick(FIRST);
      const last = random.pick(LAST);
      return { first, last, email: `${ascii(first)}.${ascii(last)}@${domain}`.toLowerCase(), title: random.pick(JOB_TITLES) };
    });
    companies.push({
      name: `${base} ${random.pick(LEGAL)}`,
      domain,
      externalId: `ACC-${10000 + companies.length}`,
      attributes: {
        industry: random.pick(INDUSTRIES),
        website: `https://www.${domain}`,
        billing_address: { street: `${random.pick(['Harbour', 'Mill', 'Station', 'Church', 'Market'])} Street ${random.int(1, 180)}`, city, country },
        employees: random.pick([12, 45, 120, 300, 850, 2400]),
        annual_revenue_eur: random.int(1, 400) * 250_000,
        account_owner: random.pick(STAFF),
        tier: random.pick(['A', 'B', 'C']),
      },
      people,
    });
  }
  return companies;
}

type Context = Record<string, string>;

function buildThreads(random: Random, size: CorpusSize, companies: CompanySeed[], contextOf: (company: CompanySeed) => Context): ThreadSeed[] {
  const categories = Object.keys(SUBJECTS) as CardCategory[];
  const sizes = new Array<number>(size.threads).fill(1);
  for (let reply = size.threads; reply < size.emails; reply++) sizes[random.int(0, size.threads - 1)]! += 1;
  return sizes.map((emailCount, threadIndex) => {
    const category = random.pick(categories);
    const companyIndex = random.int(0, companies.length - 1);
    const company = companies[companyIndex]!;
    const person = random.pick(company.people);
    const context = contextOf(company);
    const fill = (template: string) => template.replace(/\{(\w+)\}/g, (_, key: string) => context[key] ?? key);
    const subject = fill(random.pick(SUBJECTS[category]));
    const customer = `${person.first} ${person.last} <${person.email}>`;
    const staffName = random.pick(STAFF);
    const staff = `${staffName} <${staffName.toLowerCase().replace(/\s+/g, '.').replace(/č/g, 'c')}@${TENANT_DOMAIN}>`;
    const mailbox = `${MAILBOXES[category]}@${TENANT_DOMAIN}`;
    const signature = `${person.first} ${person.last}\n${person.title}\n${company.name}\nPhone +${random.int(30, 49)} ${random.int(100, 999)} ${random.int(100000, 9999999)}`;
    const sentences = random.sample(SENTENCES[category], random.int(2, 4)).map(fill);
    const filler = random.sample(FILLER, random.int(0, 2)).map(fill);
    const firstBody = `${random.pick(['Hello', 'Dear team', 'Hi', 'Good morning'])},\n\n${[...sentences, ...filler].join(' ')}\n\n${random.pick(['Best regards', 'Kind regards', 'Thanks', 'Regards'])},\n${signature}`;
    const emails: EmailSubmission[] = [];
    const messageId = (n: number) => `<t${threadIndex}.${n}.${seedTag(threadIndex, n)}@${n % 2 === 0 ? company.domain : TENANT_DOMAIN}>`;
    const day = 1 + (threadIndex % 27);
    let previous = firstBody;
    for (let n = 0; n < emailCount; n++) {
      const fromStaff = n % 2 === 1;
      const body =
        n === 0
          ? firstBody
          : `${random.pick(fromStaff ? ['Dear ' + person.first, 'Hello ' + person.first] : ['Hi ' + staffName.split(' ')[0], 'Hello'])},\n\n${random
              .sample(fromStaff ? STAFF_REPLIES : FOLLOW_UPS, random.int(1, 3))
              .map(fill)
              .join(' ')}\n\n${fromStaff ? `Kind regards,\n${staffName}\nBrightwater Supply` : `Regards,\n${person.first}`}\n\nOn ${random.pick(WEEKDAYS)}, ${fromStaff ? customer : staff} wrote:\n${quote(previous)}`;
      emails.push({
        subject: n === 0 ? subject : `Re: ${subject}`,
        from: fromStaff ? staff : customer,
        to: fromStaff ? [person.email] : [mailbox],
        ...(random.chance(0.2) ? { cc: [random.pick(company.people).email] } : {}),
        body,
        message_id: messageId(n),
        ...(n > 0 ? { in_reply_to: messageId(n - 1), references: Array.from({ length: n }, (_, k) => messageId(k)) } : {}),
        ...(random.chance(0.15) ? { attachment_urls: [`https://files.${company.domain}/${context.order!.toLowerCase()}-delivery-note.pdf`] } : {}),
        received_at: new Date(Date.UTC(2025, 9, day, 8 + n, random.int(0, 59))).toISOString(),
      });
      previous = body;
    }
    const sentiment = category === 'complaint' ? -0.4 - random.next() * 0.5 : category === 'lead' ? 0.2 + random.next() * 0.5 : random.next() * 0.6 - 0.3;
    const priority = category === 'complaint' ? random.pick(['high', 'urgent'] as const) : category === 'invoice' || category === 'order' ? random.pick(['normal', 'high'] as const) : random.pick(['low', 'normal'] as const);
    return { category, priority, sentiment: Math.round(sentiment * 100) / 100, companyIndex, emails };
  });
}

function buildRecords(
  random: Random,
  count: number,
  companies: CompanySeed[],
  products: { sku: string; name: string }[],
  orders: string[],
  invoices: string[],
): RecordSubmission[] {
  const records: RecordSubmission[] = [];
  const money = (min: number, max: number) => Math.round((min + random.next() * (max - min)) * 100) / 100;
  const date = () => `2025-${String(random.int(1, 12)).padStart(2, '0')}-${String(random.int(1, 28)).padStart(2, '0')}`;
  for (const product of products) {
    records.push({
      source_system: 'sap',
      kind: 'product',
      external_id: product.sku,
      title: product.name,
      attributes: {
        sku: product.sku,
        description: `${product.name}, packed in cartons of ${random.pick([10, 25, 50, 100])}; ${random.pick(['ISO 9001 certified', 'RoHS compliant', 'made in the EU', 'food contact approved'])}.`,
        category: random.pick(['fasteners', 'packaging', 'safety', 'hydraulics', 'storage', 'electrical']),
        unit_price: money(0.2, 180),
        unit: random.pick(['piece', 'box', 'roll', 'metre', 'pallet']),
        weight_kg: money(0.01, 25),
        stock: random.int(0, 20000),
      },
    });
  }
  for (const order of orders) {
    const company = random.pick(companies);
    const [city, country] = random.pick(CITIES);
    const lines = random.sample(products, random.int(1, 4)).map((product) => ({ sku: product.sku, product: product.name, quantity: random.pick([10, 50, 100, 250, 1000]), unit_price: money(0.2, 180) }));
    records.push({
      source_system: 'sap',
      kind: 'order',
      external_id: order,
      title: `Sales order ${order} – ${company.name}`,
      company_external_id: company.externalId,
      attributes: {
        order_number: order,
        status: random.pick(['open', 'confirmed', 'shipped', 'delivered', 'backordered', 'cancelled']),
        order_date: date(),
        requested_delivery: date(),
        customer_po: `PO-${company.externalId.slice(4)}-${random.int(100, 999)}`,
        currency: random.pick(['EUR', 'EUR', 'USD', 'GBP']),
        total_amount: Math.round(lines.reduce((sum, line) => sum + line.quantity * line.unit_price, 0) * 100) / 100,
        incoterms: random.pick(['DAP', 'EXW', 'FCA', 'DDP']),
        lines,
        shipping: { city, country, carrier: random.pick(CARRIERS) },
      },
    });
  }
  for (const invoice of invoices) {
    const company = random.pick(companies);
    records.push({
      source_system: 'sap',
      kind: 'invoice',
      external_id: invoice,
      title: `Invoice ${invoice} – ${company.name}`,
      company_external_id: company.externalId,
      attributes: {
        invoice_number: invoice,
        order_number: random.pick(orders),
        amount: money(80, 60000),
        currency: 'EUR',
        tax_rate: random.pick([0, 7, 19, 20, 21]),
        issue_date: date(),
        due_date: date(),
        status: random.pick(['open', 'paid', 'paid', 'overdue', 'disputed']),
        payment_terms: random.pick(['net 30', 'net 60', '2% 10, net 30']),
        dunning_level: random.int(0, 3),
      },
    });
  }
  const people = companies.flatMap((company) => company.people.map((person) => ({ company, person })));
  let contact = 0;
  let deal = 0;
  while (records.length < count) {
    if (deal * 2 < contact) {
      const company = random.pick(companies);
      records.push({
        source_system: 'salesforce',
        kind: 'deal',
        external_id: `DEAL-${7000 + deal++}`,
        title: `${company.name.split(' ')[0]} – ${random.pick(['framework agreement', 'annual volume', 'new product line', 'renewal', 'pilot order'])} ${random.pick(products).name}`,
        company_external_id: company.externalId,
        attributes: {
          stage: random.pick(['qualification', 'proposal', 'negotiation', 'closed won', 'closed lost']),
          amount: money(5000, 900000),
          currency: 'EUR',
          probability: random.pick([10, 25, 50, 75, 90]),
          expected_close: date(),
          owner: random.pick(STAFF),
          next_step: random.pick(['send revised quote', 'site visit', 'sample delivery', 'legal review of contract', 'call with procurement']),
        },
      });
    } else {
      const { company, person } = people[contact % people.length]!;
      records.push({
        source_system: 'salesforce',
        kind: 'contact',
        external_id: `CON-${50000 + contact++}`,
        title: `${person.first} ${person.last} (${person.title}, ${company.name})`,
        company_external_id: company.externalId,
        attributes: {
          first_name: person.first,
          last_name: person.last,
          email: person.email,
          phone: `+${random.int(30, 49)} ${random.int(100, 999)} ${random.int(100000, 9999999)}`,
          job_title: person.title,
          department: random.pick(DEPARTMENTS),
          preferred_language: random.pick(['en', 'de', 'fr', 'it', 'es']),
        },
      });
    }
  }
  return records.slice(0, count);
}

function buildQueries(random: Random, companies: CompanySeed[], products: { sku: string; name: string }[], orders: string[], invoices: string[]): string[] {
  const person = () => random.pick(random.pick(companies).people);
  const phrases = [
    'pallets missing from delivery', 'invoice overdue reminder', 'cannot log in to portal', 'request for quotation', 'credit note for returned goods',
    'damaged goods', 'delivery delayed', 'framework agreement', 'new bank details', 'certificate of conformity', 'wrong items delivered',
    'payment received', 'tracking link error', 'return authorisation', 'holiday closure', 'EDI messages rejected', 'safety data sheet',
    'late delivery complaint', 'price list and delivery terms', 'order confirmation delivery date',
  ];
  const misspelt = [
    'invocie overdue', 'delivry delayed', 'paymnet reminder', 'damagd goods', 'quotaton request', 'creidt note', 'shipmnet missing',
    'pallet wrapp film', 'stainles steel bolts', 'hydrolic hose', 'custmer portal login', 'retrun request',
  ];
  return [
    ...random.sample(orders, 30),
    ...random.sample(invoices, 25),
    ...random.sample(products, 10).map((product) => product.sku),
    ...random.sample(products, 10).map((product) => product.name),
    ...random.sample(companies, 25).map((company) => company.name.split(' ').slice(0, 2).join(' ')),
    ...Array.from({ length: 15 }, () => `${person().first} ${person().last}`),
    ...Array.from({ length: 8 }, () => person().email),
    ...phrases,
    ...misspelt,
    // A letter swapped in a company or product name, as typed in a hurry.
    ...random.sample(companies, 10).map((company) => swapLetters(random, company.name.split(' ').slice(0, 2).join(' '))),
    ...random.sample(products, 5).map((product) => swapLetters(random, product.name)),
  ];
}

function swapLetters(random: Random, text: string): string {
  const words = text.split(' ');
  const index = words.findIndex((word) => word.length >= 5);
  if (index < 0) return text;
  const word = words[index]!;
  const at = random.int(1, word.length - 3);
  words[index] = word.slice(0, at) + word[at + 1] + word[at] + word.slice(at + 2);
  return words.join(' ');
}

function quote(body: string): string {
  return body
    .split('\n')
    .slice(0, 12)
    .map((line) => `> ${line}`)
    .join('\n');
}

function ascii(name: string): string {
  return name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
}

/** A short, deterministic tag that keeps Message-IDs unique across threads. */
function seedTag(thread: number, n: number): string {
  return ((thread * 2654435761 + n * 40503) >>> 0).toString(36);
}
