// Tests run TypeScript through ts-jest in transpile-only mode (type checking is `npm run typecheck`, run
// first by `npm test`); ESM-only dependencies (p-limit and its yocto-queue) are transformed to CommonJS
// for jest's module system.
const esmOnly = ['p-limit', 'yocto-queue'];
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/server', '<rootDir>/connector'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: { isolatedModules: true, allowJs: true, module: 'commonjs', target: 'ES2022', esModuleInterop: true, sourceMap: true } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  testTimeout: 30000,
  maxWorkers: 2,
};
