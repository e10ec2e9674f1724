// Tests run TypeScript through swc (type checking is `npm run typecheck`); ESM-only
// dependencies (p-limit and its yocto-queue) are transformed to CommonJS for jest's module system.
const esmOnly = ['p-limit', 'yocto-queue'];
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/server', '<rootDir>/connector'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest'] },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  testTimeout: 30000,
  maxWorkers: 2,
};
