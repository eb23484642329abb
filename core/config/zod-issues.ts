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
  // zod reports the input only when asked to (`reportInput`); never print "undefined" for a value that was there.
  if (issue.code === 'invalid_value') return `${'input' in issue && issue.input !== undefined ? JSON.stringify(issue.input) : 'this value'} is not allowed`;
  return issue.message;
}

function problem(issue: Issue, allowedFields?: (path: readonly PropertyKey[]) => string | undefined): { readonly field: string; readonly text: string; readonly allowed: string | undefined } {
  return { field: fieldPath(issue.path), text: describe(issue), allowed: allowedFor(issue) ?? allowedFields?.(issue.path) };
}

/**
 * Turns zod issues into one BadInputError naming the file, the field and what is allowed. The first issue gives
 * the error's `where`; every further issue is listed too ("also <field>: …"), never summarised as a count.
 */
export function badInputFromZod(file: string, error: z.ZodError, allowedFields?: (path: readonly PropertyKey[]) => string | undefined): BadInputError {
  const [first, ...rest] = error.issues.map((issue) => problem(issue, allowedFields));
  if (first === undefined) return new BadInputError('invalid content', file);
  const others = rest.map((item) => `; also ${item.field}: ${item.text}${item.allowed === undefined ? '' : ` (allowed: ${item.allowed})`}`).join('');
  if (others === '') return new BadInputError(first.text, `${file}: ${first.field}`, first.allowed);
  return new BadInputError(`${first.text}${first.allowed === undefined ? '' : ` (allowed: ${first.allowed})`}${others}`, `${file}: ${first.field}`);
}
