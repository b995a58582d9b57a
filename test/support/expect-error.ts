/** Asserts an answer is the contract's error envelope: `{error: {type, code, message, details?}, requestId}` with X-Request-Id. */
export function expectError(
  answer: { status: number; body: any; headers: Record<string, unknown> },
  status: number,
  type: string,
  code?: string,
): void {
  expect({ status: answer.status, type: answer.body?.error?.type, code: code === undefined ? undefined : answer.body?.error?.code }).toEqual({ status, type, code });
  expect(typeof answer.body.error.message).toBe('string');
  expect(Object.keys(answer.body).sort()).toEqual(['error', 'requestId']);
  expect(answer.body.requestId).toEqual(expect.any(String));
  expect(answer.headers['x-request-id']).toBe(answer.body.requestId);
}
