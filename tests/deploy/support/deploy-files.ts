import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { type Dockerfile, parseDockerfile } from './dockerfile';

const execFileAsync = promisify(execFile);

export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const K8S_DIR = path.join(REPO_ROOT, 'k8s');

/** A parsed YAML mapping (what compose and Kubernetes files are made of). */
export type YamlMap = Record<string, unknown>;

/**
 * Every document of a YAML file, as plain values. Fails on any syntax error or warning;
 * `<<` merge keys are resolved (compose uses them).
 */
export function readYamlDocuments(file: string): unknown[] {
  const text = fs.readFileSync(file, 'utf8');
  const documents = YAML.parseAllDocuments(text, { merge: true, prettyErrors: true });
  if (!Array.isArray(documents)) throw new Error(`${file}: not a YAML stream`);
  return documents.map((document, index) => {
    const problems = [...document.errors, ...document.warnings];
    if (problems.length > 0) {
      throw new Error(`${file}, document ${index + 1}: ${problems.map((problem) => problem.message).join('; ')}`);
    }
    return document.toJS({ maxAliasCount: 100 }) as unknown;
  });
}

/** Narrows a value to a mapping, naming `what` when it is not one. */
export function asMap(value: unknown, what: string): YamlMap {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${what} is not a mapping`);
  return value as YamlMap;
}

/** Narrows a value to a list (an absent value is an empty list). */
export function asList(value: unknown, what: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new Error(`${what} is not a list`);
  return value;
}

/** The Dockerfile at the repository root. */
export function readDockerfile(): Dockerfile {
  return parseDockerfile(fs.readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8'));
}

/** docker-compose.yml, merge keys resolved. */
export function readCompose(): YamlMap {
  const [compose] = readYamlDocuments(path.join(REPO_ROOT, 'docker-compose.yml'));
  return asMap(compose, 'docker-compose.yml');
}

/** The `services.<name>` entry of docker-compose.yml. */
export function composeService(compose: YamlMap, name: string): YamlMap {
  return asMap(asMap(compose.services, 'services')[name], `compose service ${name}`);
}

/**
 * A compose service's environment: map or list form. A name without a value (passed through
 * from the host when set there) is `null`.
 */
export function composeEnvironment(service: YamlMap): Record<string, string | null> {
  const environment = service.environment;
  const result: Record<string, string | null> = {};
  if (Array.isArray(environment)) {
    for (const entry of environment) {
      const [name, ...rest] = String(entry).split('=');
      result[name ?? ''] = rest.length === 0 ? null : rest.join('=');
    }
    return result;
  }
  for (const [name, value] of Object.entries(asMap(environment ?? {}, 'environment'))) {
    result[name] = value === null || value === undefined ? null : String(value);
  }
  return result;
}

/**
 * Compose's variable interpolation when the host sets nothing: `${NAME:-default}` and
 * `${NAME-default}` give the default, `${NAME}` the empty string.
 */
export function interpolateUnset(value: string): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g, (_match, _name: string, fallback: string | undefined) => fallback ?? '');
}

/** The YAML files under k8s/ (relative names). */
export function k8sFiles(): string[] {
  return fs
    .readdirSync(K8S_DIR, { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.ya?ml$/.test(file))
    .sort();
}

/** `kubectl kustomize k8s`: the objects `kubectl apply -k k8s` would send, as parsed YAML. */
export async function renderKustomization(): Promise<YamlMap[]> {
  return kustomize(K8S_DIR);
}

/**
 * The objects of an overlay that uses k8s/ with the given components of k8s/ (such as
 * `local-storage`), as an operator's own overlay would. Kustomize takes only relative paths to
 * other kustomizations, so the overlay is written inside the repository, under .assay/test/.
 */
export async function renderKustomizationWith(components: readonly string[]): Promise<YamlMap[]> {
  const parent = path.join(REPO_ROOT, '.assay', 'test');
  fs.mkdirSync(parent, { recursive: true });
  const overlay = fs.mkdtempSync(path.join(parent, 'overlay-'));
  try {
    const relative = (target: string) => path.relative(overlay, target);
    fs.writeFileSync(
      path.join(overlay, 'kustomization.yaml'),
      YAML.stringify({
        resources: [relative(K8S_DIR)],
        components: components.map((component) => relative(path.join(K8S_DIR, component))),
      }),
    );
    return await kustomize(overlay);
  } finally {
    fs.rmSync(overlay, { recursive: true, force: true });
  }
}

async function kustomize(dir: string): Promise<YamlMap[]> {
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync('kubectl', ['kustomize', dir], { maxBuffer: 16 * 1024 * 1024, timeout: 60_000 }));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error('kubectl is not installed: it renders k8s/ (`kubectl kustomize`, no cluster needed)');
    throw error;
  }
  return YAML.parseAllDocuments(stdout).map((document, index) => asMap(document.toJS(), `rendered object ${index + 1}`));
}

/** The rendered object of `kind` named `name`; throws when there is none. */
export function findObject(objects: readonly YamlMap[], kind: string, name: string): YamlMap {
  const found = objects.find((object) => object.kind === kind && asMap(object.metadata, 'metadata').name === name);
  if (!found) throw new Error(`No ${kind} named ${name} in the rendered manifests`);
  return found;
}

/** `spec.template.spec` of a Deployment or Job. */
export function podSpec(workload: YamlMap): YamlMap {
  return asMap(asMap(asMap(asMap(workload.spec, 'spec').template, 'template').spec, 'template spec'), 'pod spec');
}

/** The containers (and init containers) of a pod spec. */
export function containersOf(pod: YamlMap, which: 'containers' | 'initContainers' = 'containers'): YamlMap[] {
  return asList(pod[which], which).map((container, index) => asMap(container, `${which}[${index}]`));
}

/** The container named `name` of a pod spec. */
export function containerNamed(pod: YamlMap, name: string): YamlMap {
  const found = containersOf(pod).find((container) => container.name === name);
  if (!found) throw new Error(`No container named ${name}`);
  return found;
}

/** A reference of an env variable to a key of a Secret. */
export interface SecretRef {
  secret: string;
  key: string;
  optional: boolean;
}

/** What a container's environment is made of, resolved against the rendered ConfigMaps. */
export interface ContainerEnv {
  /** Plain values and values from ConfigMaps (envFrom and configMapKeyRef). */
  values: Record<string, string>;
  /** Variables taken from Secrets. */
  secrets: Record<string, SecretRef>;
}

/** Resolves a rendered container's `envFrom` and `env` (ConfigMaps and Secrets only). */
export function containerEnv(container: YamlMap, objects: readonly YamlMap[]): ContainerEnv {
  const values: Record<string, string> = {};
  const secrets: Record<string, SecretRef> = {};
  const configMapData = (name: string): Record<string, string> => {
    const data = findObject(objects, 'ConfigMap', name).data;
    return asMap(data ?? {}, `ConfigMap ${name} data`) as Record<string, string>;
  };
  for (const source of asList(container.envFrom, 'envFrom').map((entry) => asMap(entry, 'envFrom entry'))) {
    if (source.configMapRef !== undefined) {
      Object.assign(values, configMapData(String(asMap(source.configMapRef, 'configMapRef').name)));
    } else {
      throw new Error(`envFrom of ${String(container.name)} uses something other than a ConfigMap: ${JSON.stringify(source)}`);
    }
  }
  for (const entry of asList(container.env, 'env').map((item) => asMap(item, 'env entry'))) {
    const name = String(entry.name);
    if (entry.value !== undefined) {
      values[name] = String(entry.value);
      continue;
    }
    const from = asMap(entry.valueFrom, `valueFrom of ${name}`);
    if (from.secretKeyRef !== undefined) {
      const ref = asMap(from.secretKeyRef, 'secretKeyRef');
      secrets[name] = { secret: String(ref.name), key: String(ref.key), optional: ref.optional === true };
    } else if (from.configMapKeyRef !== undefined) {
      const ref = asMap(from.configMapKeyRef, 'configMapKeyRef');
      const value = configMapData(String(ref.name))[String(ref.key)];
      if (value === undefined) throw new Error(`ConfigMap ${String(ref.name)} has no key ${String(ref.key)}`);
      values[name] = value;
    } else {
      throw new Error(`env ${name} of ${String(container.name)} comes from neither a value, a ConfigMap nor a Secret`);
    }
  }
  return { values, secrets };
}

/** The name an image reference ends in: `registry/x/assay-gateway:1.0` -> `assay-gateway`. */
export function imageBaseName(image: string): string {
  const withoutDigest = image.split('@')[0] ?? image;
  const last = withoutDigest.split('/').at(-1) ?? withoutDigest;
  return last.split(':')[0] ?? last;
}

/** Parses a Kubernetes quantity (`500m`, `1`, `256Mi`, `2Gi`, `1G`) into a number of units. */
export function parseQuantity(quantity: unknown): number {
  const text = String(quantity);
  const match = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(text);
  if (!match) throw new Error(`Not a quantity: ${text}`);
  const factors: Record<string, number> = {
    '': 1,
    m: 0.001,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    Ti: 1024 ** 4,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
  };
  return Number(match[1]) * (factors[match[2] ?? ''] ?? Number.NaN);
}
