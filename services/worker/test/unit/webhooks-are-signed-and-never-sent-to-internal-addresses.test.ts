import { checkTargetUrl, isForbiddenAddress, TargetRefusedError } from '../../src/notifier/target-guard';
import { signBody, verifySignature } from '../../src/notifier/webhook-signature';

describe('webhook signatures', () => {
  const secret = 'a-secret-of-enough-length';
  it('sign "<t>.<body>" with HMAC-SHA256 and verify only the same body, key and a fresh timestamp', () => {
    const header = signBody(secret, '{"a":1}', 1763870000);
    expect(header).toMatch(/^t=1763870000,v1=[0-9a-f]{64}$/);
    expect(verifySignature(secret, '{"a":1}', header, 1763870010)).toBe(true);
    expect(verifySignature(secret, '{"a":2}', header, 1763870010)).toBe(false);
    expect(verifySignature('another-secret-entirely', '{"a":1}', header, 1763870010)).toBe(false);
    expect(verifySignature(secret, '{"a":1}', header, 1763870000 + 3600)).toBe(false); // a replay an hour later
    expect(verifySignature(secret, '{"a":1}', undefined, 1763870010)).toBe(false);
  });
});

describe('webhook targets (SSRF guard)', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.20.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    'fd00:ec2::254',
    'fe80::1',
    '::ffff:127.0.0.1',
  ])('refuses %s', (ip) => expect(isForbiddenAddress(ip)).toBe(true));
  it.each(['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '172.32.0.1'])('allows %s', (ip) => expect(isForbiddenAddress(ip)).toBe(false));

  it('refuses internal URLs and non-http schemes unless private targets are allowed', () => {
    expect(() => checkTargetUrl('http://169.254.169.254/latest/meta-data', false)).toThrow(TargetRefusedError);
    expect(() => checkTargetUrl('http://localhost:8080/hook', false)).toThrow(TargetRefusedError);
    expect(() => checkTargetUrl('http://[::1]/hook', false)).toThrow(TargetRefusedError);
    expect(() => checkTargetUrl('file:///etc/passwd', true)).toThrow(/only http and https/);
    expect(() => checkTargetUrl('https://user:pw@example.com/hook', false)).toThrow(/credentials/);
    expect(checkTargetUrl('https://hooks.example.com/floodgate', false).host).toBe('hooks.example.com');
    expect(checkTargetUrl('http://127.0.0.1:9000/hook', true).port).toBe('9000');
  });
});
