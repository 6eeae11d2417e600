// Initial values of the global signals. Every component that reads a signal passes the same
// initial value (the first reader creates the signal), so they all come from here.
export const initialUsers = [
  { id: 'ada', name: 'Ada Lovelace', role: 'Analyst' },
  { id: 'grace', name: 'Grace Hopper', role: 'Compiler wrangler' },
  { id: 'linus', name: 'Linus Torvalds', role: 'Maintainer' },
];
export const initialUserCount = initialUsers.length;
export const initialMessages = [
  { id: 1, author: 'Metamon', text: 'Welcome! Messages live in a global signal shared by every framework.', at: '09:00' },
];
export const initialVotes = { react: 0, vue: 0, svelte: 0, solid: 0 };
