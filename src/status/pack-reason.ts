/**
 * Why a pack is not green, in one line, the same way wherever it is shown (CLI today, the UI later):
 * the condition type once, the cause once, then the object and the message.
 *
 * The engine's reason is a code: for gray and blue packs it names a state of waiting ("WaitingForDependencies",
 * "LessAvailable", "Applying") that the message already says in words, so it is left out; for a red pack it
 * is the cause ("ImagePullBackOff", "TimedOut") and is shown, unless the message already names it.
 */
import { PackPhase, type PackConditionType } from './pack-phase.js';

export interface PackReasonInput {
  readonly phase: PackPhase;
  readonly condition: PackConditionType;
  readonly reason: string;
  readonly message: string;
}

/** Whether `text` contains `word` as a whole word (so "Error" is not found in "ErrImagePull"). */
function mentions(text: string, word: string): boolean {
  if (word === '') return true;
  let at = text.indexOf(word);
  while (at !== -1) {
    const before = at === 0 ? '' : (text[at - 1] ?? '');
    const after = text[at + word.length] ?? '';
    if (!/\w/.test(before) && !/\w/.test(after)) return true;
    at = text.indexOf(word, at + 1);
  }
  return false;
}

/** `Error: ImagePullBackOff: Pod web/web-7d9: …`, `Installed: 3/5 resources ready; waiting for …`. */
export function formatPackReason(pack: PackReasonInput): string {
  const message = pack.message.trim();
  const parts: string[] = [];
  // "Retrying (attempt 2): …" already starts with its condition.
  if (!message.startsWith(pack.condition)) parts.push(pack.condition);
  const cause = pack.reason.trim();
  const showCause =
    pack.phase === PackPhase.Failed && cause !== '' && cause !== pack.condition && !mentions(message, cause);
  if (showCause) parts.push(cause);
  if (message !== '') parts.push(message);
  return parts.join(': ');
}
