// Prints "N passed, N failed, N skipped" from a vitest JSON report and exits non-zero when the
// run failed, when any test failed or was skipped in CI, or when no test ran at all.
import { readFileSync } from 'node:fs'

const [reportPath, statusArg] = process.argv.slice(2)
const status = Number(statusArg ?? 1)
let passed = 0
let failed = 0
let skipped = 0
let suiteFailures = 0
try {
  const report = JSON.parse(readFileSync(reportPath, 'utf8'))
  passed = report.numPassedTests ?? 0
  failed = report.numFailedTests ?? 0
  skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0)
  suiteFailures = report.numFailedTestSuites ?? 0
} catch (err) {
  console.error(`no test report at ${reportPath}: ${err.message}`)
  failed = Math.max(failed, 1)
}
// A file that failed to load counts as a failure even when it held no test that ran.
if (suiteFailures > 0 && failed === 0) failed = suiteFailures
if (status !== 0 && failed === 0) failed = 1
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`)
const skippedInCi = process.env.CI && skipped > 0
if (skippedInCi) console.error('tests were skipped in CI: every test must run')
process.exit(status !== 0 || failed > 0 || passed === 0 || skippedInCi ? 1 : 0)
