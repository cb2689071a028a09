// Test preload: quiet logs unless WAGATE_TEST_LOG is set; the binary built for the tests is removed after the last
// test file (an afterAll in the preload is global).
import { afterAll } from 'bun:test'
import { removeBuiltBinary } from './helpers/binary.ts'

process.env.WAGATE_LOG_LEVEL ??= process.env.WAGATE_TEST_LOG ?? 'silent'
afterAll(removeBuiltBinary)
