import { pino } from 'pino';
import { fixedFieldsLogger, lazyChildLogger, logScrubber, pinoOptions } from './logging';

describe('logScrubber', () => {
  const secret = 'provider-token-0123456789';
  const scrub = logScrubber([secret, 'short']);

  it.each([
    ['{"msg":"Authorization: Bearer sk_live_abcdefghijklmnopqrstuvwxyz"}', '{"msg":"Authorization: Bearer [redacted]"}'],
    ['{"msg":"authorization: bearer abc.def"}', '{"msg":"authorization: bearer [redacted]"}'],
    ['{"url":"/admin/queues?key=adm_secret&x=1"}', '{"url":"/admin/queues?key=[redacted]&x=1"}'],
    ['{"msg":"secret whsec_AbC+/=_-9 here"}', '{"msg":"secret whsec_[redacted] here"}'],
    ['{"msg":"key sk_ABCDEFGHIJKLMNOP_qr"}', '{"msg":"key sk_[redacted]"}'],
    ['{"msg":"admin adm_ABCDEFGHIJKLMNOPQR"}', '{"msg":"admin adm_[redacted]"}'],
    ['{"sig":"sha256=0123456789abcdef0123"}', '{"sig":"sha256=[redacted]"}'],
    ['{"sig":"v1,QUJDREVGR0hJSktMTU5PUFFSU1Q="}', '{"sig":"v1,[redacted]"}'],
    ['{"msg":"payer Ana.Lee+x@example.co.uk paid"}', '{"msg":"payer [email] paid"}'],
    [`{"msg":"config ${secret}"}`, '{"msg":"config [redacted]"}'],
  ])('masks %s', (line, expected) => {
    expect(scrub(line)).toBe(expected);
  });

  it('leaves a line without anything secret-looking as it is, short configured values included', () => {
    const line = '{"level":"info","requestId":"3d7241c0-cc48-4bcc","method":"GET","route":"/v1/payments/:id","status":200,"msg":"short"}';
    expect(scrub(line)).toBe(line);
  });

  it('masks a secret that needs no pattern, wherever it sits, as written (case-sensitive)', () => {
    expect(scrub(`x${secret}y`)).toBe('x[redacted]y');
    expect(scrub(`x${secret.toUpperCase()}y`)).toBe(`x${secret.toUpperCase()}y`);
  });
});

/** A pino destination that keeps the lines written to it. */
function capture() {
  const lines: string[] = [];
  return { lines, stream: { write: (line: string) => void lines.push(line) } };
}

describe('fixedFieldsLogger', () => {
  it('writes the same line as a child logger bound to the request id, to the same destination, at its level', () => {
    const { lines, stream } = capture();
    const logger = pino(pinoOptions('gateway', 'info'), stream);
    const plain = fixedFieldsLogger(logger, 'gateway');
    const fields = { method: 'GET', route: '/v1/payments/:id', url: '/v1/payments/pay_1', status: 200, durationMs: 1.5 };
    logger.child({ requestId: 'r-1' }).info(fields, 'request completed');
    plain.info({ requestId: 'r-1', ...fields }, 'request completed');
    plain.debug({ requestId: 'r-2', ...fields }, 'request completed');
    expect(lines).toHaveLength(2);
    const [a, b] = lines.map((line) => line.replace(/"time":"[^"]+"/, '"time":"T"'));
    expect(b).toBe(a);
    expect(Object.keys(JSON.parse(a))).toEqual(['level', 'time', 'service', 'pid', 'requestId', 'method', 'route', 'url', 'status', 'durationMs', 'msg']);
  });

  it('is silent when the logger is', () => {
    const { lines, stream } = capture();
    fixedFieldsLogger(pino(pinoOptions('gateway', 'silent'), stream), 'gateway').error({ requestId: 'r' }, 'request completed');
    expect(lines).toEqual([]);
  });
});

describe('lazyChildLogger', () => {
  it('makes no child until a line is written at an enabled level', () => {
    const { lines, stream } = capture();
    const logger = pino(pinoOptions('gateway', 'info'), stream);
    const child = jest.spyOn(logger, 'child');
    const lazy = lazyChildLogger(logger, { requestId: 'r-1' }, {});
    lazy.debug('not written');
    expect(lazy.level).toBe('info');
    expect(child).not.toHaveBeenCalled();
    lazy.warn({ authorization: 'Bearer sk_live_x' }, 'written');
    lazy.error('again');
    expect(child).toHaveBeenCalledTimes(1);
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ level: 'warn', requestId: 'r-1', authorization: '[redacted]', msg: 'written' }),
      expect.objectContaining({ level: 'error', requestId: 'r-1', msg: 'again' }),
    ]);
  });

  it('writes what an eager child writes, and honours a level of its own', () => {
    const { lines, stream } = capture();
    const logger = pino(pinoOptions('gateway', 'info'), stream);
    logger.child({ requestId: 'r-2' }).info({ a: 1 }, 'line');
    lazyChildLogger(logger, { requestId: 'r-2' }, {}).info({ a: 1 }, 'line');
    const verbose = lazyChildLogger(logger, { requestId: 'r-3' }, { level: 'debug' });
    expect(verbose.level).toBe('debug');
    verbose.debug('debug line');
    const [a, b, c] = lines.map((line) => line.replace(/"time":"[^"]+"/, '"time":"T"'));
    expect(b).toBe(a);
    expect(JSON.parse(c)).toMatchObject({ level: 'debug', requestId: 'r-3', msg: 'debug line' });
  });
});
