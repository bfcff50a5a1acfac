import { ApplicationFailure } from '@temporalio/workflow';
import type { z } from 'zod';
import { InvalidInputError } from '../shared/errors';
import { describeZodIssues } from '../shared/schemas';

/**
 * A failure that ends a run at once (never retried) because what it was given is wrong; `issues`,
 * when given, travel as its details (one string per problem) for a client to list.
 */
export function invalidInput(message: string, issues?: string[]): ApplicationFailure {
  return ApplicationFailure.create({
    type: InvalidInputError.name,
    nonRetryable: true,
    message,
    ...(issues ? { details: [issues] } : {}),
  });
}

/**
 * A workflow's input checked against its schema (defaults applied). Anything else fails the run at
 * once with every problem named: `Invalid <what> input: <issue>; <issue>`.
 */
export function parseWorkflowInput<S extends z.ZodType>(schema: S, raw: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const issues = describeZodIssues(parsed.error);
  throw invalidInput(`Invalid ${what} input: ${issues.join('; ')}`, issues);
}
