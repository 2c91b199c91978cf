/**
 * Writes src/classification/data/business-emails.json, the labelled set the builtin classifier trains on.
 *
 * The emails are synthetic, written for Pebble: hand-written ones (business-emails.handwritten.ts) plus
 * emails composed from pools of phrases with `[a|b|c]` alternatives and `{slot}` fillers (people, companies
 * in twelve industries, products, amounts, dates, references), with greetings, signatures, quoted replies
 * and typos mixed in.
 * Each category also carries sentences that sound like another one (a complaint about a late order, an
 * invoice with a PO number), so the classifier has to weigh the whole email. An email whose word set is
 * too close to one already kept is dropped, so a train/test split cannot hold near-copies.
 * Deterministic: the same seed gives the same file. Licence: part of this repository.
 *
 * Run: npm run build --silent && node dist/scripts/generate-business-emails.js
 */
import { writeFileSync } from 'node:fs';
import type { Category } from '../src/classification/classifier';
import { HANDWRITTEN } from './business-emails.handwritten';

const OUTPUT = 'src/classification/data/business-emails.json';
const PER_CATEGORY = 100;
const MAX_SIMILARITY = 0.5;
const SEED = 20240611;

interface Email {
  subject: string;
  body: string;
  category: Category;
  /** `handwritten` (scripts/business-emails.handwritten.ts) or `composed` from the phrase pools. */
  source: 'handwritten' | 'composed';
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = mulberry32(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
const chance = (p: number): boolean => random() < p;
const between = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1));
function sample<T>(items: readonly T[], count: number): T[] {
  const pool = [...items];
  const chosen: T[] = [];
  while (chosen.length < count && pool.length > 0) chosen.push(pool.splice(Math.floor(random() * pool.length), 1)[0]);
  return chosen;
}

// ---------------------------------------------------------------------------------------------------------
// Slot vocabulary

const FIRST = ['Anna', 'Ben', 'Carla', 'Dmitri', 'Emeka', 'Fatima', 'Gareth', 'Hiroshi', 'Ines', 'Jakub', 'Kerry',
  'Lars', 'Maya', 'Nikhil', 'Olga', 'Pedro', 'Quinn', 'Rosa', 'Sanjay', 'Tessa', 'Umar', 'Valentina', 'Wei', 'Ximena',
  'Yusuf', 'Zoe', 'Marco', 'Priya', 'Tom', 'Brenda', 'Joel', 'Leila', 'Aoife', 'Kwame', 'Sofie', 'Mateus', 'Hannah',
  'Raj', 'Chloe', 'Stefan'];
const LAST = ['Okafor', 'Schmidt', 'Nguyen', 'Kowalski', 'Fernandes', 'Murphy', 'Haddad', 'Lindqvist', 'Tanaka',
  'Rossi', 'Patel', 'Dubois', 'Brennan', 'Moreau', 'Novak', 'Achterberg', 'Silva', 'Campbell', 'Yilmaz', 'Park',
  'Owusu', 'Jensen', 'Castillo', 'Ivanova', 'Walsh', 'Hartmann', 'Mensah', 'Costa', 'Fischer', 'Lopez'];
const ROLES = ['office manager', 'head of procurement', 'operations director', 'purchasing lead', 'CFO',
  'IT manager', 'founder', 'facilities coordinator', 'events manager', 'head chef', 'practice manager',
  'logistics planner', 'marketing lead', 'accounts assistant', 'COO', 'site manager', 'store manager'];
const CITIES = ['Leeds', 'Rotterdam', 'Austin', 'Lyon', 'Gdansk', 'Porto', 'Cork', 'Denver', 'Malmo', 'Graz',
  'Toronto', 'Bristol', 'Hamburg', 'Valencia', 'Brno', 'Auckland', 'Nairobi', 'Glasgow', 'Utrecht', 'Phoenix'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October',
  'November', 'December'];
const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'];
const STREETS = ['Mill Lane', 'Harbour Road', 'Kingsway', 'Elm Street', 'Industrieweg', 'Station Road',
  'Canal Street', 'Oak Avenue', 'Rue des Tanneurs', 'Market Square'];
const EVENTS = ['the Logistics Summit', 'SaaS Connect', 'the regional trade fair', 'Hospitality Expo',
  'the Chamber of Commerce breakfast', 'Packaging Expo', 'the FinOps meetup', 'Facilities Live',
  'the Green Building conference', 'our annual partner day'];
const MAGAZINES = ['Wholesale Weekly', 'the Business Journal', 'Supply Chain Today', 'Retail Insider',
  'Facilities Quarterly', 'TechBuyer'];
const CHARITIES = ['the local food bank', 'the children\'s hospital', 'Shelter', 'the animal rescue',
  'the hospice'];

interface Industry {
  products: string[];
  things: string[];
  services: string[];
  company: string[];
  errors: string[];
  topic: string;
}

