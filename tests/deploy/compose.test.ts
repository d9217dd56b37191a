import { describe, expect, it } from '@jest/globals';
import {
  asList,
  asMap,
  composeEnvironment,
  composeService,
  interpolateUnset,
  readCompose,
  type YamlMap,
} from './support/deploy-files';
import { BLOB_STORE_SERVICES, knownVariables, parseServiceEnv, requiredVariables, SERVICES, TARGETS } from './support/service-env';

const compose = readCompose();

/** Parses a compose duration such as `30s`, `1m30s` or `500ms` into seconds. */
function durationSeconds(value: unknown): number {
  const text = String(value);
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 1e-6 };
  let seconds = 0;
  let rest = text;
  for (const part of text.matchAll(/(\d+(?:\.\d+)?)(h|ms|us|m|s)/g)) {
    seconds += Number(part[1]) * (units[part[2] ?? ''] ?? Number.NaN);
    rest = rest.replace(part[0], '');
  }
  if (rest !== '' || text === '') throw new Error(`Not a duration: ${text}`);
  return seconds;
}

/** `volumes:` entries of a service as { source, target } (short and long syntax). */
function volumeMounts(service: YamlMap): { source: string; target: string }[] {
  return asList(service.volumes, 'volumes').map((entry) => {
    if (typeof entry === 'string') {
      const [source = '', target = ''] = entry.split(':');
      return { source, target };
    }
    const mount = asMap(entry, 'volume');
    return { source: String(mount.source), target: String(mount.target) };
  });
}

/** A compose service's environment as the container gets it when the host sets no variables. */
function interpolatedEnvironment(service: YamlMap): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(composeEnvironment(service))) {
    if (value !== null) env[key] = interpolateUnset(value);
  }
  return env;
}

/** The environment a container of the service gets when the host sets no variables. */
function environmentWithDefaults(name: string): Record<string, string> {
  return interpolatedEnvironment(composeService(compose, name));
}

