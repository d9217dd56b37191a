export { MetricsServer, startMetricsServer } from './metrics-server';
export type { MetricsServerOptions } from './metrics-server';
export { ServiceMetrics } from './service-metrics';
export type { ServiceMetricsOptions } from './service-metrics';
export { MetricsEnv } from './metrics-env';
