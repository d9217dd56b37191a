import type { Logger } from '@assay/logger';
import type { GenerateOptions, SentPrompt } from './types';

/**
 * Passes a piece of output to the caller's `onDelta`. A listener that throws loses that piece
 * but does not fail the generation: progress display must never cost the answer (and inside the
 * Anthropic SDK's event loop a throw would abort the stream).
 */
export function emitDelta(onDelta: GenerateOptions['onDelta'], text: string, logger: Logger | undefined): void {
  if (onDelta === undefined || text.length === 0) return;
  try {
    onDelta(text);
  } catch (error) {
    logger?.warn({ err: error }, 'onDelta listener threw; delta dropped');
  }
}

/** Passes what is about to be sent to the caller's `onPromptSent`; a throwing listener is logged. */
export function reportPrompt(onPromptSent: GenerateOptions['onPromptSent'], sent: SentPrompt, logger: Logger | undefined): void {
  if (onPromptSent === undefined) return;
  try {
    onPromptSent(sent);
  } catch (error) {
    logger?.warn({ err: error }, 'onPromptSent listener threw');
  }
}
