import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from '@jest/globals';
import {
  asList,
  asMap,
  composeService,
  containerEnv,
  containerNamed,
  containersOf,
  findObject,
  imageBaseName,
  K8S_DIR,
  k8sFiles,
  parseQuantity,
  podSpec,
  readCompose,
  readYamlDocuments,
  renderKustomization,
  renderKustomizationWith,
  type YamlMap,
} from './support/deploy-files';
import {
  BLOB_STORE_SERVICES,
  DATA_VOLUME_SERVICES,
  ENV_SCHEMAS,
  knownVariables,
  parseServiceEnv,
  requiredVariables,
  SERVICES,
  type TargetName,
} from './support/service-env';

const execFileAsync = promisify(execFile);

/** The Secret every workload reads; its template is k8s/secret.example.yaml (not rendered). */
const SECRET_NAME = 'assay-secrets';
const SECRET_TEMPLATE = 'secret.example.yaml';
/** The optional component that keeps blobs on a shared volume instead of S3. */
const LOCAL_STORAGE = 'local-storage';

let objects: YamlMap[] = [];
/** The same deployment with the local-storage component. */
let localObjects: YamlMap[] = [];

beforeAll(async () => {
  [objects, localObjects] = await Promise.all([renderKustomization(), renderKustomizationWith([LOCAL_STORAGE])]);
});

const deployment = (service: string, from: readonly YamlMap[] = objects): YamlMap => findObject(from, 'Deployment', `assay-${service}`);
const metadata = (object: YamlMap): YamlMap => asMap(object.metadata, 'metadata');

/** The placeholder Secret, parsed from its template. */
function secretTemplate(): Record<string, string> {
  const [secret] = readYamlDocuments(path.join(K8S_DIR, SECRET_TEMPLATE)).map((document) => asMap(document, SECRET_TEMPLATE));
  if (!secret) throw new Error(`${SECRET_TEMPLATE} is empty`);
  expect(secret.kind).toBe('Secret');
  expect(metadata(secret)).toMatchObject({ name: SECRET_NAME, namespace: 'assay' });
  return asMap(secret.stringData, 'stringData') as Record<string, string>;
}

/**
 * The environment a container would start with, Secrets filled from the template. Optional
 * Secret keys are left out, as when the real Secret does not have them.
 */
function resolvedEnv(container: YamlMap, from: readonly YamlMap[] = objects): { names: string[]; values: Record<string, string> } {
  const env = containerEnv(container, from);
  const secret = secretTemplate();
  const values = { ...env.values };
  for (const [name, ref] of Object.entries(env.secrets)) {
    expect(ref.secret).toBe(SECRET_NAME);
    const value = secret[ref.key];
    if (!ref.optional) expect({ name, key: ref.key, inTemplate: value !== undefined }).toEqual({ name, key: ref.key, inTemplate: true });
    if (!ref.optional && value !== undefined) values[name] = value;
  }
  return { names: [...Object.keys(env.values), ...Object.keys(env.secrets)], values };
}

