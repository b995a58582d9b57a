/** Fails at boot when a queue's handler map and its job names disagree: every job name has exactly one handler. */
export function checkHandlers(queue: string, handled: readonly string[], jobNames: readonly string[]): void {
  const missing = jobNames.filter((name) => !handled.includes(name));
  const unknown = handled.filter((name) => !jobNames.includes(name));
  const doubled = handled.filter((name, i) => handled.indexOf(name) !== i);
  if (missing.length || unknown.length || doubled.length) {
    throw new Error(
      `${queue}: job names without a handler [${missing.join(', ')}], handlers for unknown job names [${unknown.join(', ')}], ` +
        `job names with more than one handler [${doubled.join(', ')}]`,
    );
  }
}
