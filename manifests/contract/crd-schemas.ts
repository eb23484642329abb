import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import ajvFormats from 'ajv-formats';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../core/domain/cluster.ts';
import { BadInputError, InfrastructureError } from '../../core/domain/errors.ts';

export type ValidationResult = { readonly ok: true } | { readonly ok: false; readonly errors: string[] };

export interface CrdValidator {
  /** `<apiVersion>|<kind>` of every served CRD version with a schema, sorted. */
  readonly known: readonly string[];
  knows(apiVersion: string, kind: string): boolean;
  validate(object: KubeObject): ValidationResult;
}

export interface JsonSchemaValidator {
  validate(value: unknown): ValidationResult;
}

// The OpenAPI formats Kubernetes CRDs use that ajv-formats does not define.
function isCidr(value: string): boolean {
  const [address, prefix, ...rest] = value.split('/');
  if (address === undefined || prefix === undefined || rest.length > 0 || !/^\d{1,3}$/.test(prefix)) return false;
  const family = isIP(address);
  return family !== 0 && Number(prefix) <= (family === 4 ? 32 : 128);
}

/** RE2 flags JavaScript has under the same letter (`U`, ungreedy, has no JavaScript equivalent). */
const RE2_FLAGS = new Set(['i', 'm', 's']);

/**
 * CRD patterns are Go (RE2) syntax; JavaScript's unicode mode wants braces around one-letter Unicode classes
 * (`\PC` → `\P{C}`). RE2's inline flags (`(?i)`, Calico's FelixConfiguration has `^(?i)(Disabled|Strict|Loose)?$`)
 * become JavaScript flags when they lead the pattern (after an optional `^`), where they cover all of it; anywhere
 * else they would cover only part of it, which JavaScript cannot say, so such a pattern is refused, never guessed.
 * The rest of what CRDs use is common to both.
 */
export function goRegExp(pattern: string, flags: string): RegExp {
  let translated = pattern.replace(/(^|[^\\])\\([pP])([A-Z])/g, '$1\\$2{$3}');
  const extra = new Set<string>();
  const leading = /^(\^?)\(\?([a-zA-Z]+)\)/.exec(translated);
  if (leading !== null) {
    for (const flag of leading[2] ?? '') {
      if (!RE2_FLAGS.has(flag)) throw new SyntaxError(`RE2 flag "${flag}" in ${pattern} has no JavaScript equivalent`);
      extra.add(flag);
    }
    translated = `${leading[1] ?? ''}${translated.slice(leading[0].length)}`;
  }
  if (/(^|[^\\])\(\?[a-zA-Z]+(:|\))/.test(translated)) throw new SyntaxError(`RE2 inline flags inside ${pattern} cannot be expressed in JavaScript`);
  const all = new Set([...flags, ...extra, 'u']);
  return new RegExp(translated, [...all].join(''));
}
goRegExp.code = 'goRegExp';

/**
 * One ajv for Kubernetes schemas: the `x-kubernetes-*` extensions are registered as keywords (annotations,
 * except int-or-string, which is checked), formats from ajv-formats plus `cidr`, `idn-hostname` and
 * `int-or-string`. CEL rules (`x-kubernetes-validations`) are not evaluated: the API server does that.
 */
export function createKubernetesAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, code: { regExp: goRegExp } });
  ajvFormats.default(ajv);
  ajv.addFormat('cidr', isCidr);
  // IDN host names are checked by the API server; here only their length.
  ajv.addFormat('idn-hostname', (value: string) => value.length > 0 && value.length <= 253);
  ajv.addFormat('int-or-string', true);
  for (const keyword of ['x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-map-type', 'x-kubernetes-validations', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-embedded-resource']) {
    ajv.addKeyword({ keyword });
  }
  ajv.addKeyword({
    keyword: 'x-kubernetes-int-or-string',
    schemaType: 'boolean',
    errors: false,
    validate: (enabled: boolean, data: unknown) => !enabled || typeof data === 'string' || Number.isInteger(data),
  });
  return ajv;
}

type Schema = Record<string, unknown>;

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A structural schema as the API server applies it with strict field validation (kubectl's default): unknown
 * fields are errors, except under `x-kubernetes-preserve-unknown-fields`. Only structural nodes get
 * `additionalProperties: false`; value validations (anyOf, oneOf, allOf, not) are left as written.
 */
function strictStructural(schema: Schema): Schema {
  const out: Schema = { ...schema };
  if (isSchema(schema.properties)) {
    out.properties = Object.fromEntries(
      Object.entries(schema.properties).map(([key, child]) => [key, isSchema(child) ? strictStructural(child) : child]),
    );
  }
  if (isSchema(schema.items)) out.items = strictStructural(schema.items);
  if (isSchema(schema.additionalProperties)) out.additionalProperties = strictStructural(schema.additionalProperties);
  if (
    isSchema(schema.properties) &&
    schema.additionalProperties === undefined &&
    schema['x-kubernetes-preserve-unknown-fields'] !== true
  ) {
    out.additionalProperties = false;
  }
  return out;
}

/** The API server always accepts these at the root, whether the CRD's schema lists them or not (Istio's do not). */
function withObjectRoot(schema: Schema): Schema {
  const properties = isSchema(schema.properties) ? schema.properties : {};
  return {
    ...schema,
    properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, ...properties },
  };
}

