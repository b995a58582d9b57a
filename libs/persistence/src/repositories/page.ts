import { ApiError } from '@app/common';

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** Cursors are opaque to clients; inside they are the last id of the previous page (ids sort by creation time). */
export function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, prefix: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!new RegExp(`^${prefix}_[0-9a-z]{26}$`).test(id)) {
    throw ApiError.invalid('cursor is not valid', [{ field: 'cursor', message: 'cursor is not valid' }]);
  }
  return id;
}
