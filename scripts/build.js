// Builds the three bundles when a source file changed since the last build (used by npm test and npm start).
require('./lib').buildIfNeeded();
