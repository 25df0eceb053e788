import { describeValue } from '@cacheguard/core'

export { describeValue }

/** Whether `value` is an object whose `methods` are all functions. */
export function hasMethods(value: unknown, methods: readonly string[]): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    methods.every((name) => typeof (value as Record<string, unknown>)[name] === 'function')
  )
}

/** Throws a TypeError unless `value` is a non-empty array of finite, strictly increasing numbers. */
export function checkBuckets(value: unknown): readonly number[] {
  const ok =
    Array.isArray(value) &&
    value.length > 0 &&
    value.every(
      (n, i) =>
        typeof n === 'number' && Number.isFinite(n) && (i === 0 || n > (value[i - 1] as number)),
    )
  if (!ok) {
    throw new TypeError(
      `Expected \`buckets\` to be a non-empty array of increasing numbers of seconds, got ${describeValue(value)}`,
    )
  }
  return value as number[]
}
