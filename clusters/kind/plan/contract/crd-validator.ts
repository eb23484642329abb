import { readFile } from 'node:fs/promises';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../../../core/domain/cluster.ts';

/**
 * A minimal CRD validator for the kind plan's contract tests (the manifests engineer's
 * `manifests/contract/crd-schemas.ts` did not exist yet). It checks an object's `spec` against the served
 * version's openAPIV3Schema, closing every object schema that lists properties and does not preserve unknown
 * fields: the API server would silently prune an unknown field, which hides a typo, so here it is an error.
 */
interface CrdVersion {
  readonly name: string;
  readonly served?: boolean;
  readonly schema?: { readonly openAPIV3Schema?: Record<string, unknown> };
}

interface CrdDocument {
  readonly kind?: string;
  readonly spec?: { readonly group?: string; readonly names?: { readonly kind?: string }; readonly versions?: readonly CrdVersion[] };
}

function closeObjects(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closeObjects);
  if (schema === null || typeof schema !== 'object') return schema;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) copy[key] = closeObjects(value);
  const preserves = copy['x-kubernetes-preserve-unknown-fields'] === true;
  if (copy['properties'] !== undefined && copy['additionalProperties'] === undefined && !preserves) copy['additionalProperties'] = false;
  // Kubernetes extensions are not JSON Schema keywords; int-or-string needs its own meaning.
  if (copy['x-kubernetes-int-or-string'] === true) {
    delete copy['type'];
    copy['anyOf'] = [{ type: 'integer' }, { type: 'string' }];
  }
  for (const key of Object.keys(copy)) if (key.startsWith('x-kubernetes-')) delete copy[key];
  return copy;
}

export interface CrdValidator {
  /** Problems with the object (empty when valid); unknown group/version/kind is itself a problem. */
  validate(object: KubeObject): string[];
  readonly kinds: readonly string[];
}

function describeErrors(errors: readonly ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((error) =>
    error.keyword === 'additionalProperties'
      ? `${error.instancePath || '/'}: unknown field "${String(error.params['additionalProperty'])}"`
      : `${error.instancePath || '/'}: ${error.message ?? error.keyword}`,
  );
}

// ajv-formats is CommonJS; its default export arrives wrapped under NodeNext.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** Kubernetes' OpenAPI number formats carry no constraint beyond the type. */
const KUBERNETES_FORMATS = ['int32', 'int64', 'double', 'float', 'byte', 'int-or-string'] as const;

export function kubernetesAjv(): Ajv {
  const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
  for (const format of KUBERNETES_FORMATS) ajv.addFormat(format, true);
  return ajv;
}

export async function loadCrdValidator(files: readonly string[]): Promise<CrdValidator> {
  const ajv = kubernetesAjv();
  const validators = new Map<string, ValidateFunction>();
  for (const file of files) {
    for (const document of parseAllDocuments(await readFile(file, 'utf8'))) {
      const crd = document.toJSON() as CrdDocument | null;
      if (crd?.kind !== 'CustomResourceDefinition') continue;
      for (const version of crd.spec?.versions ?? []) {
        const schema = version.schema?.openAPIV3Schema;
        if (version.served === false || schema === undefined) continue;
        validators.set(`${crd.spec?.group}/${version.name}/${crd.spec?.names?.kind}`, ajv.compile(closeObjects(schema) as object));
      }
    }
  }
  return {
    kinds: [...validators.keys()],
    validate(object: KubeObject): string[] {
      const validator = validators.get(`${object.apiVersion}/${object.kind}`);
      if (validator === undefined) return [`no CRD schema for ${object.apiVersion} ${object.kind}`];
      // metadata is the API server's, not the CRD's: check everything else.
      const { metadata: _metadata, ...rest } = object;
      return validator({ ...rest, metadata: {} }) ? [] : describeErrors(validator.errors);
    },
  };
}
