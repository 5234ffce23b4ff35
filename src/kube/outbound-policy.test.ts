import { describe, expect, it } from 'vitest';
import {
  AddressRange,
  checkOutbound,
  deniedRange,
  parseOutboundDeny,
  type Resolve,
} from './outbound-policy.js';

const all = new Set(Object.values(AddressRange));
const linkLocal = new Set([AddressRange.LinkLocal]);

describe('deniedRange', () => {
  it.each([
    ['169.254.169.254', 'link-local'],
    ['169.254.0.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fd00:ec2::254', 'link-local'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['::a9fe:a9fe', 'link-local'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['::ffff:0:a9fe:a9fe', 'link-local'],
    ['::ffff:0:169.254.169.254', 'link-local'],
    // Local-use NAT64 (RFC 8215) with each RFC 6052 layout: /48, /56, /64 (the u octet skipped) and /96.
    ['64:ff9b:1:a9fe:0:a9fe::', 'link-local'],
    ['64:ff9b:1:a9:fe:a9fe::', 'link-local'],
    ['64:ff9b:1:0:a9:fea9:fe00:0', 'link-local'],
    ['64:ff9b:1::a9fe:a9fe', 'link-local'],
    ['2002:a9fe:a9fe::1', 'link-local'],
    ['::ffff:0:7f00:1', 'loopback'],
    ['64:ff9b:1::7f00:1', 'loopback'],
    ['2002:7f00:1::', 'loopback'],
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['0.0.0.0', 'loopback'],
    ['::', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['fd00::1', 'private'],
    ['fc12::1', 'private'],
    ['::ffff:10.0.0.1', 'private'],
  ])('%s is %s', (address, range) => {
    expect(deniedRange(address, all)).toBe(range);
  });

  it.each([
    '8.8.8.8',
    '172.32.0.1',
    '169.253.255.255',
    '2001:4860:4860::8888',
    '::ffff:8.8.8.8',
    'fe00::1',
    '::ffff:0:808:808',
    '64:ff9b::808:808',
    '64:ff9b:1::808:808',
    '2002:808:808::1',
  ])('%s is public', (address) => {
    expect(deniedRange(address, all)).toBeUndefined();
  });

  it('only the ranges asked for are denied', () => {
    expect(deniedRange('127.0.0.1', linkLocal)).toBeUndefined();
    expect(deniedRange('10.0.0.1', linkLocal)).toBeUndefined();
    expect(deniedRange('169.254.169.254', linkLocal)).toBe('link-local');
    expect(deniedRange('169.254.169.254', new Set())).toBeUndefined();
  });
});

describe('checkOutbound', () => {
  const never: Resolve = () => Promise.reject(new Error('must not resolve an IP literal'));

  it.each([
    'http://169.254.169.254/latest/meta-data/',
    'http://2852039166/',
    'http://0xa9fea9fe/',
    'http://0251.0376.0251.0376/',
    'http://169.254.43518/',
    'http://[::ffff:169.254.169.254]/',
    'https://[fe80::1]:6443',
  ])('refuses %s whatever form the address takes', async (url) => {
    const refusal = await checkOutbound(url, linkLocal, never);
    expect(refusal).toMatchObject({ url, range: 'link-local' });
  });

  it('loopback stays allowed by default, and is refused when asked', async () => {
    expect(await checkOutbound('https://127.0.0.1:6443', linkLocal, never)).toBeUndefined();
    expect(await checkOutbound('https://127.0.0.1:6443', all, never)).toMatchObject({
      address: '127.0.0.1',
      range: 'loopback',
    });
  });

  it('checks every address a name resolves to', async () => {
    const resolve: Resolve = (host) =>
      Promise.resolve(host === 'mixed.example' ? ['8.8.8.8', '169.254.169.254'] : ['8.8.8.8']);
    expect(await checkOutbound('https://mixed.example:6443', linkLocal, resolve)).toEqual({
      url: 'https://mixed.example:6443',
      address: '169.254.169.254',
      range: 'link-local',
    });
    expect(await checkOutbound('https://public.example', linkLocal, resolve)).toBeUndefined();
  });

  it('a name that does not resolve is left to the connection to report', async () => {
    const fail: Resolve = () => Promise.reject(new Error('ENOTFOUND'));
    expect(await checkOutbound('https://nowhere.invalid', all, fail)).toBeUndefined();
  });

  it('resolves real names: localhost is loopback', async () => {
    expect(await checkOutbound('http://localhost:1/', all)).toMatchObject({ range: 'loopback' });
  });
});

describe('parseOutboundDeny', () => {
  it('reads a list, and none', () => {
    expect(parseOutboundDeny('link-local, loopback,private')).toEqual(['link-local', 'loopback', 'private']);
    expect(parseOutboundDeny('none')).toEqual([]);
  });

  it('names an unknown range', () => {
    expect(() => parseOutboundDeny('link-local,metadata')).toThrow(
      'unknown address range "metadata": expected a list of link-local, loopback, private, or none',
    );
  });
});
