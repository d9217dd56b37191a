/**
 * The Claude model the `anthropic` provider uses when the configuration names none: the
 * current Sonnet, which balances code quality, speed and price for notebook writing.
 */
export const DEFAULT_ANTHROPIC_MODEL = 'claude-sonnet-5-5';

/**
 * Output budget of one generation, in tokens. It also covers the model's thinking, which is on
 * by default for current models, so it is set well above what a notebook needs.
 */
export const DEFAULT_ANTHROPIC_MAX_TOKENS = 16_384;

/** Retries the Anthropic SDK makes on 408/409/429/5xx and connection errors before giving up. */
export const DEFAULT_ANTHROPIC_MAX_RETRIES = 2;

/** Time allowed for one request to the Messages API, in milliseconds (10 minutes). */
export const DEFAULT_ANTHROPIC_TIMEOUT_MS = 600_000;

/** Where the sandbox mounts a chat's files: a file is at `${DATA_DIR}/<original file name>`. */
export const DATA_DIR = '/mnt/data';

/** The offline overview draws a histogram for at most this many numeric columns per table. */
export const MAX_HISTOGRAMS_PER_TABLE = 6;

/** Output budget of one generation with the `openai` provider, in tokens. */
export const DEFAULT_OPENAI_MAX_TOKENS = 8_192;

/** Retries the OpenAI SDK makes on 408/409/429/5xx and connection errors before giving up. */
export const DEFAULT_OPENAI_MAX_RETRIES = 2;

/** Time allowed for one request to an OpenAI-compatible API, in milliseconds (10 minutes; local models are slow). */
export const DEFAULT_OPENAI_TIMEOUT_MS = 600_000;
