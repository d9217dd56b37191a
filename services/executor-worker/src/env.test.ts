import { describe, expect, it } from '@jest/globals';
import { loadEnv } from './env';

const BASE = { DATABASE_URL: 'postgresql://assay@127.0.0.1:5432/assay', REDIS_URL: 'redis://127.0.0.1:6379' };

/** The message and the variables named by the start-up error of `loadEnv(source)`. */
function startupError(source: Record<string, string>): { message: string; variables: unknown } {
  try {
    loadEnv(source);
  } catch (error) {
    const { message, details } = error as { message: string; details?: { variables?: unknown } };
    return { message, variables: details?.variables };
  }
  throw new Error('loadEnv accepted the configuration');
}

describe('ExecutorWorkerEnv sandbox backend', () => {
  it('defaults to the local backend, which needs nothing more', () => {
    expect(loadEnv(BASE).ASSAY_SANDBOX_BACKEND).toBe('local');
  });

  it('names each variable the jupyter backend is missing', () => {
    const error = startupError({ ...BASE, ASSAY_SANDBOX_BACKEND: 'jupyter' });
    expect(error.variables).toEqual(['ASSAY_JUPYTER_URL', 'ASSAY_JUPYTER_TOKEN']);
    expect(error.message).toContain('ASSAY_JUPYTER_URL: is required when ASSAY_SANDBOX_BACKEND=jupyter');
    expect(error.message).toContain('ASSAY_JUPYTER_TOKEN: is required when ASSAY_SANDBOX_BACKEND=jupyter');
  });

  it('takes an empty value (docker-compose ${VAR:-}) as unset', () => {
    expect(startupError({ ...BASE, ASSAY_SANDBOX_BACKEND: 'e2b', E2B_API_KEY: '' }).variables).toEqual(['E2B_API_KEY']);
    expect(loadEnv({ ...BASE, ASSAY_JUPYTER_URL: '', ASSAY_JUPYTER_TOKEN: '' }).ASSAY_JUPYTER_URL).toBeUndefined();
  });

  it('names E2B_API_KEY for the e2b backend, and reads the optional E2B settings', () => {
    expect(startupError({ ...BASE, ASSAY_SANDBOX_BACKEND: 'e2b' })).toMatchObject({ variables: ['E2B_API_KEY'] });
    const env = loadEnv({ ...BASE, ASSAY_SANDBOX_BACKEND: 'e2b', E2B_API_KEY: 'e2b_key', E2B_API_URL: 'http://127.0.0.1:3000' });
    expect(env).toMatchObject({ E2B_DOMAIN: 'e2b.app', E2B_API_URL: 'http://127.0.0.1:3000', E2B_TEMPLATE: 'code-interpreter-v1' });
  });

  it('refuses an unknown backend and a Jupyter URL that is not http(s)', () => {
    expect(startupError({ ...BASE, ASSAY_SANDBOX_BACKEND: 'docker' }).variables).toEqual(['ASSAY_SANDBOX_BACKEND']);
    const error = startupError({ ...BASE, ASSAY_SANDBOX_BACKEND: 'jupyter', ASSAY_JUPYTER_URL: 'ftp://jupyter', ASSAY_JUPYTER_TOKEN: 't' });
    expect(error.variables).toEqual(['ASSAY_JUPYTER_URL']);
    const outside = { ...BASE, ASSAY_SANDBOX_BACKEND: 'jupyter', ASSAY_JUPYTER_URL: 'http://jupyter:8888/', ASSAY_JUPYTER_TOKEN: 't' };
    expect(startupError({ ...outside, ASSAY_JUPYTER_WORKSPACES_PATH: '../elsewhere' }).variables).toEqual(['ASSAY_JUPYTER_WORKSPACES_PATH']);
    expect(loadEnv({ ...outside, ASSAY_JUPYTER_WORKSPACES_PATH: 'assay/work' }).ASSAY_JUPYTER_WORKSPACES_PATH).toBe('assay/work');
  });
});
