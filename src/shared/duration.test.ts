import { describe, expect, it } from 'vitest';
import { formatDuration, formatElapsed, parseDuration } from './duration.js';

describe('configured durations (the spec form)', () => {
  it.each([
    ['45s', 45_000, '45s'],
    ['10m', 600_000, '10m'],
    ['1h30m', 5_400_000, '1h30m'],
    ['250ms', 250, '250ms'],
    // The same value, written in the largest units: never rounded.
    ['90s', 90_000, '1m30s'],
    ['1h0m1s5ms', 3_601_005, '1h1s5ms'],
  ])('reads %s as %d ms and writes it back as %s', (text, ms, written) => {
    expect(parseDuration(text)).toBe(ms);
    expect(formatDuration(ms)).toBe(written);
    expect(parseDuration(written)).toBe(ms);
  });

  it.each(['', '1.5h', '-5m', '0s', '5', '5 m', '1d'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('formatElapsed: the one display form of the CLI and the UI', () => {
  it.each([
    [-5, '0s'],
    [Number.NaN, '0s'],
    [0, '0s'],
    [850, '850ms'],
    [999.9, '999ms'],
    [12_400, '12s'],
    [65_000, '1m5s'],
    [192_000, '3m12s'],
    [3_723_000, '1h2m'],
    [47 * 3_600_000, '47h0m'],
    [4 * 86_400_000 + 5_000, '4d'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatElapsed(ms)).toBe(text);
  });
});
