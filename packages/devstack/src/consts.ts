/**
 * Port of the development stack's own Redis. Chosen away from Redis's 6379 so that a system
 * Redis, if any, is never touched; a free port is picked when this one is taken.
 */
export const DEFAULT_DEV_REDIS_PORT = 56_379;

/** Port of the development stack's own PostgreSQL (PostgreSQL's standard port is 5432). */
export const DEFAULT_DEV_POSTGRES_PORT = 55_432;

/** Port the gateway listens on under `npm start` unless `PORT` is set. */
export const DEFAULT_GATEWAY_PORT = 8080;

/** Name of the database `npm start` uses on its own PostgreSQL. */
export const DEFAULT_DEV_DATABASE = 'assay';

/** Role created by initdb in the stack's own PostgreSQL clusters (a superuser of that cluster only). */
export const POSTGRES_SUPERUSER = 'assay';

/** How long a server may take from spawn to answering its first ping. */
export const SERVER_READY_TIMEOUT_MS = 30_000;

/** How long a server may take to shut down cleanly before it is killed. */
export const SERVER_STOP_TIMEOUT_MS = 20_000;

/** How long a reachability probe of a user-given URL may take. */
export const PROBE_TIMEOUT_MS = 3_000;

/** The interpreter the executor runs kernels with (not a pyenv/venv `python3` on PATH). */
export const SYSTEM_PYTHON = '/usr/bin/python3';
