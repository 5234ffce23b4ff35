import { describe, expect, it } from 'vitest';
import { FILE_NAME_PATTERN, MAX_FILE_NAME, uploadFileName } from './file-name.js';

describe('uploadFileName', () => {
  it('keeps a name that fits', () => {
    expect(uploadFileName('profiles/monitoring.yaml')).toBe('profiles/monitoring.yaml');
    expect(uploadFileName('<stdin>')).toBe('<stdin>');
  });

  it('keeps the end of a long path, where the file is named, within the limit', () => {
    const path = `${'deep/'.repeat(100)}monitoring.yaml`;
    const sent = uploadFileName(path);
    expect(sent).toHaveLength(MAX_FILE_NAME);
    expect(sent.startsWith('…')).toBe(true);
    expect(sent.endsWith('/monitoring.yaml')).toBe(true);
  });

  it('replaces control and bidi characters, so the hub takes what it sends', () => {
    const sent = uploadFileName('a\tb\nc\u001b[2J\u202egnp.yaml');
    expect(sent).toBe('a?b?c?[2J?gnp.yaml');
    expect(FILE_NAME_PATTERN.test(sent)).toBe(true);
    expect(FILE_NAME_PATTERN.test('a\u001bb')).toBe(false);
  });
});