describe('docker-compose.yml', () => {
  it('has PostgreSQL 15 and Redis 7 with healthchecks and named volumes', () => {
    const volumes = asMap(compose.volumes, 'volumes');
    for (const [name, image] of [
      ['postgres', 'postgres:15'],
      ['redis', 'redis:7'],
    ] as const) {
      const service = composeService(compose, name);
      expect(service.image).toBe(image);
      expect(asList(asMap(service.healthcheck, `${name} healthcheck`).test, 'test').length).toBeGreaterThan(0);
      const mounts = volumeMounts(service);
      expect(mounts.length).toBeGreaterThan(0);
      for (const mount of mounts) expect(Object.keys(volumes)).toContain(mount.source);
    }
    // BullMQ refuses to run on a Redis that may evict its keys.
    expect(asList(composeService(compose, 'redis').command, 'command').join(' ')).toContain('--maxmemory-policy noeviction');
  });

  it('migrates once, after PostgreSQL is healthy, before any service starts', () => {
    const migrate = composeService(compose, 'migrate');
    expect(asMap(asMap(migrate.depends_on, 'depends_on').postgres, 'postgres')).toEqual({ condition: 'service_healthy' });
    expect(migrate.restart).toBe('no');
    for (const name of SERVICES) {
      const dependsOn = asMap(composeService(compose, name).depends_on, `${name} depends_on`);
      expect({ name, migrate: dependsOn.migrate }).toEqual({ name, migrate: { condition: 'service_completed_successfully' } });
      expect({ name, redis: dependsOn.redis }).toEqual({ name, redis: { condition: 'service_healthy' } });
    }
  });

  it("gives every service (and the migration) each variable it requires, and only variables its env schema knows", () => {
    for (const target of TARGETS) {
      const declared = composeEnvironment(composeService(compose, target));
      const known = knownVariables(target);
      for (const name of Object.keys(declared)) expect({ target, variable: name, known: known.includes(name) }).toEqual({ target, variable: name, known: true });
      for (const name of requiredVariables(target)) {
        expect({ target, variable: name, value: typeof declared[name] }).toEqual({ target, variable: name, value: 'string' });
      }
    }
  });

  it('passes configurations the services accept: their own env schemas parse them', () => {
    for (const target of TARGETS) {
      expect({ target, ...parseServiceEnv(target, environmentWithDefaults(target)) }).toEqual({ target, success: true, problems: [] });
    }
    // Every service talks to the same database and Redis, under the same key prefix.
    const urls = new Set(TARGETS.map((target) => environmentWithDefaults(target).DATABASE_URL));
    expect(urls.size).toBe(1);
    const prefixes = new Set(SERVICES.map((service) => environmentWithDefaults(service).ASSAY_KEY_PREFIX));
    expect(prefixes.size).toBe(1);
  });

  it('passes ANTHROPIC_API_KEY through from the host only when the host sets it', () => {
    // A name without a value: unset in the container when unset on the host (an empty value
    // would be rejected by the codegen worker's schema).
    expect(composeEnvironment(composeService(compose, 'codegen-worker')).ANTHROPIC_API_KEY).toBeNull();
    for (const service of SERVICES.filter((name) => name !== 'codegen-worker')) {
      expect(Object.keys(composeEnvironment(composeService(compose, service)))).not.toContain('ANTHROPIC_API_KEY');
    }
  });

  it('publishes the gateway on port 8080, listening on every interface of its container', () => {
    const env = environmentWithDefaults('gateway');
    expect(env.HOST).toBe('0.0.0.0');
    const ports = asList(composeService(compose, 'gateway').ports, 'ports').map((port) => interpolateUnset(String(port)));
    expect(ports).toContain(`8080:${env.PORT ?? '8080'}`);
  });

  it('runs MinIO from a pinned release, with a healthcheck and a named volume', () => {
    const minio = composeService(compose, 'minio');
    // A release tag, never a moving one such as latest.
    expect(String(minio.image)).toMatch(/^minio\/minio:RELEASE\.\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z$/);
    expect(asList(asMap(minio.healthcheck, 'minio healthcheck').test, 'test')).toEqual(['CMD', 'mc', 'ready', 'local']);
    const declaredVolumes = Object.keys(asMap(compose.volumes, 'volumes'));
    const dataDir = asList(minio.command, 'command').map(String)[1];
    const mount = volumeMounts(minio).find((candidate) => candidate.target === dataDir);
    expect(declaredVolumes).toContain(mount?.source);
    // MinIO refuses to start with a root password under 8 characters.
    expect(interpolatedEnvironment(minio).MINIO_ROOT_PASSWORD?.length).toBeGreaterThanOrEqual(8);
  });

  it('points the gateway, the ingest worker and the executor at MinIO with its credentials, after it is healthy', () => {
    const minio = interpolatedEnvironment(composeService(compose, 'minio'));
    const settings = BLOB_STORE_SERVICES.map((service) => {
      const env = environmentWithDefaults(service);
      const dependsOn = asMap(composeService(compose, service).depends_on, `${service} depends_on`);
      expect({ service, minio: dependsOn.minio }).toEqual({ service, minio: { condition: 'service_healthy' } });
      return {
        storage: env.ASSAY_STORAGE,
        endpoint: env.ASSAY_S3_ENDPOINT,
        accessKey: env.ASSAY_S3_ACCESS_KEY,
        secretKey: env.ASSAY_S3_SECRET_KEY,
        bucket: env.ASSAY_S3_BUCKET,
      };
    });
    // One store for all three, and it is the minio service's S3 port with its root user.
    expect(new Set(settings.map((setting) => JSON.stringify(setting))).size).toBe(1);
    expect(settings[0]).toEqual({
      storage: 's3',
      endpoint: 'http://minio:9000',
      accessKey: minio.MINIO_ROOT_USER,
      secretKey: minio.MINIO_ROOT_PASSWORD,
      bucket: expect.stringMatching(/^[a-z0-9][a-z0-9.-]+$/),
    });
    // The codegen worker never reads blobs: it gets no storage settings and does not wait for MinIO.
    const codegen = composeService(compose, 'codegen-worker');
    expect(Object.keys(composeEnvironment(codegen)).filter((name) => name.startsWith('ASSAY_S3') || name === 'ASSAY_STORAGE')).toEqual([]);
    expect(asMap(codegen.depends_on, 'depends_on').minio).toBeUndefined();
  });

  it('shares no volume between services: blobs are in MinIO, only the executor keeps its workspaces in ASSAY_DATA_DIR', () => {
    const owners = new Map<string, string[]>();
    for (const name of Object.keys(asMap(compose.services, 'services'))) {
      for (const mount of volumeMounts(composeService(compose, name))) owners.set(mount.source, [...(owners.get(mount.source) ?? []), name]);
    }
    for (const [volume, services] of owners) expect({ volume, services: services.length }).toEqual({ volume, services: 1 });

    const executorDataDir = environmentWithDefaults('executor-worker').ASSAY_DATA_DIR;
    expect(volumeMounts(composeService(compose, 'executor-worker')).map((mount) => mount.target)).toContain(executorDataDir);
    for (const service of ['gateway', 'ingest-worker'] as const) {
      const dataDir = environmentWithDefaults(service).ASSAY_DATA_DIR;
      expect({ service, mounts: volumeMounts(composeService(compose, service)).filter((mount) => mount.target === dataDir) }).toEqual({
        service,
        mounts: [],
      });
    }
    // The ingest worker's temporary copies of uploads go to a volume, not to memory (tmpfs).
    expect(volumeMounts(composeService(compose, 'ingest-worker')).map((mount) => mount.target)).toContain('/tmp');
    expect(composeService(compose, 'ingest-worker').tmpfs).toBeUndefined();
  });

  it('lets bubblewrap work in the executor without making it privileged', () => {
    const executor = composeService(compose, 'executor-worker');
    expect(executor.privileged === undefined || executor.privileged === false).toBe(true);
    expect(executor.user === undefined || /^(root|0)(:(root|0))?$/.test(String(executor.user))).toBe(true);
    const securityOpt = asList(executor.security_opt, 'security_opt').map((option) => String(option).replace(':', '='));
    for (const option of ['seccomp=unconfined', 'apparmor=unconfined', 'systempaths=unconfined']) expect(securityOpt).toContain(option);
    expect(asList(executor.cap_drop, 'cap_drop')).toEqual(['ALL']);
    const capAdd = asList(executor.cap_add, 'cap_add').map(String);
    expect(capAdd).not.toContain('SYS_ADMIN');
    expect(capAdd).not.toContain('ALL');
    expect(executor.init).toBe(true);
    // No other service relaxes its confinement.
    for (const name of [...TARGETS, 'postgres', 'redis', 'minio'].filter((service) => service !== 'executor-worker')) {
      const service = composeService(compose, name);
      expect({ name, privileged: service.privileged, securityOpt: service.security_opt, capAdd: service.cap_add }).toEqual({
        name,
        privileged: undefined,
        securityOpt: undefined,
        capAdd: undefined,
      });
    }
  });

  it('gives the services longer than their 25 s shutdown deadline to stop', () => {
    for (const service of SERVICES) {
      expect({ service, enough: durationSeconds(composeService(compose, service).stop_grace_period) > 25 }).toEqual({ service, enough: true });
    }
  });
});
