/**
 * Jest for the renderer's DOM. The template's config goes through
 * @jupyterlab/testutils (the whole of JupyterLab); the renderer's pure module
 * (src/render.ts) imports nothing from JupyterLab, so ts-jest and jsdom are
 * enough here. Tests live in src/__tests__/*.spec.ts as in the template.
 */
module.exports = {
  testEnvironment: 'jsdom',
  setupFiles: ['<rootDir>/jest.shim.js'],
  testRegex: 'src/.*/.*.spec.ts[x]?$',
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }]
  },
  moduleFileExtensions: ['ts', 'tsx', 'js', 'json'],
  collectCoverageFrom: [
    'src/**/*.{ts,tsx}',
    '!src/**/*.d.ts',
    '!src/**/.ipynb_checkpoints/*'
  ],
  coverageReporters: ['text']
};