describe('k8s/', () => {
  it('is valid YAML, file by file, and every manifest but the Secret template is in the kustomization (or its component)', () => {
    const files = k8sFiles();
    expect(files).toContain('kustomization.yaml');
    for (const file of files) {
      const documents = readYamlDocuments(path.join(K8S_DIR, file));
      expect(documents.length).toBeGreaterThan(0);
      for (const document of documents) expect(typeof asMap(document, file).kind).toBe('string');
    }
    const [kustomization] = readYamlDocuments(path.join(K8S_DIR, 'kustomization.yaml'));
    const resources = asList(asMap(kustomization, 'kustomization').resources, 'resources').map(String);
    const manifests = files.filter((file) => !file.includes('/') && file !== 'kustomization.yaml' && file !== SECRET_TEMPLATE);
    expect([...resources].sort()).toEqual(manifests);
    expect(resources).not.toContain(SECRET_TEMPLATE);
    expect(resources).not.toContain(LOCAL_STORAGE);

    // The component's own files are all its resources or patches.
    const [component] = readYamlDocuments(path.join(K8S_DIR, LOCAL_STORAGE, 'kustomization.yaml')).map((document) => asMap(document, 'component'));
    expect(component?.kind).toBe('Component');
    const used = [
      ...asList(component?.resources, 'resources').map(String),
      ...asList(component?.patches, 'patches').map((patch) => String(asMap(patch, 'patch').path)),
    ];
    const componentFiles = files.filter((file) => file.startsWith(`${LOCAL_STORAGE}/`) && file !== `${LOCAL_STORAGE}/kustomization.yaml`);
    expect(used.map((file) => `${LOCAL_STORAGE}/${file}`).sort()).toEqual(componentFiles);
  });

  it('renders with kubectl kustomize into namespace assay only, without the placeholder Secret', () => {
    expect(objects.length).toBeGreaterThan(0);
    for (const object of objects) {
      if (object.kind === 'Namespace') {
        expect(metadata(object).name).toBe('assay');
      } else {
        expect({ kind: object.kind, name: metadata(object).name, namespace: metadata(object).namespace }).toEqual({
          kind: object.kind,
          name: metadata(object).name,
          namespace: 'assay',
        });
      }
    }
    expect(objects.some((object) => object.kind === 'Secret')).toBe(false);
  });

  it('renders objects that match the Kubernetes API schemas, with and without the local-storage component', async () => {
    // kubernetes-models is ESM-only, which jest's CommonJS runtime cannot load: a plain node checks.
    const script = `
      const kinds = {
        'v1/Namespace': ['v1/Namespace', 'Namespace'],
        'v1/ConfigMap': ['v1/ConfigMap', 'ConfigMap'],
        'v1/Service': ['v1/Service', 'Service'],
        'v1/PersistentVolumeClaim': ['v1/PersistentVolumeClaim', 'PersistentVolumeClaim'],
        'apps/v1/Deployment': ['apps/v1/Deployment', 'Deployment'],
        'batch/v1/Job': ['batch/v1/Job', 'Job'],
        'policy/v1/PodDisruptionBudget': ['policy/v1/PodDisruptionBudget', 'PodDisruptionBudget'],
      };
      (async () => {
        const objects = JSON.parse(require('fs').readFileSync(0, 'utf8'));
        const problems = [];
        for (const object of objects) {
          const model = kinds[object.apiVersion + '/' + object.kind];
          if (!model) { problems.push('no schema for ' + object.apiVersion + ' ' + object.kind); continue; }
          const Model = (await import('kubernetes-models/' + model[0]))[model[1]];
          try { new Model(object).validate(); } catch (error) { problems.push(object.kind + ' ' + object.metadata.name + ': ' + error.message); }
        }
        process.stdout.write(JSON.stringify(problems));
      })();
    `;
    const child = execFileAsync(process.execPath, ['-e', script], { cwd: path.dirname(K8S_DIR), timeout: 60_000 });
    child.child.stdin?.end(JSON.stringify([...objects, ...localObjects]));
    const { stdout } = await child;
    expect(JSON.parse(stdout)).toEqual([]);
  });

  it('deploys each service as a Deployment whose container is named after its Dockerfile target and image', () => {
    const compose = readCompose();
    for (const service of SERVICES) {
      const pod = podSpec(deployment(service));
      const container = containerNamed(pod, service);
      expect(imageBaseName(String(container.image))).toBe(`assay-${service}`);
      expect(imageBaseName(String(composeService(compose, service).image))).toBe(`assay-${service}`);
      // Every pod waits for the migration, with the migration's image.
      const init = containersOf(pod, 'initContainers');
      expect(init.map((candidate) => imageBaseName(String(candidate.image)))).toEqual(['assay-migrate']);
      expect(asList(init[0]?.command, 'command').join(' ')).toContain('migrate status');
    }
    const job = findObject(objects, 'Job', 'assay-migrate');
    const migrate = containerNamed(podSpec(job), 'migrate');
    expect(imageBaseName(String(migrate.image))).toBe('assay-migrate');
    expect(migrate.command).toBeUndefined(); // the image's CMD: prisma migrate deploy
  });

  it('gives every container each variable it requires, and only variables its env schema knows', () => {
    const checked: [TargetName, YamlMap][] = [
      ...SERVICES.map((service): [TargetName, YamlMap] => [service, containerNamed(podSpec(deployment(service)), service)]),
      ...SERVICES.map((service): [TargetName, YamlMap] => ['migrate', containersOf(podSpec(deployment(service)), 'initContainers')[0] ?? {}]),
      ['migrate', containerNamed(podSpec(findObject(objects, 'Job', 'assay-migrate')), 'migrate')],
    ];
    for (const [target, container] of checked) {
      const { names, values } = resolvedEnv(container);
      const known = knownVariables(target);
      for (const name of names) expect({ target, variable: name, known: known.includes(name) }).toEqual({ target, variable: name, known: true });
      for (const name of requiredVariables(target)) expect({ target, variable: name, provided: names.includes(name) }).toEqual({ target, variable: name, provided: true });
      // What the process itself would say about this environment (Secrets from the template).
      expect({ target, ...parseServiceEnv(target, values) }).toEqual({ target, success: true, problems: [] });
    }
  });

  it('takes DATABASE_URL and REDIS_URL from the Secret, the S3 keys only into the blob store services, ANTHROPIC_API_KEY only into the codegen worker', () => {
    for (const service of SERVICES) {
      const env = containerEnv(containerNamed(podSpec(deployment(service)), service), objects);
      expect(env.secrets.DATABASE_URL).toEqual({ secret: SECRET_NAME, key: 'DATABASE_URL', optional: false });
      expect(env.secrets.REDIS_URL).toEqual({ secret: SECRET_NAME, key: 'REDIS_URL', optional: false });
      if (service === 'codegen-worker') {
        expect(env.secrets.ANTHROPIC_API_KEY).toEqual({ secret: SECRET_NAME, key: 'ANTHROPIC_API_KEY', optional: true });
      } else {
        expect(env.secrets.ANTHROPIC_API_KEY).toBeUndefined();
      }
      for (const key of ['ASSAY_S3_ACCESS_KEY', 'ASSAY_S3_SECRET_KEY']) {
        expect({ service, key, ref: env.secrets[key] }).toEqual({
          service,
          key,
          ref: BLOB_STORE_SERVICES.includes(service) ? { secret: SECRET_NAME, key, optional: false } : undefined,
        });
      }
      expect(Object.keys(env.values).filter((name) => /URL|KEY$/.test(name) && name !== 'ASSAY_KEY_PREFIX')).toEqual([]);
    }
    expect(Object.keys(secretTemplate()).sort()).toEqual(['ANTHROPIC_API_KEY', 'ASSAY_S3_ACCESS_KEY', 'ASSAY_S3_SECRET_KEY', 'DATABASE_URL', 'REDIS_URL']);
  });

  it('probes the gateway on /readyz and /healthz, on the port it listens on, on every interface', () => {
    const pod = podSpec(deployment('gateway'));
    const gateway = containerNamed(pod, 'gateway');
    const env = containerEnv(gateway, objects).values;
    expect(env.HOST).toBe('0.0.0.0');
    const port = asList(gateway.ports, 'ports').map((entry) => asMap(entry, 'port')).find((entry) => entry.name === 'http');
    expect(String(port?.containerPort)).toBe(env.PORT);
    const probe = (name: string): YamlMap => asMap(asMap(gateway[name], name).httpGet, `${name}.httpGet`);
    expect(probe('readinessProbe')).toEqual({ path: '/readyz', port: 'http' });
    expect(probe('livenessProbe')).toEqual({ path: '/healthz', port: 'http' });

    const service = findObject(objects, 'Service', 'assay-gateway');
    const spec = asMap(service.spec, 'service spec');
    expect(asList(spec.ports, 'ports').map((entry) => asMap(entry, 'port').targetPort)).toEqual(['http']);
    const podLabels = asMap(asMap(asMap(deployment('gateway').spec, 'spec').template, 'template').metadata, 'metadata').labels;
    expect(podLabels).toMatchObject(asMap(spec.selector, 'selector'));
  });

  it('keeps a gateway up through voluntary disruptions', () => {
    const pdb = asMap(findObject(objects, 'PodDisruptionBudget', 'assay-gateway').spec, 'pdb spec');
    const gatewaySpec = asMap(deployment('gateway').spec, 'spec');
    const podLabels = asMap(asMap(asMap(gatewaySpec.template, 'template').metadata, 'metadata').labels, 'labels');
    expect(podLabels).toMatchObject(asMap(asMap(pdb.selector, 'selector').matchLabels, 'matchLabels'));
    expect(Number(pdb.minAvailable)).toBeGreaterThanOrEqual(1);
    expect(Number(gatewaySpec.replicas)).toBeGreaterThan(Number(pdb.minAvailable));
  });

  it('gives every pod longer than the services’ 25 s shutdown deadline', () => {
    for (const service of SERVICES) {
      expect({ service, seconds: Number(podSpec(deployment(service)).terminationGracePeriodSeconds) > 25 }).toEqual({ service, seconds: true });
    }
  });

  it('sets CPU and memory requests and limits on every container, limits above requests', () => {
    const workloads = objects.filter((object) => object.kind === 'Deployment' || object.kind === 'Job');
    for (const workload of workloads) {
      const pod = podSpec(workload);
      for (const container of [...containersOf(pod), ...containersOf(pod, 'initContainers')]) {
        const resources = asMap(container.resources, `resources of ${String(container.name)}`);
        for (const resource of ['cpu', 'memory']) {
          const request = parseQuantity(asMap(resources.requests, 'requests')[resource]);
          const limit = parseQuantity(asMap(resources.limits, 'limits')[resource]);
          expect({ container: container.name, resource, ok: request > 0 && limit >= request }).toEqual({ container: container.name, resource, ok: true });
        }
      }
    }
  });

  it('sizes the executor for its concurrency: the memory limit holds every running kernel at its cap', () => {
    const executor = containerNamed(podSpec(deployment('executor-worker')), 'executor-worker');
    const env = containerEnv(executor, objects).values;
    // The values as the executor reads them (sizes such as 2GiB become bytes).
    const settings = ENV_SCHEMAS['executor-worker'].parse({
      ...env,
      DATABASE_URL: 'postgresql://x@y/z',
      REDIS_URL: 'redis://y:6379',
      ASSAY_S3_ACCESS_KEY: 'key',
      ASSAY_S3_SECRET_KEY: 'secret',
    });
    const concurrency = Number(settings.ASSAY_EXECUTOR_CONCURRENCY);
    const kernelCap = Number(settings.ASSAY_SANDBOX_MEMORY_BYTES);
    const limit = parseQuantity(asMap(asMap(executor.resources, 'resources').limits, 'limits').memory);
    expect(concurrency).toBeGreaterThan(0);
    expect(limit).toBeGreaterThanOrEqual(concurrency * kernelCap);
  });

  it('lets bubblewrap work in the executor without making it privileged', () => {
    const pod = podSpec(deployment('executor-worker'));
    const executor = containerNamed(pod, 'executor-worker');
    const context = asMap(executor.securityContext, 'executor securityContext');
    expect(context.privileged).toBe(false);
    expect(context.allowPrivilegeEscalation).toBe(false);
    expect(context.runAsUser).toBe(0);
    expect(context.procMount).toBe('Unmasked');
    expect(asMap(context.seccompProfile, 'seccompProfile').type).toBe('Unconfined');
    expect(asMap(context.appArmorProfile, 'appArmorProfile').type).toBe('Unconfined');
    // The API server accepts an unmasked /proc only in a pod with its own user namespace.
    expect(pod.hostUsers).toBe(false);
    for (const hostNamespace of ['hostPID', 'hostIPC', 'hostNetwork']) expect(pod[hostNamespace]).toBeUndefined();
    const capabilities = asMap(context.capabilities, 'capabilities');
    expect(capabilities.drop).toEqual(['ALL']);
    const added = asList(capabilities.add, 'add').map(String);
    expect(added).not.toContain('SYS_ADMIN');
    expect(added).not.toContain('ALL');
    // The same capabilities as in docker-compose.yml.
    const compose = composeService(readCompose(), 'executor-worker');
    expect([...added].sort()).toEqual(asList(compose.cap_add, 'cap_add').map(String).sort());
    // The executor uses no service account token.
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it('runs every other container unprivileged: non-root, no capabilities, no privilege escalation', () => {
    const workloads = objects.filter((object) => object.kind === 'Deployment' || object.kind === 'Job');
    for (const workload of workloads) {
      const pod = podSpec(workload);
      const podContext = asMap(pod.securityContext ?? {}, 'pod securityContext');
      for (const container of [...containersOf(pod), ...containersOf(pod, 'initContainers')]) {
        if (container.name === 'executor-worker') continue;
        const context = { ...podContext, ...asMap(container.securityContext, `securityContext of ${String(container.name)}`) };
        expect({ container: container.name, runAsNonRoot: context.runAsNonRoot, user: context.runAsUser }).toEqual({
          container: container.name,
          runAsNonRoot: true,
          user: 1000,
        });
        expect(context.allowPrivilegeEscalation).toBe(false);
        expect(context.privileged).toBeUndefined();
        expect(asMap(context.capabilities, 'capabilities')).toEqual({ drop: ['ALL'] });
        expect(asMap(context.seccompProfile, 'seccompProfile').type).toBe('RuntimeDefault');
      }
    }
  });

  it('keeps blobs in S3: one storage ConfigMap for the gateway, the ingest worker and the executor, and no shared volume', () => {
    const storage = (service: string) =>
      asList(containerNamed(podSpec(deployment(service)), service).envFrom, 'envFrom')
        .map((entry) => String(asMap(asMap(entry, 'envFrom').configMapRef, 'configMapRef').name))
        .filter((name) => name.startsWith('assay-storage'));
    for (const service of SERVICES) {
      expect({ service, maps: storage(service).length }).toEqual({ service, maps: BLOB_STORE_SERVICES.includes(service) ? 1 : 0 });
    }
    const values = containerEnv(containerNamed(podSpec(deployment('gateway')), 'gateway'), objects).values;
    expect(values).toMatchObject({ ASSAY_STORAGE: 's3', ASSAY_S3_ENDPOINT: expect.stringMatching(/^https?:\/\/[^/]+$/) });
    // What the gateway would make of it: a bucket name S3 accepts, a part size it can use.
    expect(parseServiceEnv('gateway', resolvedEnv(containerNamed(podSpec(deployment('gateway')), 'gateway')).values)).toEqual({ success: true, problems: [] });

    expect(objects.filter((object) => object.kind === 'PersistentVolumeClaim')).toEqual([]);
    for (const service of SERVICES) {
      const volumes = asList(podSpec(deployment(service)).volumes, 'volumes').map((entry) => asMap(entry, 'volume'));
      expect({ service, claims: volumes.filter((volume) => volume.persistentVolumeClaim !== undefined) }).toEqual({ service, claims: [] });
    }
    // The executor's workspaces are pod-local; gateway and ingest worker have nothing at ASSAY_DATA_DIR.
    for (const service of SERVICES) {
      const pod = podSpec(deployment(service));
      const container = containerNamed(pod, service);
      const dataDir = containerEnv(container, objects).values.ASSAY_DATA_DIR;
      const mount = asList(container.volumeMounts, 'volumeMounts')
        .map((entry) => asMap(entry, 'volumeMount'))
        .find((entry) => entry.mountPath === dataDir);
      const volume = asList(pod.volumes, 'volumes')
        .map((entry) => asMap(entry, 'volume'))
        .find((entry) => entry.name === mount?.name);
      expect({ service, emptyDir: volume?.emptyDir !== undefined }).toEqual({ service, emptyDir: service === 'executor-worker' });
    }
  });

  it('with the local-storage component, mounts one ReadWriteMany volume at ASSAY_DATA_DIR in the gateway, the ingest worker and the executor', () => {
    const claim = findObject(localObjects, 'PersistentVolumeClaim', 'assay-data');
    expect(asMap(claim.spec, 'pvc spec').accessModes).toEqual(['ReadWriteMany']);
    expect(metadata(claim).namespace).toBe('assay');
    for (const service of DATA_VOLUME_SERVICES) {
      const pod = podSpec(deployment(service, localObjects));
      const container = containerNamed(pod, service);
      const dataDir = containerEnv(container, localObjects).values.ASSAY_DATA_DIR;
      const mount = asList(container.volumeMounts, 'volumeMounts')
        .map((entry) => asMap(entry, 'volumeMount'))
        .find((entry) => entry.mountPath === dataDir);
      expect({ service, dataDir, mounted: mount !== undefined }).toEqual({ service, dataDir, mounted: true });
      const volume = asList(pod.volumes, 'volumes')
        .map((entry) => asMap(entry, 'volume'))
        .find((entry) => entry.name === mount?.name);
      expect({ service, volume }).toEqual({ service, volume: { name: mount?.name, persistentVolumeClaim: { claimName: 'assay-data' } } });
      // The service reads ASSAY_STORAGE=local, needs no S3 key, and accepts its environment.
      const { names, values } = resolvedEnv(container, localObjects);
      expect(values.ASSAY_STORAGE).toBe('local');
      expect(names.filter((name) => name.startsWith('ASSAY_S3_') && name.endsWith('_KEY'))).toEqual([]);
      expect({ service, ...parseServiceEnv(service, values) }).toEqual({ service, success: true, problems: [] });
    }
    // The gateway writes blobs there: it must be able to write to the volume.
    const gatewayMount = asList(containerNamed(podSpec(deployment('gateway', localObjects)), 'gateway').volumeMounts, 'volumeMounts')
      .map((entry) => asMap(entry, 'volumeMount'))
      .find((entry) => entry.name === 'data');
    expect(gatewayMount?.readOnly).toBeUndefined();
    expect(asMap(podSpec(deployment('gateway', localObjects)).securityContext, 'securityContext').fsGroup).toBe(1000);
    // Nothing else changes: the same objects, plus the claim.
    expect(localObjects.map((object) => `${String(object.kind)}/${String(metadata(object).name).replace(/-[a-z0-9]{10}$/, '')}`).sort()).toEqual(
      [...objects.map((object) => `${String(object.kind)}/${String(metadata(object).name).replace(/-[a-z0-9]{10}$/, '')}`), 'PersistentVolumeClaim/assay-data'].sort(),
    );
  });
});
