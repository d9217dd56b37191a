/** Settings the stack gives every service. */
export interface ServiceSettings {
  DATABASE_URL: string;
  REDIS_URL: string;
  ASSAY_DATA_DIR: string;
  LOG_LEVEL: string;
}

/**
 * The environment of one service: everything the user set (ANTHROPIC_API_KEY, ASSAY_* limits,
 * ...), minus npm's own variables, plus the stack's settings. Only the gateway gets PORT, so
 * that no worker tries to listen on it.
 */
export function serviceEnvironment(
  base: NodeJS.ProcessEnv,
  settings: ServiceSettings,
  port: number | undefined,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(base)) {
    if (value === undefined || name.startsWith('npm_') || name === 'PORT' || name === 'INIT_CWD') continue;
    env[name] = value;
  }
  return { ...env, ...settings, ...(port === undefined ? {} : { PORT: String(port) }) };
}
