/** The quotas counted in a time window, per tenant. */
export type RateQuota = 'uploads' | 'executions' | 'tokens';

/** Length of each quota's window, in seconds (a window starts at its first use). */
export const QUOTA_WINDOW_SECONDS: Readonly<Record<RateQuota, number>> = {
  uploads: 60 * 60,
  executions: 60 * 60,
  tokens: 24 * 60 * 60,
};

/** How each quota is named in messages and in the settings that change it. */
export const QUOTA_DESCRIPTIONS: Readonly<Record<RateQuota, { unit: string; window: string; env: string; override: string }>> = {
  uploads: { unit: 'uploads', window: 'hour', env: 'ASSAY_QUOTA_UPLOADS_PER_HOUR', override: 'uploadsPerHour' },
  executions: { unit: 'executions (messages and cell runs)', window: 'hour', env: 'ASSAY_QUOTA_EXECUTIONS_PER_HOUR', override: 'executionsPerHour' },
  tokens: { unit: 'model tokens', window: 'day', env: 'ASSAY_QUOTA_TOKENS_PER_DAY', override: 'tokensPerDay' },
};
