// Word lists and a seeded PRNG for the demo seed: the same seed and reference date always give
// the same contacts, dates, chats and work orders. Phone numbers are from ranges reserved for
// fiction (NANP 555-0100…0199, Ofcom 07700 900xxx) and email domains are reserved example
// domains, so a demo company can never message a real person even with live providers.

/** mulberry32: tiny, fast, good enough for demo data, and identical on every platform. */
export function createRandom(seed: number) {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    /** Integer in [min, max]. */
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    chance: (p: number) => next() < p,
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
  };
}

export type Random = ReturnType<typeof createRandom>;

export const FIRST_NAMES = [
  'Anna',
  'Ben',
  'Carla',
  'David',
  'Elena',
  'Felix',
  'Greta',
  'Hannah',
  'Ivan',
  'Julia',
  'Karim',
  'Lena',
  'Marco',
  'Nina',
  'Oliver',
  'Paula',
  'Quentin',
  'Rosa',
  'Samuel',
  'Tara',
  'Umar',
  'Vera',
  'William',
  'Xenia',
  'Yusuf',
  'Zoe',
  'Amelia',
  'Noah',
  'Sofia',
  'Liam',
  'Emma',
  'Lucas',
  'Mia',
  'Mateo',
  'Chloe',
  'Leon',
  'Aisha',
  'Hiro',
  'Mei',
  'Priya',
  'Arjun',
  'Fatima',
  'Jonas',
  'Ingrid',
  'Sven',
  'Maja',
  'Tomás',
  'Lucía',
  'Giulia',
  'Pierre',
  'Camille',
  'Olga',
  'Dmitri',
  'Kofi',
  'Amara',
  'Sean',
  'Siobhan',
  'Grace',
  'Henry',
  'Isla',
  'Jack',
  'Ruby',
  'Theo',
  'Freya',
  'Oscar',
  'Ella',
  'Hugo',
  'Alice',
  'Elif',
  'Can',
] as const;

export const LAST_NAMES = [
  'Schmidt',
  'Müller',
  'Weber',
  'Fischer',
  'Becker',
  'Hoffmann',
  'Smith',
  'Johnson',
  'Brown',
  'Taylor',
  'Wilson',
  'Davies',
  'Evans',
  'Thomas',
  'Roberts',
  'García',
  'Martínez',
  'López',
  'Rossi',
  'Russo',
  'Ferrari',
  'Dubois',
  'Laurent',
  'Moreau',
  'Kowalski',
  'Nowak',
  'Novák',
  'Jensen',
  'Nielsen',
  'Andersson',
  'Johansson',
  'Virtanen',
  'Ivanova',
  'Petrov',
  'Yilmaz',
  'Kaya',
  'Nakamura',
  'Tanaka',
  'Chen',
  'Wang',
  'Kim',
  'Park',
  'Nguyen',
  'Patel',
  'Singh',
  'Khan',
  'Okafor',
  'Mensah',
  "O'Brien",
  'Murphy',
  'Walsh',
  'Silva',
  'Santos',
  'Costa',
  'de Vries',
  'Janssen',
  'Peeters',
  'Horvat',
  'Popescu',
  'Papadopoulos',
] as const;

const ORG_FIRST = [
  'Northwind',
  'Bluebird',
  'Silverline',
  'Greenfield',
  'Harbor',
  'Summit',
  'Riverside',
  'Oakwood',
  'Brightside',
  'Ironclad',
  'Lakeside',
  'Redwood',
  'Skyline',
  'Sunrise',
  'Stonebridge',
  'Westgate',
  'Evergreen',
  'Pinecrest',
  'Crescent',
  'Copperleaf',
  'Meadow',
  'Falcon',
  'Atlas',
  'Beacon',
  'Cobalt',
  'Granite',
  'Juniper',
  'Kestrel',
  'Maple',
  'Orchard',
] as const;
const ORG_SECOND = [
  'Traders',
  'Logistics',
  'Dental',
  'Bakery',
  'Motors',
  'Fitness',
  'Architects',
  'Consulting',
  'Print',
  'Farms',
  'Hotels',
  'Clinic',
  'Legal',
  'Media',
  'Plumbing',
  'Electric',
  'Coffee',
  'Studios',
  'Optics',
  'Garden Centre',
  'Property',
  'Software',
] as const;
const ORG_SUFFIX = ['GmbH', 'Ltd', 'LLC', 'Inc.', 'AG', 'SARL', 'B.V.', 'Co.', '& Partners', ''] as const;

