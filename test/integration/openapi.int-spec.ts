import { Document, Spectral } from '@stoplight/spectral-core';
import * as Parsers from '@stoplight/spectral-parsers';
import { oas } from '@stoplight/spectral-rulesets';
import { startInProcessGateway, InProcessGateway } from '../support/in-process';

type Operation = { responses: Record<string, { content?: Record<string, { examples?: Record<string, { value: any }> }> }> };

describe('the OpenAPI document', () => {
  let gw: InProcessGateway;
  let document: { paths: Record<string, Record<string, Operation>> };
  beforeAll(async () => {
    gw = await startInProcessGateway();
    const answer = await gw.request('GET', '/docs-json', { key: null });
    expect(answer.status).toBe(200);
    document = answer.body;
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('passes Spectral’s spectral:oas ruleset with no error or warning', async () => {
    const spectral = new Spectral();
    // What `extends: spectral:oas` means in a .spectral.yaml: the ruleset's recommended rules, warnings included.
    spectral.setRuleset({ extends: [[oas as never, 'recommended']] });
    const results = await spectral.run(new Document(JSON.stringify(document), Parsers.Json, 'docs-json'));
    expect(results.map((r) => `${r.code} at ${r.path.join('.')}: ${r.message}`)).toEqual([]);
  });

  const examplesOf = (status: string) =>
    Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).flatMap(([method, operation]) => {
        const examples = operation.responses?.[status]?.content?.['application/json']?.examples ?? {};
        return Object.entries(examples).map(([name, example]) => ({ where: `${method} ${path} ${name}`, body: example.value }));
      }),
    );

  it('shows an authentication error as the 401 example, a permission error as the 403, rate_limited as the 429', () => {
    for (const [status, type] of [['401', 'authentication'], ['403', 'permission'], ['429', 'rate_limited'], ['404', 'not_found']]) {
      const examples = examplesOf(status);
      expect(examples.length).toBeGreaterThan(0);
      for (const { where, body } of examples) expect({ where, type: body.error.type }).toEqual({ where, type });
    }
  });

  it('the documented 401, 403 and 422 examples are what the gateway really answers', async () => {
    const [missingKey] = examplesOf('401').filter((e) => e.where.endsWith('missing_api_key'));
    const noKey = await gw.request('GET', '/v1/payments', { key: null });
    expect(noKey.status).toBe(401);
    expect({ ...noKey.body, requestId: 'x' }).toEqual({ ...missingKey.body, requestId: 'x' });

    const readOnly = await gw.newKey(['payments:read']);
    const forbidden = await gw.request('POST', '/v1/payments', { key: readOnly, body: { amount: 1, currency: 'USD', description: 'd' } });
    const [missingScope] = examplesOf('403');
    expect(forbidden.status).toBe(403);
    expect({ ...forbidden.body, requestId: 'x' }).toEqual({ ...missingScope.body, requestId: 'x' });

    const invalid = await gw.request('POST', '/v1/payments', { body: { amount: 1, currency: 'USD' } });
    const [validation] = examplesOf('422').filter((e) => e.where.endsWith('validation_failed'));
    expect(invalid.status).toBe(422);
    expect({ ...invalid.body, requestId: 'x' }).toEqual({ ...validation.body, requestId: 'x' });
  });

  it('every example sits under the status it is answered with', () => {
    for (const status of ['400', '409', '413', '415', '422', '502', '503', '504']) {
      const examples = examplesOf(status);
      expect(examples.length).toBeGreaterThan(0);
    }
    expect(examplesOf('422').some((e) => e.body.error.type === 'capability_not_supported')).toBe(true);
    expect(examplesOf('503').every((e) => e.body.error.type === 'provider_unavailable')).toBe(true);
  });
});