const INDUSTRIES: Industry[] = [
  {
    topic: 'software',
    products: ['Pro plan', 'Business plan', 'team licences', 'analytics add-on', 'extra user seats', 'API tier',
      'annual subscription'],
    things: ['the dashboard', 'the mobile app', 'SSO login', 'the CSV export', 'the reporting module',
      'calendar sync', 'the Slack integration', 'the admin panel', 'two-factor authentication'],
    services: ['onboarding package', 'premium support plan', 'data migration service'],
    company: ['Brightlane Analytics', 'Nordwind Software', 'Pixelfold', 'Quarry Labs', 'Tallybird'],
    errors: ['"Error 502 Bad Gateway"', 'a blank white screen', 'a "session expired" message', '"Something went wrong"',
      'an endless spinner'],
  },
  {
    topic: 'office supplies',
    products: ['A4 copy paper', 'toner cartridges', 'ergonomic chairs', 'standing desks', 'whiteboard markers',
      'filing cabinets', 'label printers'],
    things: ['the label printer', 'the online ordering portal', 'the standing desk motor', 'the shredder'],
    services: ['next-day delivery', 'monthly restock service', 'office fit-out'],
    company: ['Deskline Supplies', 'Papyrus & Co', 'OfficeHub Direct'],
    errors: ['a red blinking light', 'error code E4', 'a paper jam warning that will not clear'],
  },
  {
    topic: 'food wholesale',
    products: ['espresso beans', 'oat milk cartons', 'olive oil tins', 'frozen croissants', 'organic flour',
      'sparkling water', 'cheese platters'],
    things: ['the coffee grinder you supplied', 'the ordering app', 'the display fridge', 'the delivery portal'],
    services: ['weekly delivery', 'catering service', 'barista training'],
    company: ['Greenfield Foods', 'Casa Olivo', 'Bean & Barley', 'The Crown Inn', 'Northside Bakery'],
    errors: ['error F3 on the display', 'a "sync failed" message', 'a temperature alarm'],
  },
  {
    topic: 'manufacturing',
    products: ['M8 stainless bolts', 'aluminium brackets', 'hydraulic hoses', 'steel sheets', 'ball bearings',
      'PVC pipes', 'cable glands'],
    things: ['the CNC controller', 'the pressure sensor', 'the supplier portal', 'the torque tool'],
    services: ['custom machining', 'powder coating', 'just-in-time delivery'],
    company: ['Kessler Metallbau', 'Ridgeway Engineering', 'Atlas Fabrication', 'Vantor Components'],
    errors: ['alarm 1042', 'a calibration error', 'an over-pressure warning'],
  },
  {
    topic: 'printing',
    products: ['business cards', 'roll-up banners', 'flyers', 'branded mugs', 'tote bags', 'brochures',
      'vinyl stickers'],
    things: ['the design proof tool', 'the artwork upload page', 'the online editor'],
    services: ['design service', 'rush printing', 'mailing service'],
    company: ['Inkwell Studio', 'Printworks Direct', 'Loop Marketing'],
    errors: ['an "upload failed" message', 'a file-too-large error', 'a blurry preview'],
  },
  {
    topic: 'IT services',
    products: ['laptops', '27-inch monitors', 'docking stations', 'wireless headsets', 'network switches',
      'rack servers'],
    things: ['the VPN', 'the firewall', 'the shared drive', 'the email server', 'the Wi-Fi access points',
      'the nightly backup'],
    services: ['managed IT support', 'on-site installation', 'cloud backup'],
    company: ['Harbor Legal LLP', 'Meridian Dental', 'Fernhill Architects', 'Oakridge Clinic'],
    errors: ['error 809', 'a certificate warning', '"access denied"', 'a timeout after login'],
  },
  {
    topic: 'logistics',
    products: ['pallet shipments', 'container bookings', 'courier slots', 'cold-chain transport'],
    things: ['the tracking page', 'the booking portal', 'the label API'],
    services: ['same-day courier', 'warehousing', 'customs clearance'],
    company: ['Swiftmile Freight', 'Hartmann Logistik', 'Bluewave Imports', 'Portside Traders'],
    errors: ['a "no rates found" message', 'HTTP 500 on the label endpoint', 'a duplicate booking warning'],
  },
  {
    topic: 'hospitality',
    products: ['conference room bookings', 'hotel rooms for our team', 'gala dinner packages', 'meeting packages'],
    things: ['the booking system', 'the projector in room B', 'the guest Wi-Fi'],
    services: ['event catering', 'AV setup', 'shuttle service'],
    company: ['Lakeside Hotel', 'The Granary Venue', 'Summit Events', 'Riverside Conference Centre'],
    errors: ['a payment error at checkout', 'a "room unavailable" message', 'no signal on HDMI'],
  },
  {
    topic: 'facilities',
    products: ['cleaning supplies', 'paper towels', 'hand sanitiser refills', 'floor polish', 'bin liners'],
    things: ['the soap dispensers', 'the access card reader', 'the air conditioning unit'],
    services: ['office cleaning', 'window cleaning', 'deep-clean service'],
    company: ['Sparkle Facility Services', 'CleanCo', 'Brightway Property'],
    errors: ['a flashing E7 code', 'a constant beeping', 'an "invalid card" message'],
  },
  {
    topic: 'accounting',
    products: ['bookkeeping package', 'payroll service', 'tax return preparation', 'audit support'],
    things: ['the client portal', 'the document upload', 'the payroll report'],
    services: ['quarterly review', 'advisory hours', 'year-end accounts'],
    company: ['Whitlock Accountants', 'Ledgerline', 'Morrow & Partners'],
    errors: ['an "upload rejected" message', 'a login loop', 'wrong totals in the report'],
  },
  {
    topic: 'furniture',
    products: ['oak dining tables', 'sofa covers', 'bar stools', 'floor lamps', 'bookshelves', 'office sofas'],
    things: ['the checkout page', 'the assembly instructions', 'the smart lamp app'],
    services: ['white-glove delivery', 'assembly service'],
    company: ['Nook Interiors', 'Timber & Thread', 'Cafe Lumen', 'Studio Arca'],
    errors: ['a card declined message', 'a missing screw pack', 'the app not finding the lamp'],
  },
  {
    topic: 'energy',
    products: ['solar panels', 'battery storage units', 'EV chargers', 'inverters', 'heat pumps'],
    things: ['the inverter display', 'the monitoring app', 'the EV charger', 'the heat pump controller'],
    services: ['annual inspection', 'installation', 'maintenance contract'],
    company: ['Sunfield Energy', 'Voltline', 'Greenroof Installers'],
    errors: ['fault code F21', 'a grid error', 'zero production readings'],
  },
];
const OWN_COMPANIES = ['Acme Ltd', 'Bluebird Retail', 'Cobalt Dental Group', 'Dunmore Hotels', 'Elmwood Schools',
  'Fjord Outdoor', 'Granite Property', 'Hollis & Sons', 'Ivy Health', 'Juniper Cafes', 'Kestrel Media',
  'Lumen Architects', 'Maple Clinics', 'Northgate Builders', 'Orchid Spa', 'Pinecrest Logistics',
  'Quayside Restaurants', 'Redwood Consulting', 'Saffron Kitchens', 'Tidewater Marine', 'Upland Farms',
  'Vireo Labs', 'Westbrook Council', 'Yardley Motors', 'Zenith Fitness'];

type Slots = Record<string, () => string>;

function money(): string {
  const value = between(40, 48000) + (chance(0.4) ? between(0, 99) / 100 : 0);
  const formatted = value.toLocaleString('en-US', {
    minimumFractionDigits: Number.isInteger(value) ? 0 : 2,
    maximumFractionDigits: 2,
  });
  return pick(['$', '€', '£', 'EUR ', 'USD ']) + formatted;
}

function dateText(): string {
  const day = between(1, 28);
  const suffix = day % 10 === 1 && day !== 11 ? 'st' : day % 10 === 2 && day !== 12 ? 'nd' : day % 10 === 3 && day !== 13 ? 'rd' : 'th';
  return pick([`${pick(MONTHS)} ${day}`, `the ${day}${suffix}`, `${day} ${pick(MONTHS)}`, `next ${pick(WEEKDAYS)}`,
    `${day}/${between(1, 12)}`]);
}

