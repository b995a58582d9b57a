// npm run build: the three bundles in one webpack compilation (scripts/webpack.config.js).
const webpack = require('webpack');
const config = require('./webpack.config');

const startedAt = Date.now();
webpack(config, (error, stats) => {
  if (error) {
    process.stderr.write(`build failed: ${error.message}\n`);
    process.exit(1);
  }
  if (stats.hasErrors()) {
    process.stderr.write(stats.toString({ all: false, errors: true, colors: process.stderr.isTTY }) + '\n');
    process.stderr.write('build failed\n');
    process.exit(1);
  }
  const apps = Object.keys(config.entry).join(', ');
  process.stdout.write(`built ${apps} in ${((Date.now() - startedAt) / 1000).toFixed(1)} s (dist/apps/<app>/main.js)\n`);
});
