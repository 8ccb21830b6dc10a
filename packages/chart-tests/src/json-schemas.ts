/**
 * Local JSON Schemas for kubeconform (it must never download them): custom resources from the CRDs' openAPIV3Schema,
 * built-in kinds from a real kube-apiserver's /openapi/v2. Written at test time into a temporary folder, laid out
 * as `<group>/<kind>_<version>.json`, strict (no unknown fields) like the `-strict` schemas kubeconform expects.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

/** kubeconform's -schema-location template for the layout written here. */
export const schemaLocation = (dir: string) => `${dir}/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json`;

type Schema = Record<string, any>;

const intOrString = { oneOf: [{ type: 'string' }, { type: 'integer' }] };
const quantity = { oneOf: [{ type: 'string' }, { type: 'number' }] };

/** Kubernetes OpenAPI → JSON Schema: int-or-string and nullable, and additionalProperties: false where fields are known. */
function toJsonSchema(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(toJsonSchema);
  if (!s || typeof s !== 'object') return s;
  const src = s as Schema;
  if (src['x-kubernetes-int-or-string'] === true || src.format === 'int-or-string') {
    const { type: _t, format: _f, 'x-kubernetes-int-or-string': _x, ...rest } = src;
    return { ...convertChildren(rest), ...intOrString };
  }
  const out = convertChildren(src);
  if (out.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  delete out.nullable;
  if (out.properties && out.additionalProperties === undefined && src['x-kubernetes-preserve-unknown-fields'] !== true) out.additionalProperties = false;
  return out;
}

function convertChildren(src: Schema): Schema {
  const out: Schema = {};
  for (const [k, v] of Object.entries(src)) {
    if (k === 'properties' || k === 'definitions' || k === 'patternProperties') {
      out[k] = Object.fromEntries(Object.entries(v as Schema).map(([name, sub]) => [name, toJsonSchema(sub)]));
    } else if (k === 'x-kubernetes-validations' || k === 'x-kubernetes-group-version-kind') {
      continue; // CEL rules are checked by the real API server, not kubeconform
    } else {
      out[k] = toJsonSchema(v);
    }
  }
  return out;
}

function write(dir: string, group: string, kind: string, version: string, schema: unknown): string {
  // kubeconform's {{.Group}} is the part of apiVersion before the slash: the version itself for the core group ("v1").
  const file = path.join(dir, group || version, `${kind.toLowerCase()}_${version}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(schema));
  return file;
}

/** One schema per served version of every CRD in the given YAML files. Returns the kinds written (`group/version/Kind`). */
export function writeCrdSchemas(crdFiles: string[], dir: string): string[] {
  const written: string[] = [];
  for (const file of crdFiles) {
    for (const doc of parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
      const crd = doc.toJS() as Schema | null;
      if (!crd || crd.kind !== 'CustomResourceDefinition') continue;
      for (const v of crd.spec.versions as Schema[]) {
        if (!v.served || !v.schema?.openAPIV3Schema) continue;
        write(dir, crd.spec.group, crd.spec.names.kind, v.name, toJsonSchema(v.schema.openAPIV3Schema));
        written.push(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`);
      }
    }
  }
  return written;
}

function refsOf(s: unknown, into: Set<string>): void {
  if (Array.isArray(s)) s.forEach((x) => refsOf(x, into));
  else if (s && typeof s === 'object') {
    for (const [k, v] of Object.entries(s as Schema)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/definitions/')) into.add(v.slice('#/definitions/'.length));
      else refsOf(v, into);
    }
  }
}

/** One self-contained schema per built-in kind of an /openapi/v2 document (only the definitions it reaches). */
export function writeBuiltInSchemas(openapiV2: Schema, dir: string): string[] {
  const defs = openapiV2.definitions as Record<string, Schema>;
  const written: string[] = [];
  for (const [name, def] of Object.entries(defs)) {
    const gvks = (def['x-kubernetes-group-version-kind'] ?? []) as { group: string; version: string; kind: string }[];
    // The server's own list types and meta kinds are listed under many groups; real objects carry exactly one GVK.
    if (gvks.length !== 1) continue;
    const gvk = gvks[0]!;
    const reach = new Set<string>([name]);
    const queue = [name];
    while (queue.length > 0) {
      const refs = new Set<string>();
      refsOf(defs[queue.pop()!], refs);
      for (const r of refs) {
        if (reach.has(r)) continue;
        reach.add(r);
        queue.push(r);
      }
    }
    const definitions: Schema = {};
    for (const r of reach) {
      definitions[r] = r === 'io.k8s.apimachinery.pkg.api.resource.Quantity' ? quantity : toJsonSchema(defs[r]);
    }
    write(dir, gvk.group, gvk.kind, gvk.version, { definitions, $ref: `#/definitions/${name}` });
    written.push(`${gvk.group}/${gvk.version}/${gvk.kind}`);
  }
  return written;
}