function slotsFor(industry: Industry): Slots {
  return {
    first: () => pick(FIRST),
    first2: () => pick(FIRST),
    sender: () => pick(FIRST),
    senderLast: () => pick(LAST),
    last: () => pick(LAST),
    last2: () => pick(LAST),
    role: () => pick(ROLES),
    city: () => pick(CITIES),
    month: () => pick(MONTHS),
    weekday: () => pick(WEEKDAYS),
    event: () => pick(EVENTS),
    magazine: () => pick(MAGAZINES),
    charity: () => pick(CHARITIES),
    street: () => `${between(2, 240)} ${pick(STREETS)}`,
    company: () => pick([...industry.company, ...OWN_COMPANIES]),
    company2: () => pick(OWN_COMPANIES),
    us: () => pick(industry.company),
    topic: () => industry.topic,
    product: () => pick(industry.products),
    product2: () => pick(industry.products),
    thing: () => pick(industry.things),
    service: () => pick(industry.services),
    error: () => pick(industry.errors),
    qty: () => String(pick([between(2, 20), between(20, 120), between(100, 2000)])),
    qty2: () => String(between(2, 60)),
    days: () => String(between(2, 21)),
    amount: money,
    amount2: money,
    date: dateText,
    date2: dateText,
    time: () => `${between(7, 17)}:${pick(['00', '15', '30', '45'])}`,
    time2: () => `${between(18, 23)}:${pick(['00', '30'])}`,
    phone: () => `+${between(1, 49)} ${between(100, 999)} ${between(100, 999)} ${between(1000, 9999)}`,
    order: () => pick([`#${between(10000, 99999)}`, `SO-${between(100, 999)}-${between(10, 99)}`,
      `ORD${between(100000, 999999)}`, `${between(10, 99)}-${between(1000, 9999)}`]),
    po: () => pick([`PO-${between(1000, 9999)}`, `PO ${between(20000, 89999)}`, `4500${between(100000, 999999)}`]),
    quote: () => pick([`Q-${between(1000, 9999)}`, `QT${between(100, 999)}`]),
    invoice: () => pick([`INV-${between(2021, 2025)}-${String(between(1, 999)).padStart(4, '0')}`,
      `${between(10000, 99999)}`, `INV${between(1000, 9999)}`, `F-${between(100, 999)}`]),
    invoice2: () => `INV-${between(2022, 2025)}-${String(between(1, 999)).padStart(4, '0')}`,
    ticket: () => pick([`#${between(1000, 99999)}`, `T-${between(100, 9999)}`, `CS${between(10000, 99999)}`]),
    account: () => pick([`ACC-${between(1000, 9999)}`, `${between(100000, 999999)}`, `C${between(1000, 9999)}`]),
    vat: () => pick([`GB${between(100000000, 999999999)}`, `DE${between(100000000, 999999999)}`,
      `NL${between(100000000, 999999999)}B01`]),
    digits: () => String(between(10, 99)),
    domain: () => `${pick(OWN_COMPANIES).split(' ')[0].toLowerCase()}.example`,
  };
}

/** Expands `[a|b|c]` alternatives, then `{slot}` fillers; a slot keeps its value for the whole email. */
function render(template: string, slots: Slots, chosen: Map<string, string>): string {
  const expanded = template.replace(/\[([^\[\]]*)\]/g, (_, options: string) => pick(options.split('|')));
  return expanded.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (!slots[name]) throw new Error(`unknown slot {${name}} in "${template}"`);
    if (!chosen.has(name)) chosen.set(name, slots[name]());
    return chosen.get(name)!;
  });
}

// ---------------------------------------------------------------------------------------------------------
// Phrase pools per category. A scenario holds what belongs together (its subjects, its opening sentence and
// details only it can have); a category adds subjects and details that fit any of its scenarios.

interface Scenario {
  subjects: string[];
  openers: string[];
  details?: string[];
  /** Machine-sent (auto-replies, alerts, newsletters): no greeting, asides, asks or personal signature. */
  automated?: boolean;
}

interface Pools {
  scenarios: Scenario[];
  anySubjects: string[];
  details: string[];
  asks: string[];
}

