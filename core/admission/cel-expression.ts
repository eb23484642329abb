import { celEnv, isCelError, parse, plan, type CelInput } from '@bufbuild/cel';
import { BadInputError } from '../domain/errors.ts';

type Expr = ReturnType<typeof parse>['expr'];

/**
 * The variables a ValidatingAdmissionPolicy expression may read that the evaluator binds. Not modelled (refused at apply):
 * `authorizer`, `variables` (spec.variables); `oldObject` is bound to null (only pod CREATE is evaluated).
 * https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/#validation-expression
 */
export const MODELLED_VARIABLES = ['object', 'oldObject', 'request', 'params', 'namespaceObject'] as const;

/** Functions of the CEL standard library evaluated as the API server would; anything else is refused. */
const MODELLED_FUNCTIONS = new Set(['startsWith', 'endsWith', 'contains', 'size', 'matches', 'int', 'string']);

/** Operators and the helpers the `all`/`exists`/`has` macros expand to (`_&&_`, `@in`, `@not_strictly_false`, `!_`…). */
function isOperator(name: string): boolean {
  return name.startsWith('_') || name.startsWith('@') || name === '!_';
}

function unmodelled(expr: Expr, locals: ReadonlySet<string>, found: Set<string>): void {
  const kind = expr.exprKind;
  switch (kind.case) {
    case 'identExpr':
      if (!locals.has(kind.value.name) && !(MODELLED_VARIABLES as readonly string[]).includes(kind.value.name)) {
        found.add(`variable ${kind.value.name}`);
      }
      return;
    case 'selectExpr':
      if (kind.value.operand !== undefined) unmodelled(kind.value.operand, locals, found);
      return;
    case 'callExpr':
      if (!isOperator(kind.value.function) && !MODELLED_FUNCTIONS.has(kind.value.function)) found.add(`function ${kind.value.function}`);
      if (kind.value.target !== undefined) unmodelled(kind.value.target, locals, found);
      for (const arg of kind.value.args) unmodelled(arg, locals, found);
      return;
    case 'listExpr':
      for (const element of kind.value.elements) unmodelled(element, locals, found);
      return;
    case 'comprehensionExpr': {
      const inner = new Set([...locals, kind.value.iterVar, kind.value.accuVar, ...(kind.value.iterVar2 === '' ? [] : [kind.value.iterVar2])]);
      for (const part of [kind.value.iterRange, kind.value.accuInit, kind.value.loopCondition, kind.value.loopStep, kind.value.result]) {
        if (part !== undefined) unmodelled(part, inner, found);
      }
      return;
    }
    case 'constExpr':
      return;
    default:
      found.add(`expression kind ${kind.case ?? 'empty'}`);
  }
}

export type CelOutcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: string };

export interface CompiledCel {
  readonly source: string;
  evaluate(bindings: Readonly<Record<string, CelInput>>): CelOutcome;
}

/** Parse and plan once, at apply time; a syntax error or an unmodelled feature is bad input naming the expression. */
export function compileCel(source: string, where: string): CompiledCel {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(source);
  } catch (error) {
    throw new BadInputError(`CEL expression does not parse: ${(error as Error).message}`, where, 'a CEL expression');
  }
  const found = new Set<string>();
  unmodelled(parsed.expr, new Set(), found);
  if (found.size > 0) {
    throw new BadInputError(
      `the admission evaluator does not model ${[...found].join(', ')} in CEL expression "${source}"`,
      where,
      `variables ${MODELLED_VARIABLES.join(', ')}; functions ${[...MODELLED_FUNCTIONS].join(', ')}; operators and macros`,
    );
  }
  const run = plan(celEnv(), parsed);
  return {
    source,
    evaluate(bindings) {
      const result = run(bindings as Record<string, CelInput>);
      return isCelError(result) ? { ok: false, error: result.message } : { ok: true, value: result };
    },
  };
}

/**
 * JSON → CEL input: objects become maps, whole numbers CEL ints (Kubernetes integer fields are `int` in CEL).
 * A fractional number is refused: no pod field admission reads is a float.
 */
export function celValue(value: unknown, where: string): CelInput {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new BadInputError(`fractional number ${value} is not modelled`, where, 'integers');
    return BigInt(value);
  }
  if (Array.isArray(value)) return value.map((item) => celValue(item, where));
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, item]) => item !== undefined);
    return new Map(entries.map(([key, item]) => [key, celValue(item, `${where}.${key}`)]));
  }
  throw new BadInputError(`value of type ${typeof value} is not modelled`, where, 'JSON values');
}
