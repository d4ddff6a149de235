// Layering: a pure core (report, render) that everything leans on; dependencies point inward only.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'core-is-pure',
      comment: 'report/ and render/ do no I/O: no probe, app, cli, and no node I/O modules',
      severity: 'error',
      from: { path: '^src/(report|render)/' },
      to: { path: ['^src/(probe|app|cli|common)/', '^(node:)?(fs|net|http|https|child_process|dgram|dns|tls|worker_threads)$'] },
    },
    { name: 'render-not-into-probe', severity: 'error', from: { path: '^src/report/' }, to: { path: '^src/render/' } },
    { name: 'probe-not-app', severity: 'error', from: { path: '^src/probe/' }, to: { path: '^src/(app|cli)/' } },
    { name: 'app-not-probe', severity: 'error', from: { path: '^src/app/' }, to: { path: '^src/(probe|cli)/' } },
    { name: 'common-is-leaf', severity: 'error', from: { path: '^src/common/' }, to: { path: '^src/(probe|app|cli|render)/' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
};
