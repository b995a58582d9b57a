import { PaymentsApiError, PaymentsClient, PaymentsClientOptions } from '@app/client';

/** One answer a test client received, as it came over the wire (the client itself returns only the parsed body). */
export interface RecordedResponse {
  method: string;
  url: string;
  status: number;
  headers: Headers;
}

const recorded = new WeakMap<PaymentsClient, RecordedResponse[]>();

/**
 * A client that records the status and headers of every answer it gets, through its `fetch` option, so a test can
 * assert what the typed methods do not return: the exact success status, or a header such as `Idempotent-Replayed`.
 */
export function recordingClient(options: PaymentsClientOptions): PaymentsClient {
  const log: RecordedResponse[] = [];
  const inner = options.fetch ?? globalThis.fetch;
  const recording = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    const response = await inner(input, init);
    log.push({ method: init?.method ?? 'GET', url: String(input), status: response.status, headers: response.headers });
    return response;
  };
  const client = new PaymentsClient({ ...options, fetch: recording as typeof fetch });
  recorded.set(client, log);
  return client;
}

/** Every answer `client` (made by `recordingClient` or `stack.clientFor`) received so far, oldest first. */
export function responses(client: PaymentsClient): RecordedResponse[] {
  const log = recorded.get(client);
  if (!log) throw new Error('this client does not record its answers: make it with stack.clientFor');
  return log;
}

/** The answer to the client's latest call (to its last attempt, when it retried). */
export function lastResponse(client: PaymentsClient): RecordedResponse {
  const log = responses(client);
  if (log.length === 0) throw new Error('this client has received no answer yet');
  return log[log.length - 1];
}

/** The PaymentsApiError `promise` rejects with; fails the test when it resolves or rejects with anything else. */
export async function rejection(promise: Promise<unknown>): Promise<PaymentsApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(PaymentsApiError);
    return error as PaymentsApiError;
  }
  throw new Error('expected a PaymentsApiError');
}
