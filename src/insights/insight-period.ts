const DAY_MS = 24 * 60 * 60 * 1000;

/** A half-open time range [start, end). */
export interface Period {
  start: Date;
  end: Date;
}

/** The `days` long period ending at `end`. */
export function periodEndingAt(end: Date, days: number): Period {
  return { start: new Date(end.getTime() - days * DAY_MS), end };
}

/** The period of the same length right before `period`, which its trend compares with. */
export function previousPeriod({ start, end }: Period): Period {
  return { start: new Date(start.getTime() - (end.getTime() - start.getTime())), end: start };
}

/**
 * Midnight UTC of the day of `at`: the default end of a period. Whole days make a scheduled run and a manual
 * run of the same day cover the same period, so they update one row instead of writing two.
 */
export function startOfUtcDay(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
}
