/**
 * Result timestamps: ISO-8601 text checked as a real calendar date and time (no `2025-02-30`, no year 0000, which
 * PostgreSQL cannot store) and normalised to UTC with `Z` (`2027-01-01T09:10:00+09:00` → `2027-01-01T00:10:00Z`).
 * The normal form is what the pk and the `timestamp` field carry, so one instant has one spelling and a pk never holds
 * a space. Fractional seconds keep the digits given (up to 9); a time without a zone is UTC, a date alone is midnight UTC.
 */
const FORM = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|z|[+-]\d{2}:?\d{2})?)?$/;
/** The earliest and latest instants accepted (years 0001–9999 in UTC, what PostgreSQL and ISO-8601 share). */
const MIN_MS = new Date('0001-01-01T00:00:00Z').getTime();
const MAX_MS = new Date('9999-12-31T23:59:59.999Z').getTime();
const isLeap = (y) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const daysIn = (year, month) => (month === 2 && isLeap(year) ? 29 : DAYS[month - 1]);
/** Why `s` is not an acceptable timestamp, or its normal form and instant. */
export function parseTimestamp(s) {
    const m = FORM.exec(s);
    if (!m)
        return { error: 'must be an ISO-8601 timestamp, e.g. 2025-08-13T10:00:00Z' };
    const [, y, mo, d, h = '00', mi = '00', sec = '00', frac, zone] = m;
    const year = Number(y);
    const month = Number(mo);
    const day = Number(d);
    if (year < 1)
        return { error: 'year must be between 0001 and 9999' };
    if (month < 1 || month > 12)
        return { error: `month ${mo} does not exist` };
    if (day < 1 || day > daysIn(year, month))
        return { error: `${y}-${mo}-${d} is not a calendar date` };
    if (Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59)
        return { error: `${h}:${mi}:${sec} is not a time of day` };
    let offsetMin = 0;
    if (zone && zone !== 'Z' && zone !== 'z') {
        const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
        const oh = Number(z[2]);
        const om = Number(z[3]);
        if (oh > 14 || om > 59 || (oh === 14 && om > 0))
            return { error: `offset ${zone} is not a UTC offset (−14:00 to +14:00)` };
        offsetMin = (z[1] === '-' ? -1 : 1) * (oh * 60 + om);
    }
    const base = new Date(0);
    base.setUTCFullYear(year, month - 1, day);
    base.setUTCHours(Number(h), Number(mi), Number(sec), 0);
    const wholeMs = base.getTime() - offsetMin * 60_000;
    const ms = wholeMs + (frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0);
    if (ms < MIN_MS || ms > MAX_MS)
        return { error: 'must fall between 0001-01-01 and 9999-12-31 in UTC' };
    const whole = new Date(wholeMs).toISOString().slice(0, 19); // YYYY-MM-DDTHH:MM:SS
    return { normal: `${whole}${frac ? `.${frac}` : ''}Z`, instant: new Date(ms) };
}
/** Whether `s` is an acceptable timestamp. */
export function isTimestamp(s) {
    return !('error' in parseTimestamp(s));
}
/** The instant of an acceptable timestamp (throws RangeError otherwise). */
export function toInstant(s) {
    const p = parseTimestamp(s);
    if ('error' in p)
        throw new RangeError(`timestamp ${p.error}`);
    return p.instant;
}
/** The normal form of an acceptable timestamp (throws RangeError otherwise). */
export function normalizeTimestamp(s) {
    const p = parseTimestamp(s);
    if ('error' in p)
        throw new RangeError(`timestamp ${p.error}`);
    return p.normal;
}
//# sourceMappingURL=timestamp.js.map