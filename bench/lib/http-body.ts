// The body every route of the HTTP benchmarks sends, in a module of its own: the server modules
// start a server when imported in a child process, so they cannot share it.

/** About 2 KB of JSON: a page of 20 users. */
export const BODY = {
  users: Array.from({ length: 20 }, (_, i) => ({
    id: i,
    name: `User ${i}`,
    email: `user${i}@example.com`,
    roles: ['reader', i % 3 === 0 ? 'admin' : 'editor'],
    active: i % 2 === 0,
  })),
}
