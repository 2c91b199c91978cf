/** The kinds of object the unified index holds. */
export const SEARCH_TYPES = ['email', 'card', 'company', 'record', 'activity'] as const;
export type SearchType = (typeof SEARCH_TYPES)[number];

/** One indexed object: its type and its row id. */
export interface SearchRef {
  type: SearchType;
  id: string;
}

const REF = /^(email|card|company|record|activity):([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** `<type>:<id>`: the deterministic vector id in Chroma, so a retry or a re-run overwrites instead of duplicating. */
export function refKey({ type, id }: SearchRef): string {
  return `${type}:${id}`;
}

/** Parses `refKey`'s output; anything else is null. */
export function parseRefKey(key: string): SearchRef | null {
  const match = REF.exec(key);
  return match ? { type: match[1] as SearchType, id: match[2]! } : null;
}