export const WORK_ORDER_TITLES = [
  'Annual maintenance',
  'Boiler service',
  'Replace water heater',
  'Window repair',
  'Laptop screen replacement',
  'Air conditioning check',
  'Roof inspection',
  'Install smart thermostat',
  'Car service (30,000 km)',
  'Brake pads',
  'Winter tyres',
  'Dental check-up',
  'Eye test',
  'Garden clean-up',
  'Fence repair',
  'Network setup',
  'Printer repair',
  'Kitchen tap leak',
  'Paint living room',
  'Chimney sweep',
  'Electrical safety check',
  'Deep cleaning',
  'Bike tune-up',
] as const;

export const INBOUND_TEXTS = [
  'Hi! Is my order ready?',
  'Thanks, see you next week.',
  'Can we move the appointment to Friday?',
  'Great, thank you!',
  'What time do you open tomorrow?',
  'Could you send me the invoice?',
  'Perfect 👍',
  'Is there parking near you?',
  'I will be 10 minutes late, sorry.',
  'Do you have availability on Saturday?',
  'Hello, quick question about the quote.',
] as const;

const AREA_CODES = [
  '212',
  '305',
  '312',
  '415',
  '503',
  '617',
  '702',
  '713',
  '206',
  '303',
  '404',
  '512',
  '602',
  '615',
  '704',
  '801',
  '858',
  '919',
  '971',
  '978',
  '201',
  '210',
  '214',
  '215',
  '216',
  '239',
  '248',
  '267',
  '281',
  '301',
  '310',
  '314',
  '317',
  '347',
  '360',
  '385',
  '407',
  '408',
  '410',
  '412',
] as const;

export function personName(rnd: Random): { first: string; last: string } {
  return { first: rnd.pick(FIRST_NAMES), last: rnd.pick(LAST_NAMES) };
}

export function organizationName(rnd: Random): string {
  const suffix = rnd.pick(ORG_SUFFIX);
  return `${rnd.pick(ORG_FIRST)} ${rnd.pick(ORG_SECOND)}${suffix ? ` ${suffix}` : ''}`;
}

/** A fictional E.164 number not in `taken` (it is added). */
export function fictionalPhone(rnd: Random, taken: Set<string>): string {
  for (;;) {
    const phone = rnd.chance(0.8)
      ? `+1${rnd.pick(AREA_CODES)}55501${String(rnd.int(0, 99)).padStart(2, '0')}`
      : `+447700900${String(rnd.int(0, 999)).padStart(3, '0')}`;
    if (!taken.has(phone)) {
      taken.add(phone);
      return phone;
    }
  }
}

/** Lower-case ASCII for email local parts and domains ("Müller" → "muller", "O'Brien" → "obrien"). */
export function slug(text: string, separator = ''): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/&/g, 'and')
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
    .join(separator);
}

export function personEmail(rnd: Random, first: string, last: string): string {
  const local = rnd.pick([
    `${slug(first)}.${slug(last)}`,
    `${slug(first)}${slug(last)}`,
    `${slug(first)[0]}.${slug(last)}`,
    `${slug(first)}${rnd.int(1, 99)}`,
  ]);
  return `${local}@${rnd.pick(['example.com', 'example.org', 'example.net'])}`;
}

export function organizationEmail(rnd: Random, name: string): string {
  return `${rnd.pick(['info', 'office', 'hello', 'accounts'])}@${slug(name, '-')}.example`;
}
