export { BoolEnv, ByteSizeEnv, PositiveIntEnv, parseByteSize, parseEnv } from './env-helpers';
export { CoreEnv } from './core-env';