interface CrdVersion {
  readonly kind: string;
  readonly namespaced: boolean;
  readonly schema: Schema;
  readonly file: string;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return yamlFiles(path);
      return /\.ya?ml$/.test(entry.name) ? [path] : [];
    })
    .sort();
}

function readCrds(schemasDir: string): Map<string, CrdVersion> {
  const versions = new Map<string, CrdVersion>();
  for (const file of yamlFiles(schemasDir)) {
    let documents: unknown[];
    try {
      documents = parseAllDocuments(readFileSync(file, 'utf8')).flatMap((doc) => ('toJS' in doc ? [doc.toJS({ maxAliasCount: -1 })] : []));
    } catch (error) {
      throw new InfrastructureError('crd-schemas', `cannot read ${file}: ${(error as Error).message}`, { cause: error });
    }
    for (const document of documents) {
      if (!isSchema(document) || document.kind !== 'CustomResourceDefinition' || !isSchema(document.spec)) continue;
      const { group, names, scope, versions: served } = document.spec;
      if (typeof group !== 'string' || !isSchema(names) || typeof names.kind !== 'string' || !Array.isArray(served)) continue;
      for (const version of served) {
        if (!isSchema(version) || version.served !== true || typeof version.name !== 'string') continue;
        const schema = isSchema(version.schema) ? version.schema.openAPIV3Schema : undefined;
        if (!isSchema(schema)) continue;
        versions.set(`${group}/${version.name}|${names.kind}`, { kind: names.kind, namespaced: scope === 'Namespaced', schema, file });
      }
    }
  }
  return versions;
}

function formatErrors(errors: readonly ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((error) => {
    const detail =
      error.keyword === 'additionalProperties'
        ? ` (${String(error.params.additionalProperty)})`
        : error.keyword === 'enum'
          ? ` (${JSON.stringify(error.params.allowedValues)})`
          : '';
    return `${error.instancePath === '' ? '/' : error.instancePath} ${error.message ?? error.keyword}${detail}`;
  });
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/**
 * Validators for every CRD under `schemasDir` (the vendored upstream schemas: UPSTREAM_SCHEMAS_DIR): for an
 * object's apiVersion and kind, the served version's `openAPIV3Schema` (compiled on first use), plus what the
 * schema leaves to the API server that we can check offline: scope (namespace set iff namespaced) and the name's
 * syntax. A missing folder is bad input, never a reason to skip a contract check.
 */
export function loadCrdValidator(schemasDir: string): CrdValidator {
  if (!existsSync(schemasDir) || !statSync(schemasDir).isDirectory()) {
    throw new BadInputError(`CRD schema folder not found: ${schemasDir}`, 'loadCrdValidator', 'a folder of CRD YAML files (test/fixtures/upstream/schemas)');
  }
  const versions = readCrds(schemasDir);
  const ajv = createKubernetesAjv();
  const compiled = new Map<string, ValidateFunction>();
  const known = [...versions.keys()].sort();

  function compile(key: string, crd: CrdVersion): ValidateFunction {
    const cached = compiled.get(key);
    if (cached !== undefined) return cached;
    try {
      const validate = ajv.compile(strictStructural(withObjectRoot(crd.schema)));
      compiled.set(key, validate);
      return validate;
    } catch (error) {
      throw new InfrastructureError('crd-schemas', `cannot compile the schema of ${key} from ${crd.file}: ${(error as Error).message}`, { cause: error });
    }
  }

  return {
    known,
    knows: (apiVersion, kind) => versions.has(`${apiVersion}|${kind}`),
    validate(object) {
      const key = `${object.apiVersion}|${object.kind}`;
      const crd = versions.get(key);
      if (crd === undefined) return { ok: false, errors: [`no CRD schema for ${key} under ${schemasDir}`] };
      const errors: string[] = [];
      const { name, namespace } = object.metadata;
      if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) errors.push(`/metadata/name "${name}" is not a DNS subdomain`);
      if (crd.namespaced && namespace === undefined) errors.push(`/metadata/namespace is required: ${crd.kind} is namespaced`);
      if (!crd.namespaced && namespace !== undefined) errors.push(`/metadata/namespace must be absent: ${crd.kind} is cluster-scoped`);
      const validate = compile(key, crd);
      if (!validate(object)) errors.push(...formatErrors(validate.errors));
      return errors.length === 0 ? { ok: true } : { ok: false, errors };
    },
  };
}

/**
 * A JSON Schema file (e.g. a Helm chart's values.schema.json under test/fixtures/upstream/schemas/helm/) as a validator.
 * `$schema` is dropped: charts name meta-schemas loosely (`http://json-schema.org/schema#`), and the keywords they
 * use are draft-07's, which ajv speaks.
 */
export function loadJsonSchemaValidator(file: string): JsonSchemaValidator {
  let schema: unknown;
  try {
    schema = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new InfrastructureError('json-schema', `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  if (!isSchema(schema)) throw new InfrastructureError('json-schema', `${file} is not a JSON object`);
  const { $schema: _ignored, ...rest } = schema;
  const validate = createKubernetesAjv().compile(rest);
  return {
    validate(value) {
      return validate(value) ? { ok: true } : { ok: false, errors: formatErrors(validate.errors) };
    },
  };
}
