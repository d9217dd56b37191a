import fs from 'node:fs';
import path from 'node:path';
import { PYTHON_ANALYSIS_MODULES } from '@assay/devstack';
import { describe, expect, it } from '@jest/globals';
import { composeService, imageBaseName, readCompose, readDockerfile, REPO_ROOT } from './support/deploy-files';
import { effectiveEnv, effectiveInstruction, execForm, stageChain, stageNamed } from './support/dockerfile';
import { SERVICES, TARGETS } from './support/service-env';

const dockerfile = readDockerfile();
const stageNames = dockerfile.stages.map((stage) => stage.name);

describe('Dockerfile', () => {
  it('has a target for each service and the migration, built FROM stages of this file on Node 20 / Debian 12', () => {
    for (const target of TARGETS) expect(stageNames).toContain(target);
    expect(new Set(stageNames).size).toBe(stageNames.length);

    // Every chain ends at the one external base image: Node 20 on bookworm (Debian 12, whose
    // Python packages the sandbox was measured with).
    const externalBases = new Set(TARGETS.map((target) => stageChain(dockerfile, target).at(-1)?.from));
    expect([...externalBases]).toEqual(['${NODE_IMAGE}']);
    expect(dockerfile.globalArgs.get('NODE_IMAGE')).toMatch(/^node:20(\.\d+)*-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
  });

  it('starts each service with node services/<name>/dist/main.js under tini', () => {
    for (const service of SERVICES) {
      const entrypoint = effectiveInstruction(dockerfile, service, 'ENTRYPOINT');
      const cmd = effectiveInstruction(dockerfile, service, 'CMD');
      expect(entrypoint && execForm(entrypoint.args)).toEqual(['/usr/bin/tini', '-s', '--']);
      expect(cmd && execForm(cmd.args)).toEqual(['node', `services/${service}/dist/main.js`]);
      // The file the CMD runs is what the service's package.json says it builds.
      const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'services', service, 'package.json'), 'utf8')) as { main: string };
      expect(`services/${service}/${manifest.main}`).toBe(`services/${service}/dist/main.js`);
    }
  });

  it('installs tini in the base every target starts from', () => {
    const base = stageNamed(dockerfile, 'base');
    expect(base.instructions.some((instruction) => instruction.keyword === 'RUN' && /apt-get install[^&]*\btini\b/.test(instruction.args))).toBe(true);
    for (const target of TARGETS) expect(stageChain(dockerfile, target).map((stage) => stage.name)).toContain('base');
  });

  it('runs every target as uid 1000 except the executor, which must be root to drop to nobody per kernel', () => {
    for (const target of TARGETS.filter((name) => name !== 'executor-worker')) {
      const user = effectiveInstruction(dockerfile, target, 'USER');
      expect({ target, user: user?.args }).toEqual({ target, user: '1000:1000' });
    }
    const executorUser = effectiveInstruction(dockerfile, 'executor-worker', 'USER')?.args;
    expect(executorUser === undefined || /^(root|0)(:(root|0))?$/.test(executorUser)).toBe(true);
  });

  it('gives the gateway a HEALTHCHECK on /healthz and makes it listen on every interface', () => {
    const healthcheck = effectiveInstruction(dockerfile, 'gateway', 'HEALTHCHECK');
    expect(healthcheck).toBeDefined();
    const command = execForm(healthcheck?.args ?? '').join(' ');
    expect(command).toContain('/healthz');
    expect(command).toContain('process.env.PORT');
    const env = effectiveEnv(dockerfile, 'gateway');
    expect(env.get('HOST')).toBe('0.0.0.0');
    expect(env.get('PORT')).toBe('8080');
    expect(stageNamed(dockerfile, 'gateway').instructions.some((i) => i.keyword === 'EXPOSE' && i.args.trim() === '8080')).toBe(true);
  });

  it('copies the package.json of every npm workspace before installing dependencies', () => {
    const rootManifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
    const workspaces = rootManifest.workspaces.flatMap((pattern) => {
      const parent = pattern.replace(/\/\*$/, '');
      return fs
        .readdirSync(path.join(REPO_ROOT, parent))
        .map((entry) => `${parent}/${entry}`)
        .filter((dir) => fs.existsSync(path.join(REPO_ROOT, dir, 'package.json')));
    });
    expect(workspaces.length).toBeGreaterThanOrEqual(SERVICES.length);

    const copied = stageNamed(dockerfile, 'manifests')
      .instructions.filter((instruction) => instruction.keyword === 'COPY')
      .map((instruction) => instruction.args.trim());
    for (const dir of workspaces) expect(copied).toContain(`${dir}/package.json ${dir}/`);
    expect(copied).toContain('package.json package-lock.json .npmrc ./');
  });

  it('builds with npm ci (devDependencies included) and ships production dependencies only', () => {
    const runs = (stage: string): string => stageNamed(dockerfile, stage).instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args).join('\n');
    expect(runs('deps')).toMatch(/npm-ci-locked\s*$/m);
    expect(runs('build')).toContain('npm run build');
    expect(runs('prod-deps')).toMatch(/npm-ci-locked --omit=dev/);
    // The runtime images take node_modules from prod-deps, never from deps.
    for (const target of TARGETS) {
      const copies = stageChain(dockerfile, target)
        .flatMap((stage) => stage.instructions)
        .filter((instruction) => instruction.keyword === 'COPY' && instruction.args.includes('node_modules'));
      expect(copies.length).toBeGreaterThan(0);
      for (const copy of copies) expect(copy.args).toContain('--from=prod-deps');
    }
  });

  it('gives the executor image the Python modules the kernels import, bubblewrap and util-linux', () => {
    const installs = stageChain(dockerfile, 'executor-worker')
      .flatMap((stage) => stage.instructions)
      .filter((instruction) => instruction.keyword === 'RUN' && instruction.args.includes('apt-get install'))
      .flatMap((instruction) => instruction.args.split(/\s+/));
    for (const debianPackage of [...Object.values(PYTHON_ANALYSIS_MODULES), 'bubblewrap', 'util-linux']) {
      expect(installs).toContain(debianPackage);
    }
    expect(effectiveEnv(dockerfile, 'executor-worker').get('ASSAY_PYTHON')).toBe('/usr/bin/python3');
    // Only the executor carries Python.
    for (const target of TARGETS.filter((name) => name !== 'executor-worker')) {
      const chainRuns = stageChain(dockerfile, target).flatMap((stage) => stage.instructions).map((i) => i.args);
      expect(chainRuns.some((args) => args.includes('python3-'))).toBe(false);
    }
  });

  it('runs prisma migrate deploy in the migrate target, with the schema, migrations and engine shim', () => {
    const cmd = effectiveInstruction(dockerfile, 'migrate', 'CMD');
    expect(cmd && execForm(cmd.args)).toEqual(['node', 'node_modules/prisma/build/index.js', 'migrate', 'deploy']);
    const copied = stageNamed(dockerfile, 'migrate').instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    for (const needed of ['prisma.config.ts', 'prisma', 'packages/db/migrate']) {
      expect(copied.some((args) => args.split(/\s+/)[0] === needed)).toBe(true);
      expect(fs.existsSync(path.join(REPO_ROOT, needed))).toBe(true);
    }
  });

  it('is the source of every image compose builds, under the assay-<target> names', () => {
    const compose = readCompose();
    for (const target of TARGETS) {
      const service = composeService(compose, target);
      const build = service.build as { context?: string; target?: string; dockerfile?: string };
      expect(build).toEqual({ context: '.', target });
      expect(imageBaseName(String(service.image))).toBe(`assay-${target}`);
    }
  });
});

describe('.dockerignore', () => {
  const patterns = fs
    .readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

  it('keeps dependencies, build output, local data, git history and coverage out of the build context', () => {
    for (const name of ['node_modules', 'dist', '.assay', '.git', 'coverage']) {
      expect(patterns.some((pattern) => pattern === name || pattern === `**/${name}`)).toBe(true);
    }
  });

  it('keeps every file the build stages copy by name', () => {
    const ignored = (file: string): boolean =>
      patterns.some((pattern) => !pattern.startsWith('!') && (pattern === file || pattern === file.split('/')[0] || pattern === `**/${path.basename(file)}`));
    for (const stage of dockerfile.stages) {
      for (const instruction of stage.instructions.filter((i) => i.keyword === 'COPY' && !i.args.includes('--from=') && !i.args.includes('<<'))) {
        const sources = instruction.args.split(/\s+/).filter((word) => !word.startsWith('--')).slice(0, -1);
        for (const source of sources.filter((word) => word !== '.')) expect({ source, ignored: ignored(source) }).toEqual({ source, ignored: false });
      }
    }
  });
});
