// Test preload: quiet logs unless WAGATE_TEST_LOG is set.
process.env.WAGATE_LOG_LEVEL ??= process.env.WAGATE_TEST_LOG ?? 'silent'
