// Review 11, finding 3: a stored kubeconfig's refusal becomes the cluster's status, which every viewer reads, so
// no message built from a kubeconfig may quote a URL's user-info or a refused exec argument's value.
import { describe, expect, it } from 'vitest';
import { KubeClient } from './client.js';
import { parseOutboundDeny } from './outbound-policy.js';
import { cutText } from '../shared/kept-text.js';
import { SHOWN_KUBE_TEXT_MAX, shownKubeText, shownUrl } from './shown-url.js';

describe('shownUrl', () => {
  it('hides user-info and leaves other URLs as they are', () => {
    expect(shownUrl('http://proxyuser:Pr0xyS3cret@10.9.9.9:3128')).toBe('http://***@10.9.9.9:3128/');
    expect(shownUrl('https://token@203.0.113.7:6443/')).toBe('https://***@203.0.113.7:6443/');
    expect(shownUrl('https://203.0.113.7:6443')).toBe('https://203.0.113.7:6443');
    expect(shownUrl('http://user:secret@[::1')).toBe('(a URL that does not parse, not shown)');
  });
});

describe('shownKubeText', () => {
  it('hides the user-info of every URL in free text, also one that does not parse', () => {
    expect(
      shownKubeText('proxyconnect tcp: dial http://u:pa/ss@10.0.0.1:3128 then https://t0ken@203.0.113.7/x'),
    ).toBe('proxyconnect tcp: dial http://***@10.0.0.1:3128 then https://***@203.0.113.7/x');
    expect(shownKubeText('HTTPS://A:B@h "socks5://c@d"')).toBe('HTTPS://***@h "socks5://***@d"');
  });

  it('hides user-info where a scheme follows other text, and leaves text without a scheme alone', () => {
    expect(shownKubeText('via(http://u:p@h) x@y ftp:/a@b 1://c@d get https://@e')).toBe(
      'via(http://***@h) x@y ftp:/a@b 1://c@d get https://***@e',
    );
    expect(shownKubeText('a@b://c:d@e f')).toBe('a@b://***@e f');
  });

  it('takes time linear in the text, whatever it holds (review 13, item 1: a regex took 43 s on 256 KiB)', () => {
    const started = performance.now();
    for (const text of [
      'a.'.repeat(128 * 1024),
      'a://'.repeat(64 * 1024),
      `http://${'a@'.repeat(128 * 1024)}`,
    ])
      shownKubeText(text);
    // Milliseconds now; the old expression needed minutes for the three.
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('drops terminal control, gives clean text back as it is, and cuts what is too long', () => {
    expect(shownKubeText('x\u001b]52;c;ZXZpbA==\u0007\u001b[2Jy\u202e')).toBe('x]52;c;ZXZpbA==[2Jy');
    const clean = 'cannot reach the API server: connect ECONNREFUSED 10.0.0.1:6443';
    expect(shownKubeText(clean)).toBe(clean);
    const long = shownKubeText('x'.repeat(10 * SHOWN_KUBE_TEXT_MAX));
    expect(long).toHaveLength(SHOWN_KUBE_TEXT_MAX);
    // The hub's one cut of cluster text (shared/kept-text.ts): its marker counts what went.
    expect(long).toMatch(/^x+…\[(\d+) more characters cut by the hub\]$/u);
    expect(long).toBe(cutText('x'.repeat(10 * SHOWN_KUBE_TEXT_MAX), SHOWN_KUBE_TEXT_MAX));
  });
});

const kubeconfig = (cluster: string) => `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: ${cluster}
users: [{ name: u, user: { token: abc } }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
current-context: x
`;

describe('a kubeconfig refused by the outbound policy', () => {
  it('names the proxy and the range without its credentials', async () => {
    const kube = KubeClient.fromString(
      kubeconfig(
        '{ server: "https://203.0.113.7:6443", proxy-url: "http://proxyuser:Pr0xyS3cret@10.9.9.9:3128", insecure-skip-tls-verify: true }',
      ),
    );
    const error = await kube.checkOutbound(new Set(parseOutboundDeny('private'))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    const { message } = error as Error;
    expect(message).toContain('proxy-url http://***@10.9.9.9:3128/ is a');
    expect(message).not.toMatch(/Pr0xyS3cret|proxyuser/);
  });

  it('shows the server without its user-info', () => {
    const kube = KubeClient.fromString(
      kubeconfig('{ server: "https://someone:pw@203.0.113.7:6443", insecure-skip-tls-verify: true }'),
    );
    expect(kube.server).toBe('https://***@203.0.113.7:6443/');
  });
});
