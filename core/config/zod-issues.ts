import type { z } from 'zod';
import { BadInputError } from '../domain/errors.ts';

type Issue = z.core.$ZodIssue;

function fieldPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((part) => (typeof part === 'number' ? `[${part}]` : String(part))).join('.').replaceAll('.[', '[');
}

function allowedFor(issue: Issue): string | undefined {
  switch (issue.code) {
    case 'invalid_value':
      return issue.values.map((value) => JSON.stringify(value)).join(', ');
    case 'unrecognized_keys':
      return undefined;
    case 'invalid_type':
      return issue.expected;
    default:
      return undefined;
  }
}

function describe(issue: Issue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field ${issue.keys.map((key) => `"${key}"`).join(', ')}`;
  if (issue.code === 'invalid_value') return `${JSON.stringify(issue.input)} is not allowed`;
  return issue.message;
}

/** Turns the first zod issue into a BadInputError naming the file, the field and what is allowed. */
export function badInputFromZod(file: string, error: z.ZodError, allowedFields?: (path: readonly PropertyKey[]) => string | undefined): BadInputError {
  const issue = error.issues[0];
  if (issue === undefined) return new BadInputError('invalid content', file);
  const path = issue.code === 'unrecognized_keys' ? issue.path : issue.path;
  const allowed = allowedFor(issue) ?? allowedFields?.(path);
  const more = error.issues.length > 1 ? ` (+${error.issues.length - 1} more problem${error.issues.length > 2 ? 's' : ''})` : '';
  return new BadInputError(`${describe(issue)}${more}`, `${file}: ${fieldPath(path)}`, allowed);
}
