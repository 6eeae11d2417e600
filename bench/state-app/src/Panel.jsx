import { useState } from 'react';

// A component module that also exports a constant, a table and a helper, imported by the entry.
export const HEADLINE = 'Panels';
export const sections = [{ name: 'one' }, { name: 'two' }];
export function format(n) {
  return `#${n}`;
}

export default function Panel() {
  const [count, setCount] = useState(0);
  return (
    <section className="panel">
      <span className="panel-text">panel v1</span>
      <button className="panel-count" onClick={() => setCount(count + 1)}>{count}</button>
    </section>
  );
}
