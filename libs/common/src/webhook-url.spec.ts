import { checkWebhookUrl, isPrivateAddress } from './webhook-url';

// One table for the gateway (accepting an endpoint URL) and the worker (connecting to it): both import this policy.
describe('isPrivateAddress', () => {
  it.each([
    '127.0.0.1',
    '127.255.255.254',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '192.0.0.8',
    '198.18.0.1',
    '198.19.255.255',
    '224.0.0.1',
    '240.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    'fe80::1',
    'fe80::1%eth0',
    'fec0::1',
    'fd12:3456::1',
    'fc00::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::127.0.0.1',
    '::7f00:1',
    '0:0:0:0:0:ffff:a00:1',
    '::ffff:169.254.169.254',
    '64:ff9b::7f00:1',
    '64:ff9b::a9fe:a9fe',
    '64:ff9b:1::1',
    '2002:7f00:1::1',
    '2002:a9fe:a9fe::1',
    'not-an-address',
    'localhost',
    '1:2:3',
  ])('refuses %s', (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '192.169.0.1',
    '192.0.1.1',
    '198.20.0.1',
    '100.128.0.1',
    '2606:4700:4700::1111',
    '2001:4860:4860::8888',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
  ])('allows %s', (address) => {
    expect(isPrivateAddress(address)).toBe(false);
  });
});

describe('checkWebhookUrl', () => {
  it.each([
    'http://[::ffff:127.0.0.1]/hook',
    'http://[::127.0.0.1]/hook',
    'http://[64:ff9b::7f00:1]/hook',
    'http://[2002:7f00:1::1]/hook',
    'http://198.18.0.1/hook',
    'http://192.0.0.170/hook',
    'http://127.1/hook',
    'http://0x7f000001/hook',
    'http://localhost:3000/hook',
  ])('refuses %s unless private URLs are allowed', async (url) => {
    await expect(checkWebhookUrl(url, false)).rejects.toMatchObject({ status: 422, code: 'invalid_url' });
    await expect(checkWebhookUrl(url, true)).resolves.toEqual(new URL(url).toString());
  });

  it('accepts a public address literal', async () => {
    await expect(checkWebhookUrl('https://8.8.8.8/hook', false)).resolves.toBe('https://8.8.8.8/hook');
    await expect(checkWebhookUrl('https://[2606:4700:4700::1111]/hook', false)).resolves.toBe('https://[2606:4700:4700::1111]/hook');
  });
});