const POOLS: Record<Category, Pools> = {
  lead: {
    scenarios: [
      {
        subjects: ['Pricing for {product}', 'Quote request - {product}', 'Request for quote: {qty} {product}',
          'Volume discount for {product}', 'quote pls', 'pricing?', 'Can you do {product} in bulk?',
          'Potential order of {qty} {product}'],
        openers: [
          'Could you send [me|us] [a quote|pricing|a price list] for {qty} {product}[, delivered to {city}|]?',
          "I'd like to [understand|know] how your pricing works for [teams of|orders of|volumes around] {qty}[ units| people|].",
          'Do you offer [volume discounts|a free trial|a pilot|annual pricing|samples] for {product}?',
          'What [lead time|minimum order quantity|MOQ] do you have on {product}, and what would {qty} cost?',
          'Would {us} be able to [quote for|take on] a [one-off|recurring] job of {qty} {product}?',
          'We [might|would like to] buy {qty} {product} [this year|next quarter] and are comparing prices - what can you offer?',
        ],
        details: ['Our budget is roughly {amount}.', 'Please include [delivery costs|setup fees|VAT] in the quote.',
          'A rough figure is fine for now.'],
      },
      {
        subjects: ['Demo request', 'Trial account?', 'Intro call re: {service}', 'Interested in your {service}',
          'Could we see a demo?'],
        openers: [
          'Would it be possible to [book|schedule|set up] a [short|30-minute|quick] [demo|call|walkthrough] [next week|on {weekday}|sometime this month]?',
          'We [came across|found] your [website|listing|company] [on Google|on LinkedIn|through a colleague] and [would like|want] to learn more about your {service}.',
          'Can you tell me whether your {service} [would suit|works for] a company our size?',
          "We're a [small|fast-growing|mid-sized|family-run] [business|company|team] in {city}[ with about {qty2} employees|] and we are considering [switching to|trying] {us}.",
        ],
        details: ['Happy to [jump on a call|meet in person|visit your showroom] [whenever suits|next week].',
          'About {qty2} people would use it day to day.'],
      },
      {
        subjects: ['{company} - vendor evaluation', 'RFP: {service} for {company}', 'Proposal needed by {date}',
          'Exploring options for {service}', 'Looking for a supplier of {product}', 'Tender invitation'],
        openers: [
          "[I'm|I am] [the {role} at|{role} with] {company} and we are [looking for|evaluating|shopping around for] a [new|reliable|second] supplier of {product}.",
          'Our current [provider|supplier|vendor] [contract ends|is being replaced] in {month} and we are [collecting|comparing] [offers|proposals|quotes].',
          'We are putting together a [tender|request for proposal|budget] for {service} and would like to include {us}.',
          'We have [budget|approval] for {service} [this quarter|in Q3|before year end] and you are [on our shortlist|one of three vendors we are talking to].',
        ],
        details: ['The decision [sits with|includes] our {role} and myself.',
          'If the numbers work we could [commit to|sign] a [12-month|two-year|yearly] agreement.',
          'We would need [invoicing in EUR|net 30 terms|a signed NDA|references from similar clients].',
          'We [tried|used] [a competitor|another vendor] [last year|before] but [it did not scale|the quality was inconsistent].',
          'Proposals are due [by {date}|at the end of {month}].'],
      },
      {
        subjects: ['Partnership opportunity', 'Reseller inquiry from {company}', 'Wholesale account',
          'Stocking your {product}'],
        openers: [
          'Are you open to [a partnership|a reseller arrangement|a referral agreement] with {company}?',
          'We are expanding to {city} and need a [local|dependable] partner for {service}.',
          'We run [a chain of {qty2} shops|an online store|a distribution business] and would like to [stock|resell] your {product}.',
        ],
        details: ['We would order [monthly|every quarter|roughly every {days} days] if things go well.',
          '[Our website|Our profile] is at www.{domain} if you want to know more about us.'],
      },
      {
        subjects: ['Referral from {first2}', 'Following up from {event}', 'Nice to meet you at {event}'],
        openers: [
          '{first2} [from|at] {company2} recommended you[ and said you were great to work with|] - we need {product} [soon|for a new site].',
          'I saw your [booth|talk|stand] at {event} and would love to [continue the conversation|hear more about {product}].',
        ],
        details: ['Could you send over some prices and availability?'],
      },
      {
        subjects: ['Rates for {month}', 'Availability in {month}', 'New project in {month}', 'Do you deliver to {city}?',
          'Inquiry about {service}'],
        openers: [
          "I'm planning [a product launch|our staff party|a two-day offsite] for about {qty2} [guests|people|attendees] and wanted to check [availability|your rates].",
          'We are [opening|launching] a new [site|branch|store] in {month} and will need {product} [on a regular basis|from day one].',
          'Quick one: do you [ship|deliver|work] [to|in] {city}? We may need {service} from {month}.',
          'Please [get in touch|call me|reach out] [at {phone}|on my mobile|when convenient] to discuss [a possible contract|our requirements] for {product}.',
          'Is there a [brochure|spec sheet|catalogue|case study] you could share for {product}?',
        ],
        details: ['[Ideally|Preferably] we would [start|go live|receive the first delivery] [in {month}|before {date}|within {days} weeks].'],
      },
    ],
    anySubjects: ['Inquiry', 'Enquiry', 'New customer enquiry', 'Hello from {company}', 'Information request'],
    details: [
      'We currently spend around {amount} [a month|per quarter|a year] on this.',
      'Samples would help us [convince|get buy-in from] [management|the board|our {role}].',
      'Could you also [indicate|mention] [your lead times|warranty terms|any setup costs]?',
    ],
    asks: ['Looking forward to hearing from you.', 'Thanks in advance for the [info|information|quote].',
      'Let me know [what you think|the next steps|if you need more details].',
      'Please send the proposal to this address.', 'When could we talk?'],
  },
  support: {
    scenarios: [
      {
        subjects: ["Can't log in", 'Locked out', 'Account access', 'Password reset not arriving', 'Login problem'],
        openers: [
          "I can't [log in to|access|get into] {thing}[ anymore| since the password change|].",
          'The password reset email [never arrives|goes to spam|has an expired link].',
          '[One of our users|A colleague|Our {role}] [is locked out|gets {error} at login|cannot see the shared folder].',
          'How can I [give|remove] [admin rights|access] [to|for] a [new starter|colleague who left]?',
        ],
        details: ['Our account [ID|number] is {account}.', 'The username is {sender}.{senderLast}.'],
      },
      {
        subjects: ['Problem with {thing}', '{thing} not working', 'Error when [exporting|saving|uploading]',
          'Strange behaviour in {thing}', 'Update broke {thing}?', 'Bug in {thing}?'],
        openers: [
          '[Since|After] [yesterday|this morning|the last update|{weekday}] {thing} [shows|gives me|returns] {error} [whenever|when] I try to [log in|save|open it|export].',
          'I think something is wrong with [our account settings|the permissions|{thing}] because [nothing happens when I click save|the numbers look off|the page keeps loading].',
          'Could you [check|look at] our account? {thing} [stopped syncing|shows old data|lost our settings] after [the weekend|the update].',
          'Is there a known [issue|outage|problem] with {thing} [today|at the moment]? We get {error}.',
        ],
        details: ['[A screenshot|The log file] is attached[ in case it helps|].',
          'I have [already|] tried [clearing the cache|a different browser|reinstalling the app|logging out and in].',
          'We are on [the {product}|version 4.{digits}|Chrome on Windows].'],
      },
      {
        subjects: ['{thing} keeps [disconnecting|crashing|freezing]', 'Error code on {thing}', '{thing} offline',
          'Fault on {thing}'],
        openers: [
          '{thing} [keeps|has started to] [disconnect|freeze|crash|beep|restart] [every few minutes|randomly|at night].',
          'Our {thing} [displays|shows] [error code E{digits}|a red light|a blinking orange light|{error}] - what does that mean?',
          'We [upgraded|moved office|changed our Wi-Fi|installed the latest version] and now {thing} [is offline|does not respond|cannot be found].',
          "[We|I] followed the [setup guide|instructions|manual] but {thing} [still does not|won't] [connect|turn on|sync|start].",
        ],
        details: ['I have [already|] tried [restarting it|unplugging it for ten minutes|a factory reset].',
          'The [serial number|device ID] is SN{digits}-{digits}{digits}.', '[A photo|A video] of the display is attached.',
          'Please send a technician if it cannot be fixed remotely.'],
      },
      {
        subjects: ['How do I [add a user|change my password|reset {thing}]?', 'Configuration of {thing}',
          'Setup help needed', 'Question about {thing}', 'Integration question',
          'Where do I find [the settings|the manual|the API key]?'],
        openers: [
          'How do I [add a new user|change the admin email|set up {thing}|connect {thing} to our system|reset {thing} to factory settings]?',
          'Is there a way to [export our data|change the language|schedule reports|turn off notifications|bulk upload our {product}]?',
          'Could you [walk me through|explain|help with] [configuring|setting up|enabling] {thing}?',
          'Where can I find [the API key|the user manual|the warranty registration|the firmware update] for {thing}?',
          'Quick question about {thing}: [does it support|can it handle|is it compatible with] [Windows 11|Macs|multiple locations|our older model]?',
          'What settings do you recommend for {thing} [with|on] [a slow connection|two sites|a shared account]?',
        ],
        details: ['Your help article on this seems to describe an older version.',
          '[Not urgent|No rush], but it would be good to [sort it out|know] [this week|soon].'],
      },
    ],
    anySubjects: ['help pls', 'Technical question', 'Need assistance', 'Support request', 'Ticket {ticket}',
      'Re: Ticket {ticket}'],
    details: [
      '[It worked fine|Everything was fine] until [last week|the update|{weekday}].',
      'This affects [{qty2} users|the whole team|only my laptop|just one location].',
      "We can't [process orders|work properly|serve customers] until this is fixed.",
      "I'm available [for a remote session|on {phone}|all afternoon] if that helps.",
    ],
    asks: ['Thanks for your help.', 'Any advice appreciated.', 'What should I do?', 'Please let me know.',
      'Could someone from support get back to me?', 'Thanks in advance!', '[Please advise|Let me know what to try next].'],
  },
  order: {
    scenarios: [
      {
        subjects: ['New order', 'Order for {qty} {product}', 'Purchase order {po}', '{po} attached', 'Please ship {product}',
          'Restock', 'Urgent order - {product}', 'Reorder - same as last month'],
        openers: [
          'Please [find attached|see attached] our purchase order {po} for {qty} {product}.',
          'We would like to [order|place an order for] {qty} [units of|boxes of|packs of|] {product}[ at the price we agreed|].',
          '[Same as last time|Same order as last month], please: {qty} {product} and {qty2} {product2}.',
          "I'd like to [reorder|order more of] the {product} we bought in {month}.",
          "Do you have {product} in stock? We'd like to [order|take] {qty} [today|this week].",
          'Go ahead with [quote|offer] {quote}, please: {qty} {product}[ with delivery to {city}|].',
        ],
        details: ['Our [PO number|reference|cost centre] is {po}.', 'Delivery [address|location]: {street}, {city}.',
          '[Please invoice|Bill] this to [our usual account|the {city} branch].',
          'Colour [black|white|oak|navy], size [M|L|standard] as before.',
          'If {product} is on backorder please send the rest and ship it separately.'],
      },
      {
        subjects: ['Change to order {order}', 'Additional items for order {order}', 'Add to my order',
          'Updating delivery address', 'Standing order change', 'Split shipment request'],
        openers: [
          'Could you [change|update|increase|reduce] the quantity on order {order} [to|from] {qty}?',
          'We need to [change|update] the delivery address for order {order} to our {city} [warehouse|office|site].',
          'Please add {qty2} {product} to [our open order|order {order}] if it has not shipped yet.',
          'Can you split order {order} into two deliveries: half [now|this week] and the rest [on {date}|next month]?',
          'Our standing order should change from {qty2} to {qty} {product} [per week|per month] starting {date}.',
        ],
        details: ['New address: {street}, {city}.', '[Partial delivery is fine|Please ship complete only].'],
      },
      {
        subjects: ['Cancel order {order}', 'Cancellation - {order}', 'Please cancel'],
        openers: [
          'Please cancel order {order}[, we ordered the wrong size| as we no longer need it| - it was placed twice by mistake].',
          'We need to cancel the {product} on order {order}; the rest can ship as planned.',
          'Could you cancel our {service} booking for {date}? [Plans changed|The event was postponed].',
        ],
        details: ['If it has already shipped, please tell me how to return it.'],
      },
      {
        subjects: ['Where is order {order}?', 'Order status {order}', 'Tracking number for {order}',
          'Delivery date for {order}', 'Order confirmation needed', 'Backorder on {product}?'],
        openers: [
          'Can you [tell me|confirm] when order {order} will [ship|be delivered|arrive]?',
          'Could you [send|share] the tracking number for {order}?',
          'Our order {order} [shows|is marked] as [dispatched|shipped|pending] - [any update|can you check]?',
          "I [haven't received|did not get] a confirmation for the order I placed [on {weekday}|yesterday|through the portal].",
          'Is the {product} on order {order} still on backorder, and is there a new date?',
        ],
        details: ['We need [it|them|everything] [by {date}|before {weekday}|no later than {date}].'],
      },
      {
        subjects: ['Booking for {date}', 'Collection time for {order}', 'Delivery slot for {order}'],
        openers: [
          "We'd like to book {service} for {date} under our usual account.",
          'Please [book|schedule] the delivery of order {order} for {date}[ in the morning|].',
          'Could you hold order {order} [until|for collection on] {date}? [Our warehouse is closed until then|We will pick it up ourselves].',
        ],
        details: ['Contact on site is {first2} ({phone}).',
          '[Please deliver|Delivery should be] [before 10am|to the loading dock|to reception] [as usual|this time].'],
      },
    ],
    anySubjects: ['order', 'Re: Order {order}', 'Repeat order {company}', 'Our order', 'Order query'],
    details: [
      '[Let me know|Please confirm] [the expected delivery date|if anything is out of stock|the total including shipping].',
    ],
    asks: ['Thanks!', 'Please confirm receipt of this order.', 'Thank you, {first}.', 'Let me know if anything is unclear.',
      'Cheers for sorting this.', 'Please send an order confirmation.'],
  },
  invoice: {
    scenarios: [
      {
        subjects: ['Invoice {invoice}', 'Copy of invoice {invoice}', 'Fwd: invoice', 'Invoices for {month}',
          'Pro forma invoice request', 'Receipt needed'],
        openers: [
          'Please find attached invoice {invoice} for {amount}[, due {date}| covering {month}|].',
          "Could you [send|resend|email] [a copy of|] invoice {invoice}[? We can't find it in our system|; the PDF was corrupted|]?",
          'I need a [receipt|paid invoice] for [our {month} payment|the {amount} charge] for my expense report.',
          'Could you send a pro forma invoice for the {product} so we can release the payment?',
        ],
        details: ['[The invoice should be addressed to|Please address invoices to] {company}, attn. {first2} {last2}.',
          '[Bank|Account] details are on the [invoice|attached PDF].'],
      },
      {
        subjects: ['Payment for invoice {invoice}', 'Remittance advice', 'Payment confirmation', 'Payment sent'],
        openers: [
          'We [have paid|paid|transferred] {amount} [for|against] invoice {invoice} [today|on {date}|yesterday][, please confirm receipt|].',
          'Remittance: {amount} [sent|paid] by [bank transfer|BACS|ACH|wire] covering invoices {invoice} and {invoice2}.',
        ],
        details: ['Payment reference: {invoice}.', 'It should reach your account within [two|three] working days.'],
      },
      {
        subjects: ['Overdue invoice {invoice}', 'Reminder: invoice {invoice} due', 'Final reminder - {invoice}',
          'Outstanding balance'],
        openers: [
          '[Our records show|According to our ledger] invoice {invoice} [for {amount}|] is [still|now] [outstanding|overdue|unpaid][ by {days} days| since {date}|].',
          'This is a [friendly|final|second] reminder that invoice {invoice}[ for {amount}|] [was due on {date}|is now past due].',
        ],
        details: ['Payment terms are [30|14|45] days net.', 'If you have already paid, please ignore this reminder.'],
      },
      {
        subjects: ['VAT number update', 'Change of billing address', 'Bank details change', 'Billing contact update',
          'Direct debit setup', 'Payment terms'],
        openers: [
          'Can you [update|change] the billing address on our account to {street}, {city}?',
          'Our VAT [number|ID] has changed; please [use|add] {vat} on future invoices.',
          'Please note our bank details have changed[; the new IBAN is on the attached letter|].',
          "We'd like to set up [direct debit|automatic card payments] for [future invoices|our subscription].",
          'Is it possible to [pay by card|move to monthly billing|get net 60 terms|split the payment into two instalments]?',
          'Who should we contact about [billing|payment] questions now that {first2} has left?',
        ],
        details: ['Please send invoices to [accounts@{domain}|our AP mailbox] from now on.',
          'Our company registration and VAT details are in the footer.'],
      },
      {
        subjects: ['Wrong amount on invoice {invoice}?', 'Credit note request', 'Duplicate charge?', 'Invoice query'],
        openers: [
          'We were [charged|billed] {amount} [but the quote said|instead of] {amount2}; could you [check|look into it|issue a corrected invoice]?',
          'Please [issue|send] a credit note for the [returned|cancelled] {product} on invoice {invoice}.',
          'Invoice {invoice} seems to [include|list] the {product} twice; can you [check the line items|send an updated version]?',
          '[Our accounts payable team|Finance|Our bookkeeper] [needs|asked for] [a PO number|our cost centre|the order reference] on invoice {invoice} before [it can be paid|approval].',
        ],
        details: ['The [PO|purchase order] reference is {po}.', 'The amount should be {amount2} [excluding|including] VAT.',
          'We [can|will] schedule payment [in our next payment run|on {weekday}|once it is corrected].'],
      },
      {
        subjects: ['Statement of account', 'Open items on {account}', 'Balance confirmation'],
        openers: [
          'Could you send us a statement of [account|all open items] [for this year|up to {date}]?',
          'Can you confirm [which invoices are still open|our current balance] on account {account}?',
        ],
        details: ['Our auditors [need|asked for] it by {date}.'],
      },
    ],
    anySubjects: ['Billing question', 'Accounts payable', 'Re: Invoice {invoice}', 'Finance query'],
    details: ['[Let me know if|In case] you need anything else from our side.'],
    asks: ['Thank you.', 'Many thanks.', 'Please confirm.', 'Thanks for your help with this.',
      'Kind regards from the finance team.', 'Appreciate a quick check.'],
  },
  complaint: {
    scenarios: [
      {
        subjects: ['Damaged delivery', 'Broken on arrival', 'Faulty {product}', 'Poor quality {product}',
          'Complaint - {product}'],
        openers: [
          'The {product} [arrived|were delivered|came] [damaged|broken|crushed|leaking|scratched][ and half of them are unusable| again|].',
          '[Frankly|Honestly], the quality of the {product} has [gone downhill|dropped badly|been awful] [lately|since {month}].',
          'Half of the {product} were [missing|the wrong model|expired] and your team [blamed us|shrugged it off].',
        ],
        details: ['[Photos|Pictures] of the damage are attached.',
          '[I expect|We want] a [replacement at your cost|credit for the full amount] [within {days} days|by {date}].'],
      },
      {
        subjects: ['Still waiting!!', 'This is the third time', 'Wrong items AGAIN', 'Complaint about {order}',
          'Late delivery - again'],
        openers: [
          'This is the [third|fourth|second] time [this month|in a row|since {month}] that [our delivery is late|you sent the wrong items].',
          'Unacceptable: the [order|shipment|job] was [{days} days late|incomplete|done badly] and [no one warned us|we had to apologise to our own customers].',
          'Your [staff|team|company] [ignored|did not follow] [our instructions|the agreement|the delivery note] [again|completely].',
          'We are [still|once again] waiting for [the replacement|the missing items] [since {date}|after {days} days], which is [ridiculous|a joke|not good enough].',
        ],
        details: ['[Our customers|My staff|My team] [are furious|had to deal with the fallout|were left waiting].'],
      },
      {
        subjects: ['Your driver', 'Rude staff', 'Complaint about your technician', 'Unprofessional behaviour'],
        openers: [
          '[Your driver|The technician|Your representative|The person on your hotline] was [rude|unprofessional|dismissive|aggressive] [to our staff|on the phone|when I asked a simple question].',
          '[Your installer|The engineer you sent] [left a mess|damaged our wall|walked out halfway] and [did not even apologise|was rude about it].',
        ],
        details: ['[Nobody|No one] [apologised|took responsibility|even bothered to call].',
          '[Please escalate this to|I want to speak with] [a manager|your director|someone senior].'],
      },
      {
        subjects: ['Terrible experience with your {service}', 'Disappointing {service}', 'Cancelling our contract',
          'Unacceptable service'],
        openers: [
          'I am [extremely|very|really|deeply] [disappointed|unhappy|frustrated|annoyed] with [the service we received|your {service}|your support team].',
          '{thing} [has been down|failed|was broken] [for {days} days|all weekend|during our busiest day] and it cost us [customers|money|a lot of sales].',
          'The {service} you [provided|sold us] was [a mess|a disaster|nowhere near what was promised].',
          '[We were promised|We paid for] {service} [on {date}|by {weekday}] and [nobody showed up|nothing happened|we are still waiting].',
          '[After|For] [{qty2} years as a customer|years of loyal business] this is [how we get treated|really poor].',
        ],
        details: ['If this is not resolved [we will cancel our contract|I will leave a review everywhere|we will take our business elsewhere|our lawyer will be in touch].',
          'Honestly I [regret|am starting to regret] choosing {us}.'],
      },
      {
        subjects: ['Overcharged', 'Refund demanded', 'Compensation request'],
        openers: [
          '[We were overcharged|You charged us] {amount} [for something we never ordered|twice|on top of the agreed price] and [I want it refunded|this is not acceptable].',
          'We [want|demand] compensation for [the lost day|the spoiled stock|the cancelled event] caused by your [mistake|failure].',
        ],
        details: ['I am [not paying|withholding payment on] invoice {invoice} until this is sorted.',
          'We have [lost|wasted] [a full day|hours|{amount}] because of this.'],
      },
      {
        subjects: ['Nobody is answering', 'Re: still no response', 'Escalation: {ticket}', 'Fed up'],
        openers: [
          'I have [emailed|called|written] [three times|repeatedly|every day this week] and [nobody has replied|I keep getting the same useless answer|no one called me back].',
          'Your ticket {ticket} was closed without [a fix|any answer] and I am [fed up|sick of chasing you].',
          'We are still waiting for [a refund|someone to call back] after {days} days - this is [ridiculous|a joke].',
        ],
        details: ['[Please escalate this to|I want to speak with] [a manager|your director|someone senior].'],
      },
    ],
    anySubjects: ['Very disappointed', 'Formal complaint', 'Extremely unhappy', 'Not happy', 'Worst service ever',
      'Complaint'],
    details: [
      '[I expect|We demand|We want] a [full refund|written explanation|call from a manager] [within {days} days|by {date}|immediately].',
      'If this is not resolved [we will cancel our contract|we will take our business elsewhere].',
    ],
    asks: ['I expect an answer today.', 'Sort it out.', 'Awaiting your response.', 'Very disappointed.',
      'Please do better.', 'I want this fixed now.'],
  },
  other: {
    scenarios: [
      {
        automated: true,
        subjects: ['Out of office', 'Automatic reply: {month} catch-up', 'Auto-reply: away until {date}'],
        openers: [
          'I am out of the office [until {date}|this week|on annual leave] with [limited|no] access to email. For [anything urgent|urgent matters] please contact {first2} at {phone}.',
          'Thank you for your message. I am [travelling|at {event}|on leave] and will reply when I am back on {date}.',
        ],
      },
      {
        automated: true,
        subjects: ['Newsletter: {month} update', 'Your {month} digest from {company}', "What's new at {company}"],
        openers: [
          'Our {month} newsletter is here: [new hires|product tips|industry news|a recap of {event}] and more.',
          'In this issue: [three ways to cut energy costs|our new {city} office|customer stories from the {topic} world] and [upcoming events|a recipe from the team].',
          'Thanks for subscribing! Every month we share [product tips|customer stories|industry news] from {company}.',
        ],
        details: ['[Unsubscribe|Manage preferences] [here|below].', '[Read it online|View in browser] using the link below.',
          'You are receiving this because you signed up at {event}.'],
      },
      {
        subjects: ['Invitation: {event}', 'Save the date', 'Webinar invitation', "You're invited"],
        openers: [
          "You're invited to {event} on {date} in {city}. [Drinks and canapes|Lunch|Coffee] will be served; RSVP by {date2}.",
          'Join our free webinar on [{topic} trends|hybrid work|cyber security basics] on {date} at {time}.',
          'Save the date: {event} returns on {date}[ with more speakers than ever|].',
        ],
        details: ['Looking forward to seeing you there.', 'The full programme is on our website.',
          'Spaces are limited, first come first served.'],
      },
      {
        subjects: ['Team lunch on {weekday}', 'Company picnic', 'Friday drinks', 'Charity fun run', 'Welcome {first2}!'],
        openers: [
          "[Team lunch|Friday drinks|The summer party] is on {weekday} at {time} - [let me know|reply] if you're coming[ and any dietary requirements|].",
          "I'm organising [a charity run|a bake sale|a food drive] for {charity} on {date} - [would anyone like to join|donations welcome].",
          'Please welcome {first2} {last2}, who joins us as {role} [this Monday|today]!',
        ],
        details: ['[Have a great weekend|Enjoy the rest of your week]!', 'Hope to see you all there.'],
      },
      {
        subjects: ['Office closed on {date}', 'Parking at the new office', 'IT maintenance window', 'Fire alarm test',
          'Reminder: timesheets'],
        openers: [
          'Just a reminder that the office [will be closed|is closed] on {date} for [the public holiday|maintenance|the move].',
          'The new parking [permits|rules] start [on {date}|next month]; please register your car [with reception|on the intranet].',
          'Scheduled maintenance: [the intranet|email|the VPN] will be unavailable on {date} between {time} and {time2}.',
          'The fire alarm test is on {weekday} at {time}; no need to leave the building.',
          'Reminder: [timesheets|holiday requests|training sign-ups] are due [by Friday|on {date}].',
        ],
        details: ['[No need to reply|No reply needed].', 'Thanks for your patience.'],
      },
      {
        subjects: ['Job application - {role}', "We're hiring", 'Open application'],
        openers: [
          'Please find attached my CV for the {role} position advertised on [your website|LinkedIn|Indeed].',
          'I would like to apply for [a summer internship|an apprenticeship|any open {role} role] at {us}.',
          "We're a recruitment firm with [great candidates|pre-vetted talent] for [{role}|engineering|sales] roles - are you hiring?",
        ],
        details: ['I am available for an interview [at short notice|from {date}].'],
      },
      {
        subjects: ['Thank you!', 'Congratulations', 'Happy holidays', 'Great to meet you'],
        openers: [
          '[Thank you so much|Many thanks|A big thank you] for [hosting us|the lovely flowers|your help at the fair|the recommendation] [last week|on {weekday}].',
          '[Congratulations on|Well done on] [the new office|your anniversary|winning the award|the funding round]!',
          'Happy holidays from all of us at {company}! [Our office will reopen on {date}|Wishing you a great new year].',
          "Hi {first}, [great to meet you|lovely chatting] at {event}! [Let's stay in touch|Here is the book I mentioned].",
        ],
        details: ["Hope you're well!"],
      },
      {
        subjects: ['Meeting notes', 'Re: coffee next week?', 'Catch-up moved', 'Agenda for {weekday}'],
        openers: [
          'Can we move our catch-up [to {weekday}|to next week|by an hour]? [Something came up|I have a clash].',
          "Attached are the notes from [Tuesday's|today's|the] meeting[ with {company}| on the roadmap|]. [Action items are at the bottom|Shout if I missed anything].",
          'Here is the agenda for {weekday}: [budget review|hiring plan|office move], [Q3 goals|team updates] and AOB.',
        ],
      },
      {
        subjects: ['Press inquiry', 'Speaker request', 'Sponsorship at {event}', 'Interview request'],
        openers: [
          "I'm [a journalist|a reporter|writing an article] for {magazine} and wondered if someone from your team could comment on [the {topic} market|remote work trends].",
          '[Would you|Could you] [speak|give a talk] at {event} [in {month}|on {date}] about [your journey|sustainability in {topic}]?',
          'Are you [the right person|the best contact] to talk to about [sponsoring|exhibiting at] {event}?',
        ],
      },
      {
        subjects: ['Introducing {company2}', 'Grow your business', 'You have won!', 'Boost your ranking', 'Join our network'],
        openers: [
          "We're [a digital agency|an SEO consultancy|a web design studio] helping businesses like yours [get more leads|rank on Google]. [Can I book 15 minutes|Interested in a free audit]?",
          'Win a [weekend away|new laptop|gift card]! Click here to claim your prize before {date}.',
          "We'd like to invite you to join our [LinkedIn group|community forum|partner network] for {topic} professionals.",
        ],
      },
      {
        automated: true,
        subjects: ['Security alert: new sign-in', 'Your subscription to {magazine}', 'Renewal notice: {domain}'],
        openers: [
          'We noticed a new sign-in to your account from {city}. If this was you, no action is needed.',
          'Your [magazine subscription|membership|domain {domain}] [will renew|expires] on {date}.',
        ],
      },
      {
        subjects: ['Survey: how did we do?', 'Quick survey', 'Your feedback matters'],
        openers: [
          'Would you have [ten minutes|a moment] to fill in our [annual|short|5-question] [survey|questionnaire] about [workplace trends|{event}|supplier relations]?',
        ],
        details: ['Everyone who takes part can win a [gift card|coffee voucher].'],
      },
      {
        subjects: ['Fwd: article you might like', 'Interesting read', 'FYI'],
        openers: [
          'FYI, [this article|this report|this podcast] on [supply chain trends|AI in accounting|hybrid work] [is worth a read|made me think of our chat].',
        ],
      },
    ],
    anySubjects: ['Hello', 'Quick note', 'Hi'],
    details: [],
    asks: ['Cheers!', 'Thanks all.', 'Best wishes.', 'See you soon.', 'Speak soon.', 'Have a good one.'],
  },
};

