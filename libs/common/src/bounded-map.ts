/**
 * Sets `key` in a Map used as a bounded cache: a new key beyond `limit` entries first forgets the oldest one
 * (insertion order). Updating a key already there forgets nothing.
 */
export function boundedSet<K, V>(map: Map<K, V>, key: K, value: V, limit: number): void {
  if (!map.has(key) && map.size >= limit) map.delete(map.keys().next().value as K);
  map.set(key, value);
}

/** The value cached for `key`, made by `make` and kept (boundedSet) when it is missing. */
export function boundedGetOrMake<K, V>(map: Map<K, V>, key: K, limit: number, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    boundedSet(map, key, value, limit);
  }
  return value;
}
