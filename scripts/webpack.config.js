// One webpack compilation for the three apps: the libraries they share are parsed and transpiled once and type
// checked once (the Nest CLI built each app on its own, one after another, checking the whole tree each time).
// Each bundle stays self-contained (no shared chunks): dist/apps/<app>/main.js runs alone.
const path = require('node:path');
const webpack = require('webpack');
const nodeExternals = require('webpack-node-externals');
const { TsconfigPathsPlugin } = require('tsconfig-paths-webpack-plugin');
const ForkTsCheckerWebpackPlugin = require('fork-ts-checker-webpack-plugin');

const ROOT = path.resolve(__dirname, '..');
const TSCONFIG = path.join(ROOT, 'tsconfig.build.json');
// npm test type checks the whole tree (tests included) with tsc beside the build, so it builds without this check.
const TYPECHECK = process.env.PAYGW_BUILD_TYPECHECK !== 'off';

// Packages Nest loads only when an app uses them; the apps here use none of these through webpack's view.
const LAZY_IMPORTS = new Set([
  '@nestjs/microservices',
  '@nestjs/microservices/microservices-module',
  '@nestjs/websockets/socket-module',
  'class-validator',
  'class-transformer',
  'class-transformer/storage',
]);

module.exports = {
  context: ROOT,
  entry: {
    gateway: './apps/gateway/src/main.ts',
    worker: './apps/worker/src/main.ts',
    sandbox: './apps/sandbox/src/main.ts',
  },
  target: 'node',
  mode: 'none',
  devtool: false,
  output: {
    path: path.join(ROOT, 'dist'),
    filename: 'apps/[name]/main.js',
    library: { type: 'commonjs2' },
  },
  externals: [nodeExternals()],
  externalsPresets: { node: true },
  ignoreWarnings: [/^(?!CriticalDependenciesWarning$)/],
  module: {
    rules: [{ test: /\.tsx?$/, exclude: /node_modules/, use: [{ loader: 'ts-loader', options: { transpileOnly: true, configFile: TSCONFIG } }] }],
  },
  resolve: {
    extensions: ['.tsx', '.ts', '.js'],
    plugins: [new TsconfigPathsPlugin({ configFile: TSCONFIG })],
  },
  optimization: { nodeEnv: false, splitChunks: false, runtimeChunk: false },
  node: { __filename: false, __dirname: false },
  plugins: [
    new webpack.IgnorePlugin({
      checkResource(resource) {
        if (!LAZY_IMPORTS.has(resource)) return false;
        try {
          require.resolve(resource, { paths: [ROOT] });
        } catch {
          return true;
        }
        return false;
      },
    }),
    ...(TYPECHECK ? [new ForkTsCheckerWebpackPlugin({ typescript: { configFile: TSCONFIG } })] : []),
  ],
};
