/** zod pieces the inputs of every workflow and command share: names, codes, tiers, issues. */
import { z } from 'zod';
import { CAMPAIGN_CODE_PATTERN } from './campaign';

/** Longest campaign code a sync takes, so group names `<CAMPAIGN>_<TIER>` stay within MailerLite's 255. */
export const MAX_CAMPAIGN_LENGTH = 64;
export const MAX_TIER_LENGTH = 100;
export const MAX_TIERS = 20;
/** Control, format (bidi overrides, zero-width) and lone surrogate characters: never part of a name. */
const HIDDEN_CHARACTERS = /[\p{Cc}\p{Cf}\p{Cs}]/u;

/** A tier name or a trigger label: trimmed, not empty, bounded, printable. */
export function labelSchema(what: string, max: number, required?: string) {
  return z
    .string(required ? { error: required } : undefined)
    .trim()
    .min(1)
    .max(max, `${what} must be at most ${max} characters`)
    .refine((v) => !HIDDEN_CHARACTERS.test(v), `${what} must not contain control or invisible characters`);
}

/** A campaign code (`name` is the field): `YEAR_ARTIST_ALBUM`, at most 64 characters. */
export function campaignCodeSchema(name = 'campaign') {
  return z
    .string({ error: `${name} is required: a campaign code such as 2024_ETB_NBL` })
    .regex(
      CAMPAIGN_CODE_PATTERN,
      `${name} must be a code like 2024_ETB_NBL: a 4-digit year, then upper-case parts joined by _`,
    )
    .max(MAX_CAMPAIGN_LENGTH, `${name} must be at most ${MAX_CAMPAIGN_LENGTH} characters`);
}

/** A campaign's tiers: 1 to 20 names, each printable and at most 100 characters. */
export function tiersSchema() {
  return z
    .array(labelSchema('a tier name', MAX_TIER_LENGTH))
    .min(1)
    .max(MAX_TIERS, `tiers must list at most ${MAX_TIERS} tiers`);
}

/** `path: message` for each problem zod found, so an error names the field to fix. */
export function describeZodIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : '(input)';
    return `${path}: ${issue.message}`;
  });
}