const GREETINGS = ['Hi,', 'Hello {first},', 'Dear Sir or Madam,', 'Hey team,', 'Good morning,', 'Hi there,',
  'To whom it may concern,', 'Dear {first},', 'Hello,', 'Good afternoon {first},', 'Hi all,', 'Morning,'];
const CLOSINGS = ['Thanks,', 'Best regards,', 'Cheers,', 'Kind regards,', 'Thank you,', 'Regards,', 'Best,',
  'Many thanks,', 'All the best,', 'Warm regards,'];
const SIGNATURES = ['{sender} {senderLast}\n{role}, {company}', '{sender}', '{sender} {senderLast}',
  '{sender} | {company}\n{phone}', '{sender} {senderLast}\n{company}\n{street}, {city}', '- {sender}'];
const QUOTES = ['> Thanks for getting in touch, we will come back to you shortly.',
  '> Hi {first2}, thanks for your email. Could you send us a few more details?',
  '> Dear customer, we have received your message and will reply within two working days.',
  '> Let us know if there is anything else we can help with.',
  '> Following up on our conversation from {weekday}.'];
const ASIDES = ["I'm travelling this week so replies may be slow.", 'Copying my colleague {first2}.',
  'Sorry for the long email.', 'Hope all is well on your side.', 'We have worked with you since 20{digits}.',
  'Sent on behalf of {first2}.', 'Happy to clarify on the phone.'];

