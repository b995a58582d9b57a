/** Deepest nesting a JSON body may have; the validation pipe refuses far less (8), this only keeps recursion safe. */
export const MAX_JSON_DEPTH = 32;
/** Longest string (value or field name) as written in the body, escapes included; no field accepts more than 2 KiB. */
export const MAX_JSON_STRING_CHARS = 8 * 1024;

export type JsonLimitProblem = { code: 'json_too_deep'; message: string } | { code: 'json_string_too_long'; message: string };

/**
 * One pass over the raw text, before JSON.parse and before anything recursive (validation, the idempotency
 * fingerprint, class-transformer) sees the value: nesting deeper than MAX_JSON_DEPTH or a string longer than
 * MAX_JSON_STRING_CHARS is refused. It counts brackets outside strings only and does not judge syntax (JSON.parse
 * still does), so it is linear and never recurses, whatever the body.
 */
export function checkJsonLimits(text: string): JsonLimitProblem | null {
  let depth = 0;
  let inString = false;
  let stringStart = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x22 /* " */) {
        inString = false;
        continue;
      }
      if (char === 0x5c /* \ */) i++;
      if (i + 1 - stringStart > MAX_JSON_STRING_CHARS) {
        return { code: 'json_string_too_long', message: `JSON strings longer than ${MAX_JSON_STRING_CHARS} characters are not accepted` };
      }
      continue;
    }
    if (char === 0x22) {
      inString = true;
      stringStart = i + 1;
    } else if (char === 0x7b /* { */ || char === 0x5b /* [ */) {
      if (++depth > MAX_JSON_DEPTH) return { code: 'json_too_deep', message: `JSON nested deeper than ${MAX_JSON_DEPTH} levels is not accepted` };
    } else if (char === 0x7d /* } */ || char === 0x5d /* ] */) {
      depth--;
    }
  }
  return null;
}
