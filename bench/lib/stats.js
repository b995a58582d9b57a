/** Nearest-rank percentile of an array of numbers (sorted in place); null when empty. */
function percentile(values, p) {
  if (values.length === 0) return null;
  if (!values.sorted) {
    values.sort((a, b) => a - b);
    values.sorted = true;
  }
  const rank = Math.min(values.length, Math.max(1, Math.ceil((p / 100) * values.length)));
  return values[rank - 1];
}

module.exports = { percentile };