// ---------------------------------------------------------------------------------------------------------
// Composition and noise

function compose(category: Category): Email {
  const pools = POOLS[category];
  const scenario = pick(pools.scenarios);
  const slots = slotsFor(pick(INDUSTRIES));
  const chosen = new Map<string, string>();
  const say = (template: string) => render(template, slots, chosen);
  const personal = !scenario.automated;

  let subject = say(chance(0.2) ? pick(pools.anySubjects) : pick(scenario.subjects));
  const short = personal && chance(0.15);
  const parts: string[] = [];
  if (personal && !short && chance(0.75)) parts.push(say(pick(GREETINGS)));
  const sentences = [say(pick(scenario.openers))];
  const details = [...(scenario.details ?? []), ...pools.details];
  sentences.push(...sample(details, short ? 0 : pick([0, 1, 1, 2, 2, 3])).map(say));
  if (personal && !short && chance(0.2)) sentences.splice(between(1, sentences.length), 0, say(pick(ASIDES)));
  if (personal && !short && chance(0.6)) sentences.push(say(pick(pools.asks)));
  // Paragraphs of one or two sentences, as people write them.
  for (let i = 0; i < sentences.length; ) {
    const take = chance(0.5) ? 2 : 1;
    parts.push(sentences.slice(i, i + take).join(' '));
    i += take;
  }
  if (!personal) parts.push(say('{company} | {street}, {city}'));
  else if (!short && chance(0.7)) parts.push(`${say(pick(CLOSINGS))}\n${say(pick(SIGNATURES))}`);
  else if (chance(0.4)) parts.push(say(pick(SIGNATURES)));

  let body = parts.join(short ? ' ' : '\n\n');
  if (personal && !/^(re|fwd):/i.test(subject) && chance(0.15)) {
    subject = `${pick(['Re: ', 'RE: ', 'Fwd: '])}${subject}`;
    body += `\n\nOn ${pick(WEEKDAYS)}, ${say('{first}')} wrote:\n${say(pick(QUOTES))}`;
  }
  if (personal && chance(0.15)) body = addTypos(body);
  if (personal && chance(0.06)) body = body.toLowerCase();
  if (personal && chance(0.08)) subject = subject.toLowerCase();
  return { subject, body, category, source: 'composed' };
}

function addTypos(text: string): string {
  const words = text.split(' ');
  for (let n = between(1, 3); n > 0; n--) {
    const index = between(0, words.length - 1);
    const word = words[index];
    if (!/^[a-z]{5,}$/.test(word)) continue;
    const at = between(1, word.length - 2);
    words[index] = pick([
      word.slice(0, at) + word[at + 1] + word[at] + word.slice(at + 2), // swapped letters
      word.slice(0, at) + word.slice(at + 1), // dropped letter
      word.slice(0, at) + word[at] + word.slice(at), // doubled letter
    ]);
  }
  return words.join(' ');
}

function wordSet(email: Email): Set<string> {
  return new Set(`${email.subject} ${email.body}`.toLowerCase().match(/[a-z]+/g) ?? []);
}

function jaccard(a: Set<string>, b: Set<string>): number {
  let shared = 0;
  for (const word of a) if (b.has(word)) shared++;
  return shared / (a.size + b.size - shared);
}

function generate(): Email[] {
  const kept: { email: Email; words: Set<string> }[] = [];
  const tryKeep = (email: Email): boolean => {
    const words = wordSet(email);
    if (kept.some((other) => jaccard(words, other.words) > MAX_SIMILARITY)) return false;
    kept.push({ email, words });
    return true;
  };
  for (const email of HANDWRITTEN) {
    if (!tryKeep({ ...email, source: 'handwritten' })) throw new Error(`hand-written email too close to another: ${email.subject}`);
  }
  for (const category of Object.keys(POOLS) as Category[]) {
    let count = kept.filter(({ email }) => email.category === category).length;
    for (let attempts = 0; count < PER_CATEGORY; attempts++) {
      if (attempts > 50 * PER_CATEGORY) throw new Error(`cannot compose enough distinct ${category} emails`);
      if (tryKeep(compose(category))) count++;
    }
  }
  // Interleave the categories so the file reads like an inbox, not six blocks.
  return kept.map(({ email }) => ({ email, order: random() })).sort((a, b) => a.order - b.order).map(({ email }) => email);
}

const emails = generate();
writeFileSync(OUTPUT, `${JSON.stringify(emails, null, 2)}\n`);
console.log(`wrote ${emails.length} emails to ${OUTPUT}`);
